// The form that edits a room: name, settings, meeting format, passcode and schedule. It
// shows the room as it is and turns the form into the body of PATCH
// /api/rooms/{id}, checked against the same bounds the server keeps.

import { clone, part } from './view.js';
import { call } from './api.js';

/** @typedef {import('./api.js').Room} Room */

/** A room's defaults for limits it does not set (room.DefaultMaxParticipants, DefaultMaxWaiting). */
const DEFAULT_MAX_PARTICIPANTS = 100;
const DEFAULT_MAX_WAITING = 50;

/** The settings that are checkboxes. */
const FLAGS = ['waitingRoom', 'muteOnEntry', 'selfRename', 'privateChat', 'autoMute', 'membersCanShareScreen'];

/** Days of a schedule, as the API names them. */
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/**
 * The edit form, filled in with the room as it is.
 * @param {Room} room
 * @returns {HTMLFormElement}
 */
export function editForm(room) {
  const form = /** @type {HTMLFormElement} */ (clone('edit-template', 'edit'));
  const s = room.settings || /** @type {import('./api.js').Settings} */ ({});
  /** @param {string} f @returns {HTMLInputElement} */
  const field = (f) => part(form, f);
  field('name').value = room.name;
  for (const f of FLAGS) field(f).checked = Boolean(/** @type {Record<string, unknown>} */ (s)[f]);
  field('mode').value = s.mode === 'moderated' ? 'moderated' : 'open';
  field('shareSeconds').value = String(s.shareSeconds || 180);
  field('maxParticipants').value = String(s.maxParticipants || DEFAULT_MAX_PARTICIPANTS);
  field('maxWaiting').value = String(s.maxWaiting || DEFAULT_MAX_WAITING);
  field('guidelines').value = s.guidelines || '';
  field('format').value = s.format ? JSON.stringify(s.format, null, 2) : '';
  field('contributionsUrl').value = s.contributionsUrl || '';
  field('template').addEventListener('change', () => useTemplate(form));
  part(form, 'passcode-state').textContent = room.passcodeRequired
    ? 'This room asks newcomers for a passcode.' : 'This room has no passcode.';
  field('removePasscode').closest('.check')?.toggleAttribute('hidden', !room.passcodeRequired);
  const sched = room.schedule;
  for (const d of DAYS) field(`day-${d}`).checked = Boolean(sched && sched.days.includes(d));
  field('time').value = sched ? sched.time : '19:00';
  field('durationMinutes').value = String(sched ? sched.durationMinutes : 90);
  field('timeZone').value = sched ? (sched.timeZone || 'UTC') : Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return form;
}

/**
 * Puts the chosen template's format (GET /api/formats) into the format
 * field, or empties it for "No format".
 * @param {HTMLFormElement} form
 */
async function useTemplate(form) {
  const choice = /** @type {HTMLSelectElement} */ (part(form, 'template')).value;
  const text = /** @type {HTMLTextAreaElement} */ (part(form, 'format'));
  if (choice === '') return;
  if (choice === 'none') {
    text.value = '';
    return;
  }
  try {
    /** @type {{templates: {id: string, format: object}[]}} */
    const list = await call('GET', '/api/formats');
    const t = list.templates.find((x) => x.id === choice);
    if (t) text.value = JSON.stringify(t.format, null, 2);
  } catch (err) {
    const e = part(form, 'error');
    e.textContent = err instanceof Error ? err.message : String(err);
    e.hidden = false;
  }
}

/**
 * The format field as the API takes it: null when empty, else the parsed
 * object, or the problem.
 * @param {string} text
 * @returns {{format: object|null}|{problem: string}}
 */
function formatValue(text) {
  if (text.trim() === '') return { format: null };
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: 'The format must be a JSON object with its segments.' };
    return { format: v };
  } catch (err) {
    return { problem: `The format is not valid JSON: ${err instanceof Error ? err.message : err}` };
  }
}

/**
 * A whole number field within its min and max, or the problem.
 * @param {HTMLInputElement} el
 * @param {string} what  the field's label
 * @returns {number|string}
 */
function whole(el, what) {
  const v = Number(el.value);
  if (el.value === '' || !Number.isInteger(v) || v < Number(el.min) || v > Number(el.max)) {
    return `${what} must be a whole number from ${el.min} to ${el.max}.`;
  }
  return v;
}

/**
 * The checked body of an edit form, or the problem and its field.
 * @param {HTMLFormElement} form
 * @returns {{body: Record<string, unknown>}|{problem: string, field: HTMLElement}}
 */
export function editBody(form) {
  /** @param {string} f @returns {HTMLInputElement} */
  const field = (f) => part(form, f);
  const name = field('name').value.trim();
  if (!name) return { problem: 'Type a name for the room.', field: field('name') };
  /** @type {Record<string, unknown>} */
  const settings = {
    mode: field('mode').value, guidelines: field('guidelines').value.trim(),
  };
  for (const f of FLAGS) settings[f] = field(f).checked;
  for (const [f, what] of [['maxParticipants', 'Most people in the meeting'], ['maxWaiting', 'Most people waiting'],
    ['shareSeconds', 'Share time in seconds']]) {
    const v = whole(field(f), what);
    if (typeof v === 'string') return { problem: v, field: field(f) };
    settings[f] = v;
  }
  const f = formatValue(field('format').value);
  if ('problem' in f) return { problem: f.problem, field: field('format') };
  settings.format = f.format;
  settings.contributionsUrl = field('contributionsUrl').value.trim();
  /** @type {Record<string, unknown>} */
  const body = { name, settings };

  const remove = field('removePasscode');
  const passcode = field('passcode').value;
  if (remove.checked && !remove.closest('[hidden]')) {
    body.passcode = '';
  } else if (passcode) {
    if (passcode.length < 4 || passcode.length > 64) {
      return { problem: 'A passcode has 4 to 64 characters.', field: field('passcode') };
    }
    body.passcode = passcode;
  }

  const days = DAYS.filter((d) => field(`day-${d}`).checked);
  if (days.length === 0) {
    body.schedule = null;
    return { body };
  }
  const time = field('time').value;
  if (!/^\d\d:\d\d$/.test(time)) return { problem: 'Type the time the group starts, such as 19:30.', field: field('time') };
  const minutes = whole(field('durationMinutes'), 'Length in minutes');
  if (typeof minutes === 'string') return { problem: minutes, field: field('durationMinutes') };
  body.schedule = { days, time, durationMinutes: minutes, timeZone: field('timeZone').value.trim() };
  return { body };
}

/**
 * When a room's group meets, in words ("Meets Tuesday and Thursday at
 * 19:30, 90 minutes, Europe/Berlin"), or "".
 * @param {Room} room
 */
export function scheduleText(room) {
  const s = room.schedule;
  if (!s || !s.days || s.days.length === 0) return '';
  const days = s.days.map((d) => d.charAt(0).toUpperCase() + d.slice(1));
  const list = days.length > 1 ? `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}` : days[0];
  return `meets ${list} at ${s.time} for ${s.durationMinutes} minutes (${s.timeZone || 'UTC'})`;
}
