// The meeting toolbar at the bottom of the screen (microphone, camera,
// hand, the More menu, leave) and the facilitator's request to unmute.
// The microphone and camera buttons say what the server's record of this
// person says; pressing one asks the server (opening the device first if
// it was never opened), and only turning something off also switches the
// device off at once (protocol.js, setMuted and setCamera).

import { els, setText } from './dom.js';
import { page, render, setStatus } from './page.js';
import { toggleInline } from './inline.js';
import { isMutedByFacilitator } from './protocol.js';
import { bindMenu, onMenuItem } from './menu.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./page.js').ListContext} ListContext */

/** The "The facilitator asks you to unmute" prompt is open. */
let askOpen = false;

/** Opens the facilitator's request to unmute (while the server says muted). */
export function openAskUnmute() {
  askOpen = true;
}

/** Closes the facilitator's request to unmute. */
export function closeAskUnmute() {
  askOpen = false;
}

/**
 * @param {HearthSession} s
 * @param {ListContext} ctx
 */
export function renderToolbar(s, ctx) {
  const me = ctx.me;
  setText(els.mute, me.muted ? 'Unmute' : 'Mute');
  const byFacilitator = isMutedByFacilitator(me);
  els.muteNote.hidden = !byFacilitator;
  if (byFacilitator) els.mute.setAttribute('aria-describedby', 'mute-note');
  else els.mute.removeAttribute('aria-describedby');
  setText(els.camera, me.camera ? 'Stop camera' : 'Start camera');
  setText(els.hand, ctx.hands.includes(me.id) ? 'Lower hand' : 'Raise hand');
  els.renameSelf.hidden = !(ctx.fac || ctx.room.selfRename);
  els.camera.classList.toggle('is-off', !me.camera);
  els.mute.classList.toggle('is-off', me.muted);
  if (!me.muted) askOpen = false;
  els.askUnmute.hidden = !askOpen;
}

/** @param {() => void} leave  what the Leave button does */
export function initToolbar(leave) {
  // Both ask the server; the labels change when its record does.
  els.mute.addEventListener('click', toggleMute);
  els.camera.addEventListener('click', toggleCamera);
  els.hand.addEventListener('click', toggleHand);

  bindMenu(els.more, els.moreMenu);
  onMenuItem(els.renameSelf, () => toggleInline({ kind: 'rename-self' }));

  els.askUnmuteYes.addEventListener('click', async () => {
    askOpen = false;
    render();
    els.mute.focus();
    const s = page.session;
    if (s && !(await s.setMuted(false))) setStatus('No microphone could be opened.');
  });
  els.askUnmuteNo.addEventListener('click', () => {
    askOpen = false;
    render();
    els.mute.focus();
  });

  els.leave.addEventListener('click', leave);
}

/** Mutes, or asks to unmute (the toolbar's first button, and the m key). */
export async function toggleMute() {
  const s = page.session;
  if (s && !(await s.setMuted(!s.muted))) setStatus('No microphone could be opened.');
}

/** Stops the camera, or asks to start it (the v key too). */
export async function toggleCamera() {
  const s = page.session;
  if (s && !(await s.setCamera(!s.cameraOn))) setStatus('No camera could be opened.');
}

/** Raises or lowers the own hand (the h key too). */
export function toggleHand() {
  const s = page.session;
  if (!s) return;
  if (s.hands.includes(s.selfId)) s.lowerHand();
  else s.raiseHand();
}
