// The share timer above the tiles: a countdown from the server's end time,
// and the short notes "30 seconds left" and "time is up".

import { els, setText } from './dom.js';
import { page, render, setStatus, nameOf } from './page.js';

/** @typedef {import('./protocol.js').Room} Room */

/** The note under the countdown ("" for none). */
let noteText = '';
/** @type {'warning'|'ended'|''} */
let noteKind = '';
/** Clears the note. @type {ReturnType<typeof setTimeout>|undefined} */
let noteClear;
/** Ticks the countdown while a timer runs. @type {ReturnType<typeof setInterval>|undefined} */
let ticker;

/** @param {number} seconds @returns {string} e.g. "2:05" */
function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${s < 10 ? '0' : ''}${s}`;
}

/**
 * Shows a note under the timer (and in the status line) for 15 seconds.
 * @param {string} text
 * @param {'warning'|'ended'} kind
 */
export function showTimerNote(text, kind) {
  noteText = text;
  noteKind = kind;
  setStatus(text, 15000);
  clearTimeout(noteClear);
  noteClear = setTimeout(clearTimerNote, 15000);
  render();
}

function clearTimerNote() {
  clearTimeout(noteClear);
  noteText = '';
  noteKind = '';
  render();
}

/**
 * Drops a "seconds left" warning that belonged to a share that just
 * stopped or was replaced.
 * @param {Room} prev
 * @param {Room} room
 */
export function timerChanged(prev, room) {
  const key = (/** @type {Room} */ r) => (r.timer ? `${r.timer.speaker}:${r.timer.endsAt}` : '');
  if (key(room) === key(prev) || noteKind !== 'warning') return;
  if (els.status.textContent === noteText) setStatus('');
  noteText = '';
  noteKind = '';
}

/** Stops the countdown and forgets the note (the meeting ended). */
export function resetTimer() {
  clearInterval(ticker);
  ticker = undefined;
  clearTimeout(noteClear);
  noteText = '';
  noteKind = '';
}

export function renderTimer() {
  const s = page.session;
  const t = s && page.view === 'meeting' ? s.room.timer : null;
  els.shareTimer.hidden = !t;
  setText(els.timerNote, noteText);
  els.timerNote.hidden = noteText === '';
  els.timerBox.hidden = !t && noteText === '';
  if (!t) {
    clearInterval(ticker);
    ticker = undefined;
    setText(els.shareTimer, '');
    return;
  }
  if (ticker === undefined) ticker = setInterval(tick, 250);
  tick();
}

/** Updates the countdown from the server's end time (text changes once a second). */
function tick() {
  const t = page.session ? page.session.room.timer : null;
  if (!t) return;
  const left = Math.max(0, Math.ceil((t.endsAt - Date.now()) / 1000));
  const name = nameOf(t.speaker) || 'the speaker';
  setText(els.shareTimer, `${clock(left)} left for ${name}`);
}
