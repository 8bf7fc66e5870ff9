// Inline forms and confirmations: rename oneself, rename or remove someone,
// write to someone in the waiting room, end the meeting. At most one is open; it exists only while open, in the
// slot of what opened it, and focus goes back there when it closes.

import { els, h, setLabel, focusable } from './dom.js';
import { page, render, moderate } from './page.js';
import { nameProblem } from './prejoin.js';

/** @typedef {import('./dom.js').LabelParts} LabelParts */
/** @typedef {import('./page.js').ListContext} ListContext */

/**
 * The one inline form or confirmation that is open, if any.
 * @typedef {{kind: 'rename-self'}|{kind: 'end'}|{kind: 'rename'|'remove'|'message', id: string, name: string}} Inline
 */

/** What is open. @type {Inline|null} */
let open = null;
/** Its element, once placed. @type {HTMLElement|null} */
let openEl = null;
/** Which form openEl is ("kind:id"). */
let openKey = '';
/** Focus the form at the next sync (it was just opened). */
let focusNext = false;

/** @param {Inline} next */
export function openInline(next) {
  open = next;
  focusNext = true;
  render();
}

/** @param {Inline} next  opens it, or closes it when a form of its kind is open */
export function toggleInline(next) {
  if (open && open.kind === next.kind) closeInline();
  else openInline(next);
}

/**
 * Closes the open inline form and puts focus back on what opened it.
 * @param {boolean} [refocus]
 */
export function closeInline(refocus = true) {
  const was = open;
  open = null;
  render();
  if (!refocus || !was) return;
  /** @type {Element|null} */
  let back = null;
  if (was.kind === 'rename-self') back = els.renameSelf;
  else if (was.kind === 'end') back = els.endMeeting;
  else if (was.kind === 'message') back = document.querySelector(`[data-fkey="${CSS.escape(`w:${was.id}:message`)}"]`);
  else back = document.querySelector(`[data-fkey="${CSS.escape(`p:${was.id}:menu`)}"]`);
  if (was.kind === 'rename-self' && !focusable(back)) back = els.more;
  if (focusable(back)) back.focus();
}

/** Closes whatever is open, without moving focus (the meeting ended). */
export function dropInline() {
  open = null;
  syncInline();
}

/**
 * Closes a form the person may no longer use (a role or setting changed).
 * @param {ListContext} ctx
 */
export function pruneInline(ctx) {
  if (open && open.kind !== 'rename-self' && !ctx.fac) open = null;
  if (open && open.kind === 'rename-self' && !(ctx.fac || ctx.room.selfRename)) open = null;
}

/** Escape closes an open inline form or confirmation. */
export function initInline() {
  els.meeting.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && open) {
      e.preventDefault();
      closeInline();
    }
  });
}

/**
 * A small form: label, text field, "Save name" and "Cancel".
 * @param {string} id     the field's id
 * @param {string} label
 * @param {(name: string) => void} save
 * @returns {HTMLElement}
 */
