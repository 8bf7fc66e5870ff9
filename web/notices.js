// What the page says about changes that concern this person, all read
// from the server's records: muted or stopped by the server, role
// changes, being called on, and, for facilitators, people arriving in the
// waiting room (announced once; the announcement goes when they are no
// longer waiting, and the top bar's count says how many wait).

import { els, setText } from './dom.js';
import { page, setStatus } from './page.js';
import { timerChanged } from './timer.js';
import { isFacilitatorRole } from './protocol.js';

/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./protocol.js').Room} Room */

/** The server's records at the last announcement, to tell what changed. @type {Participant|null} */
let lastSelf = null;
/** @type {Room|null} */
let lastRoom = null;
/** People already announced as waiting (facilitators). @type {Set<string>} */
let seenWaiting = new Set();
/** The last "is in the waiting room" announcement and whom it named. */
let waitingNotice = { text: '', ids: /** @type {string[]} */ ([]) };

/** Forgets what was announced (a new session). */
export function resetNotices() {
  lastSelf = null;
  lastRoom = null;
  seenWaiting = new Set();
  waitingNotice = { text: '', ids: [] };
}

/**
 * Announces changes that concern this person.
 * @param {{forcedMute?: boolean, forcedCameraOff?: boolean, mutedByFacilitator?: boolean}} [media]
 *   what a new record of this person did to the microphone and camera ("selfmedia")
 */
export function noticeChanges(media = {}) {
  const s = page.session;
  if (!s || page.view !== 'meeting') return;
  const me = s.self;
  const room = s.room;
  if (!me) return;
  const prev = lastSelf;
  const prevRoom = lastRoom;
  lastSelf = me;
  lastRoom = room;
  /** @type {string[]} */
  const says = [];

  if (media.mutedByFacilitator) says.push('You were muted by the facilitator.');
  else if (media.forcedMute) says.push('Your microphone was muted.');
  if (media.forcedCameraOff) says.push('Your camera was turned off by the facilitator.');
  if (prev && prev.role !== me.role) {
    if (me.role === 'cofacilitator') says.push('You are now a co-facilitator.');
    else if (me.role === 'facilitator') says.push('You are now a facilitator.');
    else says.push('You are now a member of the group.');
  }
  if (prevRoom) {
    if (room.speaker === me.id && prevRoom.speaker !== me.id) {
      says.push(me.muted ? 'It is your turn to speak. Unmute when you are ready.' : 'It is your turn to speak.');
    }
    timerChanged(prevRoom, room);
    if (!isFacilitatorRole(me) && room.suspended && !prevRoom.suspended) says.push('The facilitator paused all activity for now.');
    if (!isFacilitatorRole(me) && room.chatOpen !== prevRoom.chatOpen) {
      says.push(room.chatOpen ? 'The chat is open again.' : 'The facilitator closed the chat.');
    }
  }
  const waitingNow = isFacilitatorRole(me) ? s.participants.filter((p) => p.status === 'waiting') : [];
  const fresh = waitingNow.filter((p) => !seenWaiting.has(p.id));
  seenWaiting = new Set(waitingNow.map((p) => p.id));
  if (fresh.length === 1) says.push(`${fresh[0].name} is in the waiting room.`);
  else if (fresh.length > 1) says.push(`${fresh.length} people are in the waiting room.`);
  if (says.length > 0) {
    const text = says.join(' ');
    setStatus(text);
    waitingNotice = fresh.length > 0 ? { text, ids: fresh.map((p) => p.id) } : { text: '', ids: [] };
  } else if (waitingNotice.text && !waitingNotice.ids.some((id) => seenWaiting.has(id))) {
    // Everyone it named was admitted, denied or left: it is old news.
    if (els.status.textContent === waitingNotice.text) setStatus('');
    waitingNotice = { text: '', ids: [] };
  }
}

/**
 * The top bar's count of people waiting, for facilitators ("2 waiting").
 * @param {number} n  people waiting; 0 hides it
 */
export function renderWaitingCount(n) {
  els.waitingCount.hidden = n === 0;
  setText(els.waitingCount, n === 1 ? '1 waiting' : `${n} waiting`);
}
