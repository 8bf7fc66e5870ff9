/*
 * Browser client
 * ==============
 *
 * Hearth's browser client is static files, embedded in the server binary
 * (web/embed.go) and loaded as plain ES modules without a build step:
 *
 * - index.html    the single page, served for /r/<room-id>. It holds the
 *                 views (pre-join; the meeting section, which also shows the
 *                 waiting room; ended) and a polite live status region; no
 *                 inline script or style (the page's CSP forbids it).
 * - protocol.js   HearthSession: the signaling WebSocket (docs/protocol.md)
 *                 and its events; with roomstate.js (the room as the server
 *                 last said it: participants, settings, hands, chat) and
 *                 media.js (the local tracks and the two peer connections:
 *                 "pub" offers our microphone and camera once admitted, "sub"
 *                 receives everyone else's); connection.js (the socket, and
 *                 coming back after it was lost), roomevents.js and
 *                 requests.js. These never touch the page.
 * - ui.js         this file: starts the page, joins, wires the session's
 *                 events to the parts below, announces what concerns this
 *                 person, and keeps the identity token in sessionStorage per
 *                 room so a reload in the same tab comes back as the same
 *                 participant (and a removed person stays removed).
 * - page.js       what the parts share: the view, the session, the local
 *                 stream, the status line, render().
 * - dom.js        the page's elements; labels, in-place lists, focus keeping.
 * - prejoin.js    camera/microphone preview, level meter, the name form.
 * - stage.js      the tile grid.
 * - timer.js      the share timer.
 * - toolbar.js    microphone, camera, hand, rename, leave; "please unmute".
 * - panels.js     the participants, waiting room and hands lists.
 * - moderation.js the facilitator controls.
 * - inline.js     inline forms and confirmations (rename, remove, end).
 * - chat.js       the chat.
 * - app.css       the styles.
 *
 * The room id is the last segment of the page path; the link's key is in
 * the fragment (#k=<member key>, #f=<facilitator key> or #i=<invite>),
 * which is sent only inside `join`, never in an HTTP request.
 * Names and chat are shown on the page but never written to the console or
 * to storage (only the own name and the identity token are kept, in
 * sessionStorage).
 *
 * What the page shows about anyone's microphone and camera, one's own
 * included, is the server's last record of them: no part keeps a copy, and
 * none reads state back from a button's label.
 *
 * Every button has its full accessible name as its text: where the visible
 * text is shorter (e.g. "Mute" in Bob's row) the rest is in a visually
 * hidden span, so the text content reads "Mute Bob". The visible part is
 * always the start of the name (WCAG 2.5.3, label in name). Lists are updated in
 * place, keyed by participant or message id, so keyboard focus survives
 * room events; inline forms (rename, confirmations) exist only while open,
 * one at a time.
 */

import { HearthSession, wsURL, isFacilitatorRole } from './protocol.js';
import { els, setText, rememberFocus, restoreFocus } from './dom.js';
import { page, show, setStatus, setRenderer } from './page.js';
import { initPrejoin, stopPreview, renderWaitingTalk, askPasscode, passcodeForJoin } from './prejoin.js';
import { renderTiles, attachRemote, detachRemote, clearTiles, initStage } from './stage.js';
import { renderParticipants, renderWaitingList, renderHands, clearPanels } from './panels.js';
import { renderToolbar, initToolbar, openAskUnmute, closeAskUnmute } from './toolbar.js';
import { renderFacControls, initModeration } from './moderation.js';
import { renderTimer, showTimerNote, timerChanged, resetTimer } from './timer.js';
import { renderChat, clearChat, initChat } from './chat.js';
import { syncInline, pruneInline, dropInline, initInline } from './inline.js';

/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./protocol.js').Room} Room */
/** @typedef {import('./page.js').ListContext} ListContext */

// ---- page context -----------------------------------------------------------

const roomId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const linkKeys = new URLSearchParams(location.hash.replace(/^#/, ''));
const facilitatorKey = linkKeys.get('f') || '';
const memberKey = linkKeys.get('k') || '';
const inviteKey = linkKeys.get('i') || '';
const IDENTITY_KEY = `hearth.identity.${roomId}`;
const NAME_KEY = `hearth.name.${roomId}`;

/** @param {string} key @returns {string|null} */
function load(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string|null} value */
function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // storage may be disabled; the session still works without it
  }
}

/** @param {string} a @param {string} b @returns {boolean} the same sentence, give or take case and a full stop */
function sameSentence(a, b) {
  const n = (/** @type {string} */ s) => s.trim().replace(/[.!]+$/, '').toLowerCase();
  return n(a) === n(b);
}

