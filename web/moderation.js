// The facilitator controls: the room-wide commands (admit all and deny
// all, in the waiting room's panel; lock, next speaker, mute all, chat,
// suspend, end), the share timer, the speaking mode and the room settings. Each button says what the room's state is
// and sends the command that changes it; the server's next room event
// updates them. (A person's own row buttons are in panels.js.)

import { els, setText } from './dom.js';
import { page, moderate, setStatus } from './page.js';
import { toggleInline } from './inline.js';

/** @typedef {import('./protocol.js').Room} Room */
/** @typedef {import('./page.js').ListContext} ListContext */

/** The room settings checkboxes: data-setting names the settings field. */
const settingBoxes = /** @type {HTMLInputElement[]} */ ([...els.fac.querySelectorAll('input[data-setting]')]);

// Fields the facilitator is editing keep their text until saved or used.
let shareMinutesEdited = false;
let autoMuteEdited = false;
let guidelinesEdited = false;

/** @param {number} seconds @returns {string} minutes for the input, e.g. "3" or "2.5" */
function minutesText(seconds) {
  return String(Math.round((seconds / 60) * 100) / 100);
}

/** @param {ListContext} ctx */
export function renderFacControls(ctx) {
  els.fac.hidden = !ctx.fac;
  if (!ctx.fac) return;
  const room = ctx.room;
  setText(els.lock, room.locked ? 'Unlock room' : 'Lock room');
  setText(els.chatToggle, room.chatOpen ? 'Close chat' : 'Open chat');
  els.resume.hidden = !room.suspended;
  setText(els.timerToggle, room.timer ? 'Stop share timer' : 'Start share timer');
  if (els.mode.value !== room.mode) els.mode.value = room.mode;
  if (!shareMinutesEdited) {
    const v = minutesText(room.shareSeconds);
    if (els.shareMinutes.value !== v) els.shareMinutes.value = v;
  }
  if (!autoMuteEdited) els.timerAutoMute.checked = room.autoMute;
  for (const box of settingBoxes) {
    const key = /** @type {keyof Room} */ (box.getAttribute('data-setting') || '');
    box.checked = !!room[key];
  }
  if (!guidelinesEdited && document.activeElement !== els.setGuidelines && els.setGuidelines.value !== room.guidelines) {
    els.setGuidelines.value = room.guidelines;
  }
}

/**
 * The room as the session has it, for a command that toggles it.
 * @returns {Room|null}
 */
function room() {
  return page.session ? page.session.room : null;
}

export function initModeration() {
  els.admitAll.addEventListener('click', () => moderate('admit_all'));
  els.denyAll.addEventListener('click', () => moderate('deny_all'));
  els.lock.addEventListener('click', () => {
    const r = room();
    if (r) moderate(r.locked ? 'unlock' : 'lock');
  });
  els.nextSpeaker.addEventListener('click', () => moderate('next_speaker'));
  els.muteAll.addEventListener('click', () => moderate('mute_all'));
  els.chatToggle.addEventListener('click', () => {
    const r = room();
    if (r) moderate(r.chatOpen ? 'close_chat' : 'open_chat');
  });
  els.suspend.addEventListener('click', () => moderate('suspend'));
  els.resume.addEventListener('click', () => moderate('resume'));
  els.endMeeting.addEventListener('click', () => toggleInline({ kind: 'end' }));

  els.timerToggle.addEventListener('click', () => {
    const r = room();
    if (!r) return;
    if (r.timer) {
      moderate('stop_timer');
      return;
    }
    const minutes = Number(els.shareMinutes.value);
    let seconds = Number.isFinite(minutes) && minutes > 0 ? Math.round(minutes * 60) : r.shareSeconds;
    seconds = Math.min(3600, Math.max(10, seconds));
    moderate('start_timer', { seconds, autoMute: els.timerAutoMute.checked });
  });
  els.shareMinutes.addEventListener('input', () => { shareMinutesEdited = true; });
  els.timerAutoMute.addEventListener('change', () => { autoMuteEdited = true; });

  els.mode.addEventListener('change', () => {
    const r = room();
    const mode = els.mode.value === 'moderated' ? 'moderated' : 'open';
    if (r && mode !== r.mode) moderate('settings', { settings: { mode } });
  });

  for (const box of settingBoxes) {
    box.addEventListener('change', () => {
      const key = box.getAttribute('data-setting') || '';
      if (key) moderate('settings', { settings: { [key]: box.checked } });
    });
  }

  els.setGuidelines.addEventListener('input', () => { guidelinesEdited = true; });
  els.saveGuidelines.addEventListener('click', () => {
    const text = els.setGuidelines.value.trim();
    if (Array.from(text).length > 2000) {
      setStatus('Guidelines can be at most 2000 characters.');
      return;
    }
    moderate('settings', { settings: { guidelines: text } });
    guidelinesEdited = false;
    setStatus('Guidelines saved.', 5000);
  });
}
