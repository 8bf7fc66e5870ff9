// Keyboard shortcuts for the frequent things: m (mute or unmute), v
// (camera), h (hand), c (the chat message field), p (the participants).
// They act only in the meeting, never while typing in a field or with a
// modifier key, and "Use keyboard shortcuts" (under Keyboard shortcuts in
// the More menu) switches them off.

import { els } from './dom.js';
import { page } from './page.js';
import { onMenuItem } from './menu.js';
import { toggleMute, toggleCamera, toggleHand } from './toolbar.js';
import { isNarrow } from './sheet.js';

/** @param {EventTarget|null} t @returns {boolean} the key goes into a field */
function typing(t) {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
}

/** Opens or closes the list of shortcuts. */
function toggleList() {
  els.shortcuts.hidden = !els.shortcuts.hidden;
  if (!els.shortcuts.hidden) els.shortcutsHeading.focus();
  else els.more.focus();
}

export function initShortcuts() {
  onMenuItem(els.showShortcuts, toggleList);
  els.closeShortcuts.addEventListener('click', toggleList);
  document.addEventListener('keydown', (e) => {
    if (!els.shortcutsOn.checked || page.view !== 'meeting' || !page.session) return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || typing(e.target)) return;
    if (/** @type {Element} */ (e.target).closest && /** @type {Element} */ (e.target).closest('[role="menu"]')) return;
    const key = e.key.toLowerCase();
    if (key === 'm') toggleMute();
    else if (key === 'v') toggleCamera();
    else if (key === 'h') toggleHand();
    else if (key === 'c') {
      if (isNarrow() && els.side.getAttribute('data-sheet') !== 'chat') els.openChat.click();
      else els.chatText.focus();
    } else if (key === 'p') {
      if (isNarrow() && els.side.getAttribute('data-sheet') !== 'people') els.openPeople.click();
      else els.participantsHeading.focus();
    } else return;
    e.preventDefault();
  });
}