/**
 * The server's message as it is, ending with a full stop.
 * @param {string} text
 * @returns {string}
 */
function asSentence(text) {
  const t = text.trim();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}

// ---- joining ------------------------------------------------------------------

/**
 * How a meeting ends for this person when the server says so (bye reason,
 * or the event about them); none of these offers a rejoin.
 * @type {Record<string, [string, string]>}
 */
const FINAL = {
  removed: ['You were removed from this meeting by the facilitator.', ''],
  denied: ['The facilitator did not admit you.', ''],
  link_rotated: ['This link has been replaced.', "Ask the group's facilitator for the new link."],
  ended: ['The meeting has ended.', 'Thank you for being here.'],
};

/**
 * Join errors that are shown on their own page, and are not retried.
 * @type {Record<string, {title: string, extra: string, button: string|null}>}
 */
const JOIN_REFUSALS = {
  removed: { title: 'You were removed from this meeting.', extra: '', button: null },
  room_locked: {
    title: 'This room is locked.',
    extra: 'Nobody new can join right now. You can try again in a little while.',
    button: 'Try again',
  },
  forbidden: { title: 'This facilitator link is not valid.', extra: 'Please check the link you were given.', button: null },
  bad_link: {
    title: 'This link is not valid any more.',
    extra: "Ask the group's facilitator for the current link.",
    button: null,
  },
  link_rotated: {
    title: 'This link has been replaced.',
    extra: "Ask the group's facilitator for the new link.",
    button: null,
  },
  waiting_room_full: {
    title: 'The waiting room is full.',
    extra: 'You can try again in a little while.',
    button: 'Try again',
  },
  // The server pinged the connection that has this identity and it
  // answered: this person is in the meeting elsewhere (issue 9).
  identity_in_use: {
    title: 'You are already in this meeting in another tab or device.',
    extra: 'Close it there (or leave the meeting there), then try again here.',
    button: 'Try again',
  },
};

/**
 * The refusal of a join without the facilitator key that brought a
 * facilitator's identity (this tab joined as the facilitator before): the
 * server lets a facilitator back only with the key.
 */
const FACILITATOR_IDENTITY_REFUSAL = { title: 'Please use your facilitator link.', extra: '', button: null };

