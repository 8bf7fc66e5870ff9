// Moving between the page's views: the waiting screen, the meeting, and
// the page that says why the meeting ended for this person, in calm words
// with a next step (the operator's support text, when the server sends
// one with the page).

import { els, setText } from './dom.js';
import { page, show, setStatus } from './page.js';
import { placeDevices, stopPreview, releaseDevices } from './devices.js';
import { clearTiles } from './stage.js';
import { clearScreens } from './screenshare.js';
import { clearPanels } from './panels.js';
import { clearChat } from './chat.js';
import { closeAskUnmute } from './toolbar.js';
import { dropInline } from './inline.js';
import { resetTimer } from './timer.js';
import { closeSheet } from './sheet.js';

/**
 * How a meeting ends for this person when the server says so (bye reason,
 * or the event about them); none of these offers a rejoin.
 * @type {Record<string, [string, string]>}
 */
export const FINAL = {
  removed: [
    'You were removed from this meeting by the facilitator.',
    'This can be hard. If you would like to talk about it, the group\'s facilitator or another member you trust may be a good next step.',
  ],
  denied: ['The facilitator did not admit you.', 'You may ask the group\'s facilitator about the next meeting.'],
  ended: ['The meeting has ended.', 'Thank you for being here, and for what you shared.'],
  link_rotated: ['This link has been replaced.', "Ask the group's facilitator for the new link."],
};

/** Shows the waiting screen, with the camera and microphone panel. */
export function enterWaiting() {
  closeSheet();
  show('waiting');
  placeDevices();
  setStatus('You are in the waiting room.', 5000);
  els.waitingHeading.focus();
}

/** Shows the meeting; the camera shows in one's tile from now on. */
export function enterMeeting() {
  stopPreview();
  show('meeting');
  els.meetingHeading.focus();
}

/**
 * Shows the ended view and releases the camera and microphone.
 * @param {string} title
 * @param {string} detail
 * @param {string|null} [button] the rejoin button's text; null: no button
 * @param {boolean} [support] show the operator's support text (removed, denied, ended)
 */
export function endMeeting(title, detail, button = 'Rejoin', support = false) {
  clearTiles();
  clearScreens();
  clearPanels();
  clearChat();
  closeAskUnmute();
  closeSheet();
  dropInline();
  resetTimer();
  releaseDevices();
  show('ended');
  setStatus('');
  els.endedMessage.textContent = title;
  els.endedDetail.textContent = detail;
  els.endedDetail.hidden = detail === '';
  els.supportText.hidden = !support || (els.supportText.textContent || '').trim() === '';
  els.rejoin.hidden = !button;
  setText(els.rejoin, button || 'Rejoin');
  els.endedMessage.focus();
}

/**
 * The server ended this person's meeting (removed, denied, ended).
 * @param {'removed'|'denied'|'ended'} reason
 */
export function finish(reason) {
  const s = page.session;
  page.session = null;
  if (s) s.close();
  const [title, detail] = FINAL[reason];
  endMeeting(title, detail, null, true);
}
