// On small screens the people and the chat are a sheet that slides up
// over the stage, opened by the top bar's People and Chat buttons; the
// Chat button counts messages that came while the chat was not in view.
// On wide screens both are always beside the stage. What the sheet shows
// and the unread count are this module's.

import { els, setText } from './dom.js';
import { page } from './page.js';

/** @typedef {import('./protocol.js').ChatMessage} ChatMessage */

/** The width at and under which the page uses its phone layout (app.css says the same). */
const NARROW = '(max-width: 700px)';

/** What the sheet shows: "" (closed), "people" or "chat". */
let showing = '';
/** Chat messages from others not yet seen. */
let unread = 0;

/** @returns {boolean} the page uses its phone layout */
export function isNarrow() {
  return window.matchMedia(NARROW).matches;
}

/** @returns {boolean} the chat is in view */
function chatInView() {
  return !isNarrow() || showing === 'chat';
}

/**
 * Counts a new chat message, unless it is one's own or the chat is in view.
 * @param {ChatMessage} m
 * @param {string} selfId
 */
export function noteChat(m, selfId) {
  if (m.from !== selfId && !chatInView()) unread++;
}

/**
 * Opens the sheet on people or chat, or closes it ("").
 * @param {''|'people'|'chat'} what
 */
function open(what) {
  showing = what;
  if (what === 'chat') unread = 0;
  renderSheet(-1);
  if (what === 'people') els.handsHeading.focus();
  else if (what === 'chat') els.chatText.focus();
}

/** Closes the sheet (a view change). */
export function closeSheet() {
  showing = '';
  renderSheet(-1);
}

/** Where the waiting room panel goes: at the top of the side column, or above the toolbar on a phone. */
function placeWaitingPanel() {
  const home = isNarrow() ? els.dock : els.sideWrap;
  if (els.waitingPanel.parentElement !== home) home.prepend(els.waitingPanel);
}

/**
 * Draws the People and Chat buttons and the sheet.
 * @param {number} people  how many are in the meeting (-1: unchanged)
 */
export function renderSheet(people) {
  els.side.setAttribute('data-sheet', showing);
  els.openPeople.setAttribute('aria-expanded', String(showing === 'people'));
  els.openChat.setAttribute('aria-expanded', String(showing === 'chat'));
  if (people >= 0) setText(els.peopleCount, people > 0 ? ` ${people}` : '');
  setText(els.chatUnread, unread > 0 ? ` ${unread} new` : '');
  placeWaitingPanel();
}

export function initSheet() {
  els.openPeople.addEventListener('click', () => open(showing === 'people' ? '' : 'people'));
  els.openChat.addEventListener('click', () => open(showing === 'chat' ? '' : 'chat'));
  els.closeSheet.addEventListener('click', () => {
    const back = showing === 'chat' ? els.openChat : els.openPeople;
    open('');
    back.focus();
  });
  els.side.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && showing && isNarrow()) {
      e.preventDefault();
      els.closeSheet.click();
    }
  });
  els.waitingCount.addEventListener('click', () => {
    if (isNarrow()) open('');
    els.waitingListHeading.focus();
  });
  window.matchMedia(NARROW).addEventListener('change', () => {
    if (page.view === 'meeting') renderSheet(-1);
  });
}