/** @param {string} name */
function startSession(name) {
  if (page.session) page.session.close();
  const s = new HearthSession({
    url: wsURL(location),
    room: roomId,
    name,
    facilitatorKey: facilitatorKey || undefined,
    memberKey: memberKey || undefined,
    invite: inviteKey || undefined,
    identity: load(IDENTITY_KEY) || undefined,
    passcode: passcodeForJoin() || undefined,
    stream: page.localStream,
  });
  page.session = s;
  lastSelf = null;
  lastRoom = null;
  seenWaiting = new Set();
  const mine = (/** @type {(e: any) => void} */ fn) => (/** @type {Event} */ e) => {
    if (page.session === s) fn(e);
  };

  s.addEventListener('welcome', mine((e) => {
    const { identity, waiting } = e.detail;
    // Kept also after a removal: a reload sends it, and the server keeps
    // the person out.
    if (identity) store(IDENTITY_KEY, identity);
    store(NAME_KEY, name);
    if (waiting) {
      enterWaiting();
    } else {
      if (page.view !== 'meeting') enterMeeting();
      setStatus('You joined the meeting.', 5000);
    }
    noticeChanges();
    drawMeeting();
  }));
  s.addEventListener('sentback', mine(() => {
    closeAskUnmute();
    dropInline();
    enterWaiting();
    setStatus('A facilitator moved you to the waiting room. They can let you in again.');
    drawMeeting();
  }));
  s.addEventListener('admitted', mine(() => {
    enterMeeting();
    setStatus('The facilitator let you in. Welcome to the meeting.', 8000);
    drawMeeting();
  }));
  // The room's events come in runs (a server sends what it held back about
  // the waiting room together): each is taken at once, the page is drawn
  // once for the run.
  for (const type of ['participants', 'room']) {
    s.addEventListener(type, mine(() => {
      noticeChanges();
      drawSoon();
    }));
  }
  s.addEventListener('snapshot', mine(() => drawMeeting()));
  for (const type of ['hands', 'chat', 'chatdeleted']) s.addEventListener(type, mine(() => drawSoon()));
  s.addEventListener('streamadded', mine((e) => {
    attachRemote(e.detail.participantId, e.detail.stream);
    drawSoon();
  }));
  s.addEventListener('streamremoved', mine((e) => {
    detachRemote(e.detail.participantId);
    drawSoon();
  }));
  // What a new record of ours did to the microphone or camera: announced
  // with the rest of the change, now (the "participants" event follows).
  s.addEventListener('selfmedia', mine((e) => {
    noticeChanges(e.detail);
    drawMeeting();
  }));
  s.addEventListener('refused', mine((e) => {
    const { what, message } = e.detail;
    if (what === 'unmute') closeAskUnmute();
    setStatus(message || (what === 'unmute' ? 'You cannot unmute right now.' : 'You cannot turn your camera on right now.'));
    drawMeeting();
  }));
  s.addEventListener('askunmute', mine(() => {
    if (!s.muted) return;
    openAskUnmute();
    setStatus('The facilitator asks you to unmute.');
    drawMeeting();
  }));
  s.addEventListener('timerwarning', mine((e) => {
    const left = Math.max(1, Math.round(e.detail.secondsLeft));
    showTimerNote(`${left} seconds left`, 'warning');
  }));
  s.addEventListener('timerended', mine((e) => {
    const id = e.detail.participantId;
    showTimerNote(id && id === s.selfId ? 'Your share time is up. Thank you for sharing.' : 'Share time is up. Thank you for sharing.', 'ended');
  }));
  s.addEventListener('removed', mine((e) => {
    if (e.detail.self) finish('removed');
  }));
  s.addEventListener('denied', mine((e) => {
    if (e.detail.self) finish('denied');
  }));
  s.addEventListener('ended', mine(() => finish('ended')));
  s.addEventListener('identityrejected', mine(() => store(IDENTITY_KEY, null)));
  s.addEventListener('servererror', mine((e) => {
    const { code, message, beforeWelcome } = e.detail;
    if (beforeWelcome && page.view === 'joining') {
      s.close();
      page.session = null;
      if (askPasscode(code)) return;
      const refusal = code === 'forbidden' && !facilitatorKey ? FACILITATOR_IDENTITY_REFUSAL : JOIN_REFUSALS[code];
      if (refusal) {
        const own = sameSentence(message, refusal.title) ? '' : asSentence(message);
        const detail = [own, refusal.extra].filter(Boolean).join(' ');
        endMeeting(refusal.title, detail, refusal.button);
        return;
      }
      setStatus(message);
      show('prejoin');
      els.join.focus();
      return;
    }
    if (beforeWelcome && code === 'identity_in_use') {
      // A reconnect found this identity alive on another connection (this
      // page's own old socket answers no ping): another tab or device.
      s.close();
      page.session = null;
      const r = JOIN_REFUSALS.identity_in_use;
      endMeeting(r.title, r.extra, r.button);
      return;
    }
    setStatus(message);
  }));
  s.addEventListener('mediaerror', mine(() => {
    setStatus('There was a problem setting up audio and video. Leaving and rejoining may help.');
  }));
  s.addEventListener('connectionstate', mine((e) => {
    if (e.detail.state === 'failed') {
      setStatus('The audio and video connection was interrupted. Reconnecting…');
    }
  }));
  // A lost connection: the session comes back by itself (as itself, when
  // the server still holds it: nobody sees it leave).
  s.addEventListener('connectionlost', mine((e) => {
    if (e.detail.attempt === 1) setStatus('The connection was lost. Reconnecting…');
  }));
  s.addEventListener('reconnected', mine(() => setStatus('You are connected again.', 4000)));
  s.addEventListener('closed', mine((e) => {
    const { byeReason, left } = e.detail;
    page.session = null;
    if (left || page.view === 'ended') return;
    if (page.view === 'joining' || page.view === 'prejoin') {
      show('prejoin');
      setStatus('Could not connect to the meeting. Please check your connection and try again.');
      return;
    }
    const final = byeReason ? FINAL[byeReason] : undefined;
    if (final) {
      endMeeting(final[0], final[1], null);
    } else if (byeReason === 'left') {
      endMeeting('You left the meeting.', '');
    } else if (byeReason === 'replaced') {
      endMeeting('You joined from another tab or window.', 'This page is no longer connected to the meeting.');
    } else {
      endMeeting('The connection to the meeting was lost.', 'Check your internet connection, then rejoin.');
    }
  }));
  s.connect();
}

/**
 * The server ended this person's meeting (removed, denied, ended).
 * @param {'removed'|'denied'|'ended'} reason
 */
function finish(reason) {
  const s = page.session;
  page.session = null;
  if (s) s.close();
  const [title, detail] = FINAL[reason];
  endMeeting(title, detail, null);
}

function leave() {
  const s = page.session;
  page.session = null;
  if (s) s.leave();
  endMeeting('You left the meeting.', '');
}

// ---- views ----------------------------------------------------------------------

function enterWaiting() {
  stopPreview();
  show('waiting');
  setStatus('You are in the waiting room.', 5000);
  els.waitingHeading.focus();
}

