// The meeting toolbar (microphone, camera, hand, rename, leave) and the
// facilitator's request to unmute. The microphone and camera buttons say
// what the server's record of this person says; pressing one asks the
// server, and only turning something off also switches the device off at
// once (protocol.js, setMuted and setCamera).

import { els, setText } from './dom.js';
import { page, render, setStatus } from './page.js';
import { toggleInline } from './inline.js';
import { isMutedByFacilitator } from './protocol.js';

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
  els.mute.disabled = !s.hasAudio;
  const byFacilitator = isMutedByFacilitator(me);
  els.muteNote.hidden = !byFacilitator;
  if (byFacilitator) els.mute.setAttribute('aria-describedby', 'mute-note');
  else els.mute.removeAttribute('aria-describedby');
  setText(els.camera, me.camera ? 'Stop camera' : 'Start camera');
  els.camera.disabled = !s.hasVideo;
  setText(els.hand, ctx.hands.includes(me.id) ? 'Lower hand' : 'Raise hand');
  els.renameSelf.hidden = !(ctx.fac || ctx.room.selfRename);
  if (!me.muted) askOpen = false;
  els.askUnmute.hidden = !askOpen;
}

/** @param {() => void} leave  what the Leave button does */
export function initToolbar(leave) {
  // Both ask the server; the labels change when its record does.
  els.mute.addEventListener('click', () => {
    const s = page.session;
    if (s) s.setMuted(!s.muted);
  });
  els.camera.addEventListener('click', () => {
    const s = page.session;
    if (s) s.setCamera(!s.cameraOn);
  });

  els.hand.addEventListener('click', () => {
    const s = page.session;
    if (!s) return;
    if (s.hands.includes(s.selfId)) s.lowerHand();
    else s.raiseHand();
  });

  els.renameSelf.addEventListener('click', () => toggleInline({ kind: 'rename-self' }));

  els.askUnmuteYes.addEventListener('click', () => {
    askOpen = false;
    const s = page.session;
    if (s && !s.setMuted(false)) setStatus('No microphone is available.');
    render();
    els.mute.focus();
  });
  els.askUnmuteNo.addEventListener('click', () => {
    askOpen = false;
    render();
    els.mute.focus();
  });

  els.leave.addEventListener('click', leave);
}