function nameForm(id, label, save) {
  const form = /** @type {HTMLFormElement} */ (h('form', 'inline-form'));
  form.noValidate = true;
  const lab = /** @type {HTMLLabelElement} */ (h('label', '', label));
  lab.htmlFor = id;
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = id;
  input.type = 'text';
  input.maxLength = 40;
  input.autocomplete = 'off';
  input.spellcheck = false;
  const error = h('p', 'field-error');
  error.id = `${id}-error`;
  error.setAttribute('role', 'alert');
  error.hidden = true;
  input.setAttribute('aria-describedby', error.id);
  const saveBtn = /** @type {HTMLButtonElement} */ (h('button', 'small primary', 'Save name'));
  saveBtn.type = 'submit';
  const cancel = /** @type {HTMLButtonElement} */ (h('button', 'small', 'Cancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => closeInline());
  const row = h('div', 'inline-row');
  row.append(input, saveBtn, cancel);
  form.append(lab, row, error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = input.value.trim();
    const problem = nameProblem(name);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    save(name);
    closeInline();
  });
  return form;
}

/**
 * A small form to write to someone in the waiting room: label, text
 * field, "Send message" and "Cancel". The message goes to them alone; they may
 * answer the facilitators.
 * @param {string} id    the person's participant id
 * @param {string} name  their display name
 * @returns {HTMLElement}
 */
function messageForm(id, name) {
  const form = /** @type {HTMLFormElement} */ (h('form', 'inline-form'));
  form.noValidate = true;
  const lab = /** @type {HTMLLabelElement} */ (h('label', '', `Message to ${name}`));
  lab.htmlFor = 'message-waiting-input';
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = 'message-waiting-input';
  input.type = 'text';
  input.maxLength = 500;
  input.autocomplete = 'off';
  input.placeholder = 'Is this your first meeting?';
  const send = /** @type {HTMLButtonElement} */ (h('button', 'small primary', 'Send message'));
  send.type = 'submit';
  const cancel = /** @type {HTMLButtonElement} */ (h('button', 'small', 'Cancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => closeInline());
  const row = h('div', 'inline-row');
  row.append(input, send, cancel);
  form.append(lab, row);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text === '' || !page.session) {
      input.focus();
      return;
    }
    if (page.session.sendChat(text, id)) closeInline();
  });
  return form;
}

/**
 * A confirmation: a question, a confirm button and "Cancel".
 * @param {string} question
 * @param {LabelParts} confirmLabel
 * @param {() => void} confirm
 * @returns {HTMLElement}
 */
function confirmBox(question, confirmLabel, confirm) {
  const box = h('div', 'confirm');
  const q = h('span', 'confirm-question', question);
  const yes = /** @type {HTMLButtonElement} */ (h('button', 'small danger'));
  yes.type = 'button';
  setLabel(yes, confirmLabel);
  yes.addEventListener('click', () => {
    confirm();
    closeInline();
  });
  const no = /** @type {HTMLButtonElement} */ (h('button', 'small', 'Cancel'));
  no.type = 'button';
  no.addEventListener('click', () => closeInline());
  box.append(q, ' ', yes, ' ', no);
  return box;
}

/** @param {Inline} it @returns {HTMLElement} */
function createInline(it) {
  switch (it.kind) {
    case 'rename-self':
      return nameForm('rename-self-input', 'New name', (name) => {
        if (page.session) page.session.rename(name);
      });
    case 'rename':
      return nameForm('rename-other-input', `New name for ${it.name}`, (name) => moderate('rename', { target: it.id, name }));
    case 'message':
      return messageForm(it.id, it.name);
    case 'remove':
      return confirmBox(`Remove ${it.name}?`, ['Confirm remove', [` ${it.name}`]], () => moderate('remove', { target: it.id }));
    case 'end':
    default:
      return confirmBox('End the meeting for everyone?', ['Confirm end meeting'], () => moderate('end_meeting'));
  }
}

/** @param {Inline} it @returns {HTMLElement|null} where it goes */
function inlineSlot(it) {
  if (it.kind === 'rename-self') return els.renameSelfSlot;
  if (it.kind === 'end') return els.endSlot;
  const list = it.kind === 'message' ? els.waitingList : els.participants;
  for (const li of list.children) {
    if (li.getAttribute('data-key') === it.id) return /** @type {HTMLElement|null} */ (li.querySelector('.p-inline'));
  }
  return null;
}

/** Shows the open inline form where it belongs (creating it once), or none. */
export function syncInline() {
  const slot = open && page.view === 'meeting' ? inlineSlot(open) : null;
  if (!slot) open = null;
  const key = open ? `${open.kind}:${'id' in open ? open.id : ''}` : '';
  if (key !== openKey || !openEl || (slot && openEl.parentElement !== slot)) {
    if (openEl) openEl.remove();
    openEl = null;
    openKey = key;
    if (open && slot) {
      openEl = createInline(open);
      slot.append(openEl);
    }
  }
  if (focusNext && openEl) {
    const first = openEl.querySelector('input, button.danger, button');
    if (first instanceof HTMLElement) first.focus();
  }
  focusNext = false;
}
