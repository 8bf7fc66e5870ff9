// What every part of the UI shares: which view is shown, the session it
// shows, the local camera/microphone stream, the status line, and a way to
// ask for a render. Everything else a part needs it keeps to itself; what
// the room is like (mute and camera included) is read from the session,
// never copied here.

import { els } from './dom.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./protocol.js').Room} Room */

/** @typedef {'prejoin'|'joining'|'waiting'|'meeting'|'ended'} View */

/**
 * What one render of the meeting passes to each part.
 * @typedef {Object} ListContext
 * @property {Participant} me  the server's record of this person
 * @property {Room} room
 * @property {string[]} hands
 * @property {boolean} fac   the viewer is a facilitator or co-facilitator
 * @property {Set<string>} talking  who is talking now (the server's "speakers")
 */

/**
 * The page's shared state. The view is changed by show(); session and
 * localStream are set by ui.js and prejoin.js, read by everyone.
 * @type {{view: View, session: HearthSession|null, localStream: MediaStream|null}}
 */
export const page = {
  view: 'prejoin',
  session: null,
  localStream: null,
};

/** @param {View} next */
export function show(next) {
  page.view = next;
  document.body.setAttribute('data-view', next);
  els.prejoin.hidden = !(next === 'prejoin' || next === 'joining');
  els.meeting.hidden = !(next === 'meeting' || next === 'waiting');
  els.ended.hidden = next !== 'ended';
  els.join.disabled = next === 'joining';
  els.joinWait.hidden = true; // the script is here (index.html)
  els.name.readOnly = next === 'joining';
  els.waiting.hidden = next !== 'waiting';
}

/** @type {ReturnType<typeof setTimeout>|undefined} */
let statusTimer;

/**
 * Shows text in the polite live region.
 * @param {string} text
 * @param {number} [clearAfterMs] clear it again after this long (if unchanged)
 */
export function setStatus(text, clearAfterMs) {
  clearTimeout(statusTimer);
  els.status.textContent = text;
  if (clearAfterMs) {
    statusTimer = setTimeout(() => {
      if (els.status.textContent === text) els.status.textContent = '';
    }, clearAfterMs);
  }
}

/** @type {() => void} */
let renderer = () => {};

/** @param {() => void} fn  draws the meeting from the session (ui.js) */
export function setRenderer(fn) {
  renderer = fn;
}

/** Draws the meeting again from the session's state, now. */
export function render() {
  drawQueued = false;
  renderer();
}

/** A draw asked for by renderSoon and not yet done. */
let drawQueued = false;

/**
 * Draws the meeting before the next frame (or within 100 ms, where a
 * hidden tab gets no frames), once however many events ask for it
 * meanwhile: a run of events costs one draw, not one each.
 */
export function renderSoon() {
  if (drawQueued) return;
  drawQueued = true;
  const run = () => {
    if (drawQueued) render();
  };
  requestAnimationFrame(run);
  setTimeout(run, 100);
}

/**
 * @param {string} id
 * @returns {string} the participant's name, or "" when unknown
 */
export function nameOf(id) {
  const s = page.session;
  if (!s || !id) return '';
  const p = s.participants.find((x) => x.id === id);
  return p ? p.name : '';
}

/**
 * Sends a facilitator's command from the current session, if any.
 * @param {string} action
 * @param {Record<string, unknown>} [fields]
 */
export function moderate(action, fields) {
  if (page.session) page.session.moderate(action, fields);
}
