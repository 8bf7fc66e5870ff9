// Joining the room from the link: the room id and the key (#k=, #f= or
// #i=) in the page's address, the session and its events, and the
// refusals that end a join with a page of their own. The session comes
// back by itself after a lost connection (connection.js). The identity
// token is kept in sessionStorage per room so a reload in the same tab
// comes back as the same participant (and a removed person stays removed).

import { HearthSession, wsURL } from './protocol.js';
import { els, setText } from './dom.js';
import { page, show, setStatus, render, renderSoon } from './page.js';
import { askPasscode, askName, passcodeForJoin } from './prejoin.js';
import { handDevicesTo } from './devices.js';
import { attachRemote, detachRemote } from './stage.js';
import { openAskUnmute, closeAskUnmute } from './toolbar.js';
import { showTimerNote } from './timer.js';
import { dropInline } from './inline.js';
import { noticeChanges, resetNotices } from './notices.js';
import { FINAL, enterWaiting, enterMeeting, endMeeting, finish } from './views.js';
import { noteChat } from './sheet.js';
import { screenAdded, screenRemoved, screenRefused } from './screenshare.js';
import { initVideoView } from './videoview.js';
import { newHere, watchReports } from './safety.js';

export const roomId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const linkKeys = new URLSearchParams(location.hash.replace(/^#/, ''));
const facilitatorKey = linkKeys.get('f') || '';
const memberKey = linkKeys.get('k') || '';
const inviteKey = linkKeys.get('i') || '';
const IDENTITY_KEY = `hearth.identity.${roomId}`;
export const NAME_KEY = `hearth.name.${roomId}`;

/**
 * Shows the room's name in the top bar before joining: the server tells
 * it to a page that brings the link's key (POST /r/<id>/name; docs/
 * protocol.md, "The room's name before joining"). Without an answer the
 * name waits for the welcome.
 */
export async function showRoomName() {
  if (!roomId || !(memberKey || facilitatorKey || inviteKey)) return;
  try {
    const r = await fetch(`/r/${encodeURIComponent(roomId)}/name`, {
      method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ memberKey, facilitatorKey, invite: inviteKey }),
    });
    const { name } = r.ok ? await r.json() : {};
    if (typeof name === 'string' && !els.roomName.textContent) setText(els.roomName, name);
  } catch {
    // the welcome brings the name
  }
}

/** @param {string} key @returns {string|null} */
export function load(key) {
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
  waiting_room_full: {
    title: 'The waiting room is full.',
    extra: 'You can try again in a little while.',
    button: 'Try again',
  },
  // The server pinged the connection that has this identity and it
  // answered: this person is in the meeting elsewhere (issue 9).
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

/**
 * Joins the room as name (the name form, a reconnection).
 * @param {string} name
 */
export function startSession(name) {
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
    newHere: newHere() || undefined,
    stream: page.localStream,
  });
  page.session = s;
  handDevicesTo(s);
  initVideoView(s);
  resetNotices();
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
    render();
  }));
  s.addEventListener('sentback', mine(() => {
    closeAskUnmute();
    dropInline();
    enterWaiting();
    setStatus('A facilitator moved you to the waiting room. They can let you in again.');
    render();
  }));
  s.addEventListener('admitted', mine(() => {
    enterMeeting();
    setStatus('The facilitator let you in. Welcome to the meeting.', 8000);
    render();
  }));
  // The room's events come in runs (a server sends what it held back about
  // the waiting room together): each is taken at once, the page is drawn
  // once for the run.
  for (const type of ['participants', 'room']) {
    s.addEventListener(type, mine(() => {
      noticeChanges();
      renderSoon();
    }));
  }
  s.addEventListener('snapshot', mine(() => render()));
  watchReports(s, mine);
  for (const type of ['hands', 'chatdeleted', 'speakers']) s.addEventListener(type, mine(() => renderSoon()));
  s.addEventListener('chat', mine((e) => {
    noteChat(e.detail.message, s.selfId);
    renderSoon();
  }));
  s.addEventListener('streamadded', mine((e) => {
    attachRemote(e.detail.participantId, e.detail.stream);
    renderSoon();
  }));
  s.addEventListener('screenadded', mine((e) => screenAdded(e.detail.participantId, e.detail.stream)));
  s.addEventListener('screenremoved', mine((e) => screenRemoved(e.detail.participantId, e.detail.stream)));
  s.addEventListener('streamremoved', mine((e) => {
    detachRemote(e.detail.participantId);
    renderSoon();
  }));
  // What a new record of ours did to the microphone or camera: announced
  // with the rest of the change, now (the "participants" event follows).
  s.addEventListener('selfmedia', mine((e) => {
    noticeChanges(e.detail);
    render();
  }));
  s.addEventListener('refused', mine((e) => {
    const { what, message } = e.detail;
    if (what === 'unmute') closeAskUnmute();
    setStatus(message || (what === 'unmute' ? 'You cannot unmute right now.' : 'You cannot turn your camera on right now.'));
    render();
  }));
  s.addEventListener('askunmute', mine(() => {
    if (!s.muted) return;
    openAskUnmute();
    setStatus('The facilitator asks you to unmute.');
    render();
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
      if (askPasscode(code) || askName(code, message)) return;
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
    if (e.detail.request === 'screen_share') screenRefused();
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
      endMeeting(final[0], final[1], null, true);
    } else if (byeReason === 'left') {
      endMeeting('You left the meeting.', 'Thank you for being here. You can come back with the same link.');
    } else if (byeReason === 'replaced') {
      endMeeting('You joined from another tab or window.', 'This page is no longer connected to the meeting.');
    } else {
      endMeeting('The connection to the meeting was lost.', 'Check your internet connection, then rejoin.');
    }
  }));
  s.connect();
}

/** Leaves the meeting (the Leave button). */
export function leave() {
  const s = page.session;
  page.session = null;
  if (s) s.leave();
  endMeeting('You left the meeting.', 'Thank you for being here. You can come back with the same link.');
}
