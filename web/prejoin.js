// Before joining: the name form (with a "Passcode" field once the server
// asks for the room's passcode); the camera and microphone are devices.js.
// In the waiting room: the conversation with the facilitators, if one of
// them wrote.

import { els, h, reconcile } from './dom.js';
import { page, setStatus, show } from './page.js';
import { initDevices, devicesSettled } from './devices.js';

/** @typedef {import('./page.js').View} View */
/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./protocol.js').ChatMessage} ChatMessage */

/** @param {string} name @returns {string} an error message, or "" if the name is fine */
export function nameProblem(name) {
  if (name.length === 0) return 'Please enter your name.';
  if (Array.from(name).length > 40) return 'Please use at most 40 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Please use only letters, numbers, spaces and punctuation.';
  return '';
}

/**
 * Opens the camera and microphone for the preview and wires the name
 * form: a valid name, once the media question is settled, calls join.
 * @param {string} roomId  the room id from the link ("" when it has none)
 * @param {(name: string) => void} join
 */
export function initPrejoin(roomId, join) {
  initDevices();

  els.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (page.view !== 'prejoin') return;
    const name = els.name.value.trim();
    const problem = nameProblem(name);
    showNameError(problem);
    if (problem) {
      els.name.focus();
      return;
    }
    if (passcode && !passcode.field.hidden && passcodeForJoin() === '') {
      showPasscodeError('Please enter the passcode.', true);
      passcode.input.focus();
      return;
    }
    if (!roomId) {
      setStatus('This link has no meeting in it. Please check the link you were given.');
      return;
    }
    show('joining');
    setStatus('Connecting…');
    await devicesSettled();
    if (/** @type {View} */ (page.view) !== 'joining') return; // left or failed meanwhile
    join(name);
  });

  els.name.addEventListener('input', () => {
    if (!els.nameError.hidden && nameProblem(els.name.value.trim()) === '') showNameError('');
  });
}

// ---- the room's passcode ----------------------------------------------------------

/** The passcode field, built when the server first asks for it. @type {{field: HTMLElement, input: HTMLInputElement, error: HTMLElement}|null} */
let passcode = null;

/** Builds the "Passcode" field in the name form, before the Join button, once. */
function passcodeBox() {
  if (passcode) return passcode;
  const field = h('div', 'passcode-field');
  const label = /** @type {HTMLLabelElement} */ (h('label', '', 'Passcode'));
  label.htmlFor = 'passcode';
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = 'passcode';
  input.name = 'passcode';
  input.type = 'password';
  input.maxLength = 64;
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('aria-describedby', 'passcode-hint passcode-error');
  const hint = h('p', 'hint', 'The group shares its passcode with its members.');
  hint.id = 'passcode-hint';
  const error = h('p', 'field-error');
  error.id = 'passcode-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  field.append(label, input, hint, error);
  els.form.insertBefore(field, els.join);
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid')) showPasscodeError('', false);
  });
  passcode = { field, input, error };
  return passcode;
}

/** @returns {string} the passcode typed in, trimmed ("" when none was asked for) */
export function passcodeForJoin() {
  return passcode ? passcode.input.value.trim() : '';
}

/**
 * @param {string} message
 * @param {boolean} invalid whether the field's value is at fault
 */
function showPasscodeError(message, invalid) {
  if (!passcode) return;
  passcode.error.textContent = message;
  passcode.error.hidden = message === '';
  if (invalid) passcode.input.setAttribute('aria-invalid', 'true');
  else passcode.input.removeAttribute('aria-invalid');
}

/**
 * Handles a join the server refused for the room's passcode
 * (passcode_required, bad_passcode): back to the form, with the
 * "Passcode" field and what to do, so that Join tries again with it.
 * @param {string} code the error code
 * @returns {boolean} whether the refusal was about the passcode
 */
export function askPasscode(code) {
  if (code !== 'passcode_required' && code !== 'bad_passcode') return false;
  const p = passcodeBox();
  p.field.hidden = false;
  show('prejoin');
  setStatus('');
  if (code === 'bad_passcode') {
    showPasscodeError('That passcode is not right. Please check it and try again.', true);
    p.input.select();
  } else {
    showPasscodeError('This meeting needs a passcode. Please enter the passcode you were given.', false);
  }
  p.input.focus();
  return true;
}

/**
 * Handles a join the server refused for the name (bad_name: the room
 * takes first names only): back to the form, with the server's message
 * under "Your name".
 * @param {string} code the error code
 * @param {string} message the server's message
 * @returns {boolean} whether the refusal was about the name
 */
export function askName(code, message) {
  if (code !== 'bad_name') return false;
  show('prejoin');
  setStatus('');
  showNameError(message);
  els.name.select();
  els.name.focus();
  return true;
}

/** @param {string} message */
function showNameError(message) {
  els.nameError.textContent = message;
  els.nameError.hidden = message === '';
  if (message) els.name.setAttribute('aria-invalid', 'true');
  else els.name.removeAttribute('aria-invalid');
}

// ---- the waiting room's conversation with the facilitators -----------------------

/** @type {{box: HTMLElement, log: HTMLElement, form: HTMLFormElement, input: HTMLInputElement}|null} */
let talk = null;

/** Builds the conversation's section in the waiting screen, once. */
function talkBox() {
  if (talk) return talk;
  const box = h('section', 'waiting-talk');
  box.setAttribute('aria-labelledby', 'waiting-talk-heading');
  const heading = h('h3', '', 'Messages from the facilitators');
  heading.id = 'waiting-talk-heading';
  const log = h('div', 'chat-log');
  log.id = 'waiting-talk-log';
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  const form = /** @type {HTMLFormElement} */ (h('form', 'inline-form'));
  form.noValidate = true;
  const label = /** @type {HTMLLabelElement} */ (h('label', '', 'Reply to the facilitators'));
  label.htmlFor = 'waiting-reply';
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = 'waiting-reply';
  input.type = 'text';
  input.maxLength = 500;
  input.autocomplete = 'off';
  const send = /** @type {HTMLButtonElement} */ (h('button', 'small primary', 'Send reply'));
  send.type = 'submit';
  const row = h('div', 'inline-row');
  row.append(input, send);
  form.append(label, row);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text === '' || !page.session) return;
    if (Array.from(text).length > 500) {
      setStatus('A message can be at most 500 characters.');
      return;
    }
    if (page.session.sendChat(text, 'facilitators')) input.value = '';
    else setStatus('The message could not be sent. Please check your connection.');
    input.focus();
  });
  box.append(heading, log, form);
  box.hidden = true;
  els.waiting.append(box);
  talk = { box, log, form, input };
  return talk;
}

/**
 * Shows what a facilitator wrote to this person while they wait, and
 * their answers; the reply box appears once a facilitator has written
 * (the server allows answers only then, and only to the facilitators).
 * @param {HearthSession} s
 */
export function renderWaitingTalk(s) {
  const messages = s.chat;
  if (messages.length === 0 && !talk) return;
  const t = talkBox();
  const me = s.selfId;
  t.box.hidden = messages.length === 0;
  t.form.hidden = !messages.some((m) => m.to === me && m.from !== me);
  reconcile(t.log, messages.map((m, i) => ({ key: m.id ? `m:${m.id}` : `i:${i}`, item: m })), (/** @type {ChatMessage} */ m) => {
    const line = h('p', 'chat-line');
    line.append(h('span', 'chat-from', m.from === me ? 'You' : m.fromName || 'A facilitator'), ': ', h('span', 'chat-text', m.text));
    return line;
  }, () => {});
}
