// Screen share (docs/client.md, "Screen share"): the Share screen / Stop
// sharing button, the capture of one's own screen, and the shared screen
// shown large above the tiles. Whether someone shares is the server's
// record (participant.screen): this part asks (session.shareScreen), puts
// the capture on the publish connection once the record says so, and
// stops the capture when the record stops saying so (a facilitator took
// over, the room stopped letting members share). Facilitators may always
// share; members when the room's setting lets them (the server refuses
// otherwise, with the reason shown).

import { els, setText, play } from './dom.js';
import { page, render, setStatus } from './page.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./protocol.js').Participant} Participant */

/** The own screen capture while sharing (or asking to). @type {MediaStreamTrack|null} */
let capture = null;
/** The capture is on the publish connection. */
let published = false;
/** Received screens, by sharer id. @type {Map<string, MediaStream>} */
const screens = new Map();

/** @returns {boolean} the browser can capture a screen */
function supported() {
  return !!(navigator.mediaDevices && typeof navigator.mediaDevices.getDisplayMedia === 'function');
}

/** Stops the own capture and takes it off the publish connection. */
function stopCapture() {
  const track = capture;
  capture = null;
  if (track) track.stop();
  if (published && page.session) page.session.publishScreen(null);
  published = false;
}

async function toggleShare() {
  const s = page.session;
  if (!s) return;
  if (capture || (s.self && s.self.screen)) {
    stopCapture();
    s.shareScreen(false);
    render();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch {
    setStatus('No screen was shared.');
    return;
  }
  const track = stream.getVideoTracks()[0];
  if (!track || page.session !== s) {
    for (const t of stream.getTracks()) t.stop();
    return;
  }
  capture = track;
  // The browser's own "Stop sharing" ends the track.
  track.addEventListener('ended', () => {
    if (capture !== track) return;
    stopCapture();
    if (page.session) page.session.shareScreen(false);
    render();
  });
  if (!s.shareScreen(true)) stopCapture();
  render();
}

/** A screen_share request was refused (the server's message is shown by the caller). */
export function screenRefused() {
  stopCapture();
  render();
}

/**
 * A shared screen's stream arrived.
 * @param {string} id  the sharer
 * @param {MediaStream} stream
 */
export function screenAdded(id, stream) {
  screens.set(id, stream);
  render();
}

/**
 * A shared screen's stream went away.
 * @param {string} id
 * @param {MediaStream} stream
 */
export function screenRemoved(id, stream) {
  if (screens.get(id) === stream) screens.delete(id);
  render();
}

/** Forgets the received screens and stops the own capture (the session ended). */
export function clearScreens() {
  screens.clear();
  stopCapture();
  showScreen(null, '');
}

/**
 * @param {MediaStream|null} stream
 * @param {string} label
 * @param {string} [from]  whose screen it is (videoview.js reports its size)
 */
function showScreen(stream, label, from) {
  if (from) els.screenVideo.setAttribute('data-participant-id', from);
  else els.screenVideo.removeAttribute('data-participant-id');
  els.screenVideo.setAttribute('data-source', 'screen');
  els.screenView.hidden = !stream;
  if (els.screenVideo.srcObject !== stream) {
    els.screenVideo.srcObject = stream;
    if (stream) play(els.screenVideo);
  }
  setText(els.screenLabel, label);
}

/**
 * Draws the button and the shared screen from the server's records.
 * @param {HearthSession} s
 * @param {Participant[]} admitted
 * @param {ListContext} ctx
 */
export function renderScreen(s, admitted, ctx) {
  const me = ctx.me;
  if (capture && me.screen && !published) {
    published = true;
    s.publishScreen(capture);
  } else if (published && !me.screen) {
    stopCapture(); // the server stopped this share
  }
  const sharing = !!capture || me.screen;
  els.shareScreen.hidden = !supported() || (!sharing && !ctx.fac && !ctx.room.membersCanShareScreen);
  setText(els.shareScreen, sharing ? 'Stop sharing' : 'Share screen');
  els.shareScreen.classList.toggle('is-on', sharing);

  const sharer = admitted.find((p) => p.screen && (p.id === me.id ? published && capture : screens.has(p.id)));
  if (!sharer) {
    showScreen(null, '');
  } else if (sharer.id === me.id && capture) {
    showScreen(new MediaStream([capture]), 'You are sharing your screen');
  } else {
    showScreen(screens.get(sharer.id) || null, `Screen shared by ${sharer.name}`, sharer.id);
  }
}

/** Wires the button. */
export function initScreenShare() {
  els.shareScreen.addEventListener('click', toggleShare);
}
