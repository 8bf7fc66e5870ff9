// What this member's page wants of video (docs/protocol.md, video_sizes
// and audio_only):
//
// - the page tells the server at which size it shows each video (device
//   pixels), every time that changes: a hidden tile, a page of tiles not
//   shown, or a hidden page gets nothing, a small tile a low layer;
// - the Audio only switch (in More) stops all video to this member; the
//   server's answer says what holds, and the page says so.
//
// The tiles are found by their data-participant-id; the switch shows the
// server's last answer, never a guess.

import { els, setText } from './dom.js';
import { page } from './page.js';
import { onMenuItem } from './menu.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */

/** How often the tiles' sizes are looked at (sent only when changed). */
const SIZES_EVERY_MS = 300;

/** The sizes last sent (JSON), '' to send again. */
let lastSizes = '';
/** Audio only, as the server last said. */
let audioOnly = false;

/**
 * The videos shown now and their sizes in device pixels.
 * @returns {{participant: string, source: string, width: number, height: number}[]}
 */
export function shownSizes() {
  if (document.hidden || audioOnly) return [];
  const dpr = window.devicePixelRatio || 1;
  const out = [];
  for (const v of document.querySelectorAll('video[data-participant-id]')) {
    const r = v.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) continue;
    out.push({
      participant: v.getAttribute('data-participant-id') || '',
      source: v.getAttribute('data-source') || 'camera',
      width: Math.round(r.width * dpr),
      height: Math.round(r.height * dpr),
    });
  }
  return out;
}

/** @param {HearthSession} session */
function sendSizes(session) {
  if (!session.joined || session.waiting) return;
  const sizes = shownSizes();
  const json = JSON.stringify(sizes);
  if (json === lastSizes) return;
  if (session.sendOwn({ type: 'video_sizes', sizes })) lastSizes = json;
}

/** Shows the Audio only switch and notice as the server last said. */
function renderAudioOnly() {
  els.audioOnly.setAttribute('aria-checked', audioOnly ? 'true' : 'false');
  els.audioOnlyNotice.hidden = !audioOnly;
  setText(els.audioOnlyNotice, audioOnly ? 'Audio only: video is off to save bandwidth.' : '');
}

/**
 * Starts the sizes reports and the Audio only switch for a session.
 * @param {HearthSession} session
 */
export function initVideoView(session) {
  lastSizes = '';
  audioOnly = false;
  renderAudioOnly();
  // A new join (not a resume) starts the server's view afresh.
  session.addEventListener('welcome', () => {
    lastSizes = '';
    if (audioOnly) session.sendOwn({ type: 'audio_only', on: true });
  });
  session.addEventListener('admitted', () => { lastSizes = ''; });
  session.addEventListener('message', (e) => {
    const msg = /** @type {CustomEvent} */ (e).detail;
    if (msg && msg.type === 'audio_only') {
      audioOnly = msg.on === true;
      lastSizes = '';
      renderAudioOnly();
    }
  });
  const timer = setInterval(() => {
    if (page.session !== session) {
      clearInterval(timer);
      return;
    }
    sendSizes(session);
  }, SIZES_EVERY_MS);
  document.addEventListener('visibilitychange', () => { if (page.session === session) sendSizes(session); });
}

onMenuItem(els.audioOnly, () => {
  const s = page.session;
  if (s && s.joined) s.sendOwn({ type: 'audio_only', on: !audioOnly });
});
