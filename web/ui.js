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
 * - ui.js         this file: starts the page and draws the meeting from
 *                 the session's state, calling each part below.
 * - join.js       the link, the session and its events, join refusals,
 *                 reconnecting; the identity token in sessionStorage per
 *                 room, so a reload in the same tab comes back as the same
 *                 participant (and a removed person stays removed).
 * - views.js      waiting screen, meeting, and the ended page's words.
 * - notices.js    announcements of what concerns this person; the top
 *                 bar's count of people waiting.
 * - page.js       what the parts share: the view, the session, the local
 *                 stream, the status line, render() and renderSoon().
 * - dom.js        the page's elements; labels, in-place lists, focus
 *                 keeping (no state of the meeting).
 * - menu.js       menu buttons ("Actions for NAME", "More").
 * - devices.js    Camera and Microphone switches, source pickers, preview,
 *                 level meter (before joining and while waiting).
 * - prejoin.js    the name form and passcode; the waiting room's talk.
 * - stage.js      the tiles; layout.js sizes them to fill the stage, in
 *                 pages, or one speaker large (Speaker view).
 * - videoview.js  tells the server the size each remote video is shown at
 *                 (video_sizes) and runs the Audio only switch; the
 *                 camera's simulcast layers are simulcast.js's (no DOM).
 * - proof.js      proofs of attendance (Get attendance proof; Confirm
 *                 attendance for NAME in facilitators' Actions menus).
 * - timer.js      the share timer; format.js the meeting format's segment.
 * - toolbar.js    microphone, camera, hand, More, leave; "please unmute".
 * - panels.js     the waiting room, hands and participants lists, with a
 *                 facilitator's per-person "Actions for NAME" menu.
 * - moderation.js the facilitator controls.
 * - inline.js     inline forms and confirmations (rename, remove, end).
 * - chat.js       the chat; sheet.js shows people or chat as a sheet on
 *                 small screens, with the unread count.
 * - shortcuts.js  keyboard shortcuts (m, v, h, c, p), which can be
 *                 switched off.
 * - app.css       the styles.
 *
 * The room id is the last segment of the page path; the link's key is in
 * the fragment (#k=<member key>, #f=<facilitator key> or #i=<invite>),
 * which is sent only inside `join`, never in an HTTP request.
 * Each piece of state has one owner: the room as the server said it is
 * the session's (protocol.js, roomstate.js); the view is page.js's; what
 * a part shows (an open menu, an open form, the tile page) is that part's.
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

import { isFacilitatorRole } from './protocol.js';
import { els, setText, rememberFocus, restoreFocus } from './dom.js';
import { page, show, setRenderer } from './page.js';
import { initPrejoin, renderWaitingTalk } from './prejoin.js';
import { renderDevices } from './devices.js';
import { renderTiles, initStage } from './stage.js';
import { renderParticipants, renderWaitingList, renderHands } from './panels.js';
import { renderToolbar, initToolbar } from './toolbar.js';
import { renderFacControls, initModeration } from './moderation.js';
import { renderTimer } from './timer.js';
import { renderProof, initProof } from './proof.js';
import { renderFormat, initFormat } from './format.js';
import { renderChat, initChat } from './chat.js';
import { syncInline, pruneInline, initInline } from './inline.js';
import { renderWaitingCount } from './notices.js';
import { renderSheet, initSheet } from './sheet.js';
import { initShortcuts } from './shortcuts.js';
import { initMenus } from './menu.js';
import { roomId, startSession, leave, load, NAME_KEY, showRoomName } from './join.js';
import { renderScreen, initScreenShare } from './screenshare.js';
import { initSafety, renderReports } from './safety.js';
import { initBlur } from './blur.js';

/** @typedef {import('./page.js').ListContext} ListContext */

/** Draws the meeting (or the waiting room) from the session's state. */
function drawMeeting() {
  const s = page.session;
  if (!s || (page.view !== 'meeting' && page.view !== 'waiting')) return;
  const mark = rememberFocus();
  const room = s.room;
  setText(els.roomName, room.name);
  const me = s.self;
  if (page.view === 'waiting' || !me) {
    setText(els.guidelines, room.guidelines || 'The facilitator has not shared guidelines for this group.');
    renderWaitingCount(0);
    renderWaitingTalk(s);
    renderDevices();
    syncInline();
    restoreFocus(mark);
    return;
  }
  const people = s.participants;
  const admitted = people.filter((p) => p.status !== 'waiting');
  const waiting = people.filter((p) => p.status === 'waiting');
  /** @type {ListContext} */
  const ctx = { me, room, hands: s.hands, fac: isFacilitatorRole(me), talking: talkingOf(s) };
  pruneInline(ctx);

  renderScreen(s, admitted, ctx);
  renderTiles(s, admitted, ctx);
  renderWaitingList(waiting, ctx);
  renderWaitingCount(ctx.fac ? waiting.length : 0);
  renderHands(ctx.hands, admitted, ctx);
  renderParticipants(admitted, ctx);
  renderToolbar(s, ctx);
  renderFacControls(ctx);
  renderTimer();
  renderProof(ctx);
  renderFormat(ctx);
  renderChat(s, admitted, ctx);
  renderReports(s, ctx);
  renderSheet(admitted.length);
  syncInline();
  restoreFocus(mark);
}

/**
 * Who is talking now, as the server last said ("speakers" events).
 * @param {import('./protocol.js').HearthSession} s
 * @returns {Set<string>}
 */
function talkingOf(s) {
  const t = /** @type {any} */ (s).talking;
  return t instanceof Set ? t : new Set(Array.isArray(t) ? t : []);
}

// ---- start ----------------------------------------------------------------------

setRenderer(drawMeeting);
initPrejoin(roomId, startSession);
initStage();
initToolbar(leave);
initScreenShare();
initModeration();
initProof();
initFormat();
initChat();
initInline();
initSheet();
initShortcuts();
initMenus();
initSafety();
initBlur();
els.rejoin.addEventListener('click', () => {
  location.reload();
});

show('prejoin');
showRoomName();
const savedName = load(NAME_KEY);
if (savedName && !els.name.value) els.name.value = savedName;