function enterMeeting() {
  stopPreview();
  show('meeting');
  els.meetingHeading.focus();
}

/**
 * Shows the ended view and releases the camera and microphone.
 * @param {string} title
 * @param {string} detail
 * @param {string|null} [button] the rejoin button's text; null: no button
 */
function endMeeting(title, detail, button = 'Rejoin') {
  stopPreview();
  clearTiles();
  clearPanels();
  clearChat();
  closeAskUnmute();
  dropInline();
  resetTimer();
  if (page.localStream) for (const t of page.localStream.getTracks()) t.stop();
  show('ended');
  setStatus('');
  els.endedMessage.textContent = title;
  els.endedDetail.textContent = detail;
  els.endedDetail.hidden = detail === '';
  els.rejoin.hidden = !button;
  els.rejoin.textContent = button || 'Rejoin';
  els.endedMessage.focus();
}

// ---- announcements ------------------------------------------------------------

/** The server's records at the last announcement, to tell what changed. @type {Participant|null} */
let lastSelf = null;
/** @type {Room|null} */
let lastRoom = null;
/** People already announced as waiting (facilitators). @type {Set<string>} */
let seenWaiting = new Set();

/**
 * Announces changes that concern this person, all from the server's
 * records: muted or stopped by the server, role changes, being called on,
 * people waiting (facilitators).
 * @param {{forcedMute?: boolean, forcedCameraOff?: boolean, mutedByFacilitator?: boolean}} [media]
 *   what a new record of this person did to the microphone and camera ("selfmedia")
 */
function noticeChanges(media = {}) {
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
  if (isFacilitatorRole(me)) {
    const waitingNow = s.participants.filter((p) => p.status === 'waiting');
    const fresh = waitingNow.filter((p) => !seenWaiting.has(p.id));
    seenWaiting = new Set(waitingNow.map((p) => p.id));
    if (fresh.length === 1) says.push(`${fresh[0].name} is in the waiting room.`);
    else if (fresh.length > 1) says.push(`${fresh.length} people are in the waiting room.`);
  }
  if (says.length > 0) setStatus(says.join(' '));
}

// ---- render -------------------------------------------------------------------------

/** A draw asked for by drawSoon and not yet done. */
let drawQueued = false;

/**
 * Draws the meeting before the next frame (or within 100 ms, where a
 * hidden tab gets no frames), once however many events ask for it
 * meanwhile: a run of events costs one draw, not one each.
 */
function drawSoon() {
  if (drawQueued) return;
  drawQueued = true;
  const run = () => {
    if (drawQueued) drawMeeting();
  };
  requestAnimationFrame(run);
  setTimeout(run, 100);
}

/** Draws the meeting (or the waiting room) from the session's state. */
function drawMeeting() {
  drawQueued = false;
  const s = page.session;
  if (!s || (page.view !== 'meeting' && page.view !== 'waiting')) return;
  const mark = rememberFocus();
  const room = s.room;
  setText(els.roomName, room.name);
  const waiting = page.view === 'waiting';
  els.tiles.hidden = waiting;
  els.side.hidden = waiting;
  for (const b of [els.mute, els.camera, els.hand]) b.hidden = waiting;
  const me = s.self;
  if (waiting || !me) {
    setText(els.guidelines, room.guidelines || 'The facilitator has not shared guidelines for this group.');
    els.renameSelf.hidden = true;
    els.muteNote.hidden = true;
    els.askUnmute.hidden = true;
    els.fac.hidden = true;
    els.timerBox.hidden = true;
    if (waiting) renderWaitingTalk(s);
    syncInline();
    restoreFocus(mark);
    return;
  }
  const people = s.participants;
  const admitted = people.filter((p) => p.status !== 'waiting');
  /** @type {ListContext} */
  const ctx = { me, room, hands: s.hands, fac: isFacilitatorRole(me) };
  pruneInline(ctx);

  renderTiles(s, admitted, room, ctx.hands);
  renderParticipants(admitted, ctx);
  renderWaitingList(people.filter((p) => p.status === 'waiting'), ctx);
  renderHands(ctx.hands, admitted);
  renderToolbar(s, ctx);
  renderFacControls(ctx);
  renderTimer();
  renderChat(s, admitted, ctx);
  syncInline();
  restoreFocus(mark);
}

// ---- start ----------------------------------------------------------------------

setRenderer(drawMeeting);
initPrejoin(roomId, startSession);
initStage();
initToolbar(leave);
initModeration();
initChat();
initInline();
els.rejoin.addEventListener('click', () => {
  location.reload();
});

show('prejoin');
const savedName = load(NAME_KEY);
if (savedName && !els.name.value) els.name.value = savedName;
