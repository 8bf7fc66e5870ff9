// The live part of the admin page: running meetings (counts and duration,
// never names) with End meeting, and the server's health. Both are
// fetched again every 15 seconds while the page is shown; updates are not
// announced (the status line is for the results of actions).

import { api } from './api.js';
import { byId, say, failed, when, duration } from './view.js';

/** @typedef {import('./api.js').Meeting} Meeting */

/** How often meetings and health are fetched again, in milliseconds. */
const REFRESH_MS = 15000;

/** The refresh timer while signed in. @type {number} */
let timer = 0;

/** Sets up the Refresh button and End meeting buttons. */
export function initLive() {
  byId('refresh').addEventListener('click', async () => {
    await loadLive();
    say('Live meetings and server status updated.');
  });
  byId('meetings').addEventListener('click', (e) => {
    const btn = /** @type {HTMLElement} */ (e.target).closest('button[data-act]');
    const row = /** @type {HTMLElement|null} */ (btn?.closest('tr[data-room-id]') || null);
    if (btn && row) onRowButton(row, /** @type {HTMLButtonElement} */ (btn));
  });
  byId('meetings').addEventListener('keydown', (e) => {
    const row = /** @type {HTMLElement} */ (e.target).closest('tr[data-confirm]');
    const cancel = row?.querySelector('button[data-act="cancel"]');
    if (e.key === 'Escape' && row && cancel) {
      e.preventDefault();
      onRowButton(/** @type {HTMLElement} */ (row), /** @type {HTMLButtonElement} */ (cancel));
    }
  });
}

/** Starts fetching meetings and health (now and every REFRESH_MS). */
export function startLive() {
  stopLive();
  void loadLive();
  timer = window.setInterval(() => {
    if (document.visibilityState === 'visible') void loadLive();
  }, REFRESH_MS);
}

/** Stops fetching (on sign-out). */
export function stopLive() {
  clearInterval(timer);
  timer = 0;
  byId('meetings').replaceChildren();
  byId('health').replaceChildren();
}

/** Fetches meetings and health once and shows them. */
export async function loadLive() {
  await Promise.all([loadMeetings(), loadHealth()]);
}

async function loadMeetings() {
  const empty = byId('meetings-empty');
  try {
    const { meetings } = await api.meetings();
    const body = byId('meetings');
    // A row with an open confirmation is kept as it is.
    const open = body.querySelector('tr[data-confirm]');
    const rows = meetings.map((m) => (open && /** @type {HTMLElement} */ (open).dataset.roomId === m.roomId ? open : row(m)));
    body.replaceChildren(...rows);
    byId('meetings-table').hidden = meetings.length === 0;
    empty.textContent = 'No meeting is running.';
    empty.hidden = meetings.length > 0;
  } catch (err) {
    const msg = failed(err, 'Live meetings could not be fetched');
    if (msg) {
      empty.textContent = msg;
      empty.hidden = false;
    }
  }
}

/**
 * One meeting's row.
 * @param {Meeting} m
 * @returns {HTMLTableRowElement}
 */
function row(m) {
  const tr = document.createElement('tr');
  tr.dataset.roomId = m.roomId;
  tr.dataset.roomName = m.roomName;
  const name = document.createElement('th');
  name.scope = 'row';
  name.textContent = m.roomName;
  tr.append(name);
  for (const text of [String(m.participants), String(m.waiting), when(m.startedAt), duration(m.durationSeconds)]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  const actions = document.createElement('td');
  actions.append(button('End meeting', 'end', 'small danger-outline'));
  tr.append(actions);
  return tr;
}

/**
 * @param {string} label
 * @param {string} act
 * @param {string} className
 */
function button(label, act, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.dataset.act = act;
  b.textContent = label;
  return b;
}

/**
 * End meeting asks first; Confirm end meeting ends it.
 * @param {HTMLElement} tr
 * @param {HTMLButtonElement} btn
 */
function onRowButton(tr, btn) {
  const cell = /** @type {HTMLElement} */ (tr.lastElementChild);
  const name = tr.dataset.roomName || '';
  switch (btn.dataset.act) {
    case 'end': {
      tr.dataset.confirm = 'true';
      const q = document.createElement('span');
      q.className = 'confirm-question';
      q.textContent = `End the meeting in “${name}” for everyone? `;
      const no = button('Cancel', 'cancel', 'small');
      cell.replaceChildren(q, no, ' ', button('Confirm end meeting', 'confirm', 'small danger'));
      no.focus();
      break;
    }
    case 'cancel':
      delete tr.dataset.confirm;
      cell.replaceChildren(button('End meeting', 'end', 'small danger-outline'));
      /** @type {HTMLElement} */ (cell.firstElementChild).focus();
      break;
    case 'confirm':
      btn.disabled = true;
      void endMeeting(tr, name);
      break;
  }
}

/**
 * @param {HTMLElement} tr
 * @param {string} name
 */
async function endMeeting(tr, name) {
  try {
    await api.endMeeting(tr.dataset.roomId || '');
    say(`The meeting in “${name}” has ended.`);
  } catch (err) {
    const msg = failed(err, 'The meeting could not be ended');
    if (msg) say(msg);
  }
  delete tr.dataset.confirm;
  byId('meetings-heading').focus();
  await loadMeetings();
}

async function loadHealth() {
  const dl = byId('health');
  /** @type {[string, string][]} */
  let items;
  try {
    const h = await api.health();
    items = [
      ['Ready for meetings', h.ready ? 'Yes' : 'No: the shared room state cannot be reached'],
      ['Meetings running', String(h.meetings)],
      ['People in meetings', String(h.participants)],
      ['Version', h.version],
      ['Instance', h.instance],
      ['Checked', new Date().toLocaleTimeString()],
    ];
  } catch (err) {
    const msg = failed(err, 'The server status could not be fetched');
    if (!msg) return;
    items = [['Status', msg]];
  }
  dl.replaceChildren(...items.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}
