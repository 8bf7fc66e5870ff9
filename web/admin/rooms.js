// The rooms of the admin page: the list with each room's links and Copy
// buttons, creating a room, and each room's actions (edit, make an invite,
// rotate links, delete), which open one at a time in the room's card.
// Focus goes to what an action made, or back to the button that opened a
// form when it closes; results are told in the status line.

import { api } from './api.js';
import { byId, clone, part, say, failed, fieldError, copyField, when, uniqueId } from './view.js';
import { editForm, editBody, scheduleText } from './edit.js';

/** @typedef {import('./api.js').Room} Room */

/**
 * A room shown on the page.
 * @typedef {{room: Room, el: HTMLElement, close: ((refocus?: boolean) => void)|null}} Card
 */

/** The cards by room id. @type {Map<string, Card>} */
const cards = new Map();

/** Sets up the create form and the list's buttons. */
export function initRooms() {
  byId('create-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void create();
  });
  byId('rooms').addEventListener('click', (e) => {
    const btn = /** @type {HTMLElement} */ (e.target).closest('button[data-act]');
    const li = btn?.closest('li[data-room-id]');
    const card = li && cards.get(/** @type {HTMLElement} */ (li).dataset.roomId || '');
    if (btn && card) act(card, /** @type {HTMLButtonElement} */ (btn));
  });
  byId('rooms').addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const li = /** @type {HTMLElement} */ (e.target).closest('li[data-room-id]');
    const card = li && cards.get(/** @type {HTMLElement} */ (li).dataset.roomId || '');
    if (card?.close) {
      e.preventDefault();
      card.close();
    }
  });
}

/** Loads the list of rooms and shows it. */
export async function loadRooms() {
  const note = byId('rooms-note');
  try {
    const { rooms } = await api.rooms();
    byId('rooms').replaceChildren();
    cards.clear();
    for (const room of rooms) place(room);
    note.textContent = 'No rooms yet. Create one above.';
    note.hidden = rooms.length > 0;
  } catch (err) {
    const msg = failed(err, 'The rooms could not be listed');
    note.textContent = msg;
    note.hidden = !msg;
  }
}

/** Forgets every room shown (on sign-out). */
export function clearRooms() {
  byId('rooms').replaceChildren();
  cards.clear();
}

/** Creates a room from the create form. */
async function create() {
  const form = /** @type {HTMLFormElement} */ (byId('create-form'));
  const nameEl = /** @type {HTMLInputElement} */ (byId('new-name'));
  const passEl = /** @type {HTMLInputElement} */ (byId('new-passcode'));
  const error = byId('create-error');
  const name = nameEl.value.trim();
  const passcode = passEl.value;
  fieldError(error, '', passEl);
  if (!name) {
    fieldError(error, 'Type a name for the room.', nameEl);
    nameEl.focus();
    return;
  }
  fieldError(error, '', nameEl);
  if (passcode && (passcode.length < 4 || passcode.length > 64)) {
    fieldError(error, 'A passcode has 4 to 64 characters.', passEl);
    passEl.focus();
    return;
  }
  const submit = /** @type {HTMLButtonElement} */ (byId('create'));
  submit.disabled = true;
  try {
    /** @type {{name: string, passcode?: string}} */
    const body = { name };
    if (passcode) body.passcode = passcode;
    const room = await api.createRoom(body);
    room.name = room.name || name;
    form.reset();
    byId('rooms-note').hidden = true;
    const card = place(room);
    part(card.el, 'title').focus();
    say(`Room “${room.name}” created. Its member and facilitator links are below.`);
  } catch (err) {
    const msg = failed(err, 'The room could not be created');
    if (msg) fieldError(error, msg);
  } finally {
    submit.disabled = false;
  }
}

/**
 * Shows a room's card in the list, in order of name, and returns it.
 * @param {Room} room
 * @returns {Card}
 */
function place(room) {
  const el = clone('room-template', 'room');
  el.dataset.roomId = room.id;
  const title = part(el, 'title');
  for (const btn of el.querySelectorAll('button')) btn.setAttribute('aria-describedby', title.id);
  /** @type {Card} */
  const card = { room, el, close: null };
  fill(card);
  cards.set(room.id, card);
  const list = byId('rooms');
  const after = [...list.children].find((li) => {
    const other = cards.get(/** @type {HTMLElement} */ (li).dataset.roomId || '');
    return other && other !== card && other.room.name.localeCompare(room.name) > 0;
  });
  list.insertBefore(el, after || null);
  return card;
}

/** @param {Card} card  shows the card's room as it is now */
function fill(card) {
  const { room, el } = card;
  part(el, 'title').textContent = room.name;
  part(el, 'summary').textContent = summary(room);
  /** @type {HTMLInputElement} */ (part(el, 'member')).value = room.memberLink;
  /** @type {HTMLInputElement} */ (part(el, 'facilitator')).value = room.facilitatorLink;
}

/**
 * A room's settings in words (no colour or icon needed).
 * @param {Room} room
 */
function summary(room) {
  const s = room.settings;
  const words = [];
  if (s) {
    words.push(s.waitingRoom ? 'Waiting room on' : 'No waiting room');
    words.push(s.muteOnEntry ? 'everyone joins muted' : 'people join unmuted');
    words.push(s.mode === 'moderated' ? 'moderated speaking' : 'open speaking');
  }
  words.push(room.passcodeRequired ? 'passcode required' : 'no passcode');
  const meets = scheduleText(room);
  if (meets) words.push(meets);
  if (room.openInvites) words.push(`${room.openInvites} open invite${room.openInvites === 1 ? '' : 's'}`);
  if (room.createdAt) words.push(`created ${when(room.createdAt)}`);
  const text = words.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/**
 * Runs the action of a card's button.
 * @param {Card} card
 * @param {HTMLButtonElement} btn
 */
function act(card, btn) {
  switch (btn.dataset.act) {
    case 'copy-member':
      void copyField(part(card.el, 'member'), 'Member link');
      break;
    case 'copy-facilitator':
      void copyField(part(card.el, 'facilitator'), 'Facilitator link');
      break;
    case 'edit':
      toggle(card, btn, () => {
        const form = editForm(card.room);
        form.addEventListener('submit', (e) => {
          e.preventDefault();
          void saveEdit(card, form);
        });
        part(form, 'cancel').addEventListener('click', () => card.close?.());
        return form;
      });
      break;
    case 'invite':
      toggle(card, btn, () => inviteForm(card));
      break;
    case 'rotate':
      toggle(card, btn, () => confirmBox(card,
        `Rotate the links of “${card.room.name}”? The current member and facilitator links stop working at once, ` +
        'and people waiting with them are sent away. People already in the meeting stay.',
        'Confirm rotate links', () => rotate(card)));
      break;
    case 'delete':
      toggle(card, btn, () => confirmBox(card,
        `Delete “${card.room.name}”? Its links stop working for good, and a running meeting in it ends.`,
        'Confirm delete room', () => remove(card)));
      break;
  }
}

/**
 * Opens what make() builds in the card's slot (closing what was open), or
 * closes it when btn opened what is open. Closing puts focus back on btn.
 * @param {Card} card
 * @param {HTMLButtonElement} btn
 * @param {() => HTMLElement} make
 */
function toggle(card, btn, make) {
  const slot = part(card.el, 'slot');
  const wasOpen = btn.getAttribute('data-open') === 'true';
  if (card.close) card.close(wasOpen);
  if (wasOpen) return;
  const el = make();
  slot.replaceChildren(el);
  btn.setAttribute('data-open', 'true');
  if (btn.hasAttribute('aria-expanded')) btn.setAttribute('aria-expanded', 'true');
  card.close = (refocus = true) => {
    slot.replaceChildren();
    btn.removeAttribute('data-open');
    if (btn.hasAttribute('aria-expanded')) btn.setAttribute('aria-expanded', 'false');
    card.close = null;
    if (refocus) btn.focus();
  };
  const first = /** @type {HTMLElement|null} */ (el.querySelector('input, select, textarea, button'));
  first?.focus();
}

/**
 * A confirmation in the card: the question, a confirm button and Cancel.
 * @param {Card} card
 * @param {string} question
 * @param {string} label  the confirm button's name
 * @param {() => Promise<void>} confirm
 * @returns {HTMLElement}
 */
function confirmBox(card, question, label, confirm) {
  const box = document.createElement('div');
  box.className = 'confirm';
  box.setAttribute('role', 'group');
  const q = document.createElement('p');
  q.className = 'confirm-question';
  q.id = `${card.el.querySelector('h3')?.id}-confirm`;
  q.textContent = question;
  box.setAttribute('aria-labelledby', q.id);
  const no = document.createElement('button');
  no.type = 'button';
  no.className = 'small';
  no.textContent = 'Cancel';
  no.addEventListener('click', () => card.close?.());
  const yes = document.createElement('button');
  yes.type = 'button';
  yes.className = 'small danger';
  yes.textContent = label;
  yes.addEventListener('click', () => {
    yes.disabled = true;
    void confirm();
  });
  box.append(q, no, ' ', yes);
  return box;
}

/** @param {Card} card */
async function rotate(card) {
  try {
    card.room = await api.rotateLinks(card.room.id);
    fill(card);
    card.close?.();
    say(`New links for “${card.room.name}”. The old member and facilitator links no longer work.`);
  } catch (err) {
    card.close?.();
    const msg = failed(err, 'The links could not be rotated');
    if (msg) say(msg);
  }
}

/** @param {Card} card */
async function remove(card) {
  try {
    await api.deleteRoom(card.room.id);
    card.close?.(false);
    card.el.remove();
    cards.delete(card.room.id);
    const note = byId('rooms-note');
    note.textContent = 'No rooms yet. Create one above.';
    note.hidden = cards.size > 0;
    byId('rooms-heading').focus();
    say(`Room “${card.room.name}” deleted.`);
  } catch (err) {
    card.close?.();
    const msg = failed(err, 'The room could not be deleted');
    if (msg) say(msg);
  }
}

/**
 * @param {Card} card
 * @param {HTMLFormElement} form
 */
async function saveEdit(card, form) {
  const error = part(form, 'error');
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const checked = editBody(form);
  if ('problem' in checked) {
    fieldError(error, checked.problem, checked.field);
    checked.field.focus();
    return;
  }
  fieldError(error, '');
  try {
    card.room = await api.updateRoom(card.room.id, checked.body);
    fill(card);
    card.close?.();
    say(`Saved “${card.room.name}”.`);
  } catch (err) {
    const msg = failed(err, 'The room could not be saved');
    if (msg) fieldError(error, msg);
  }
}

/**
 * The form that makes an invite link.
 * @param {Card} card
 * @returns {HTMLElement}
 */
function inviteForm(card) {
  const form = /** @type {HTMLFormElement} */ (clone('invite-template', 'invite'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void makeInvite(card, form);
  });
  part(form, 'cancel').addEventListener('click', () => card.close?.());
  return form;
}

/**
 * @param {Card} card
 * @param {HTMLFormElement} form
 */
async function makeInvite(card, form) {
  const error = part(form, 'error');
  const usesEl = /** @type {HTMLInputElement} */ (part(form, 'uses'));
  const uses = Number(usesEl.value);
  if (!Number.isInteger(uses) || uses < 1 || uses > 100) {
    fieldError(error, 'Uses must be a whole number from 1 to 100.', usesEl);
    usesEl.focus();
    return;
  }
  fieldError(error, '', usesEl);
  /** @type {{uses: number, expires: string, label?: string}} */
  const body = { uses, expires: /** @type {HTMLSelectElement} */ (part(form, 'expires')).value };
  const label = /** @type {HTMLInputElement} */ (part(form, 'label')).value.trim();
  if (label) body.label = label;
  try {
    const invite = await api.invite(card.room.id, body);
    card.close?.(false);
    const shown = inviteShown(invite, label);
    part(card.el, 'invites').append(shown);
    part(shown, 'invite').focus();
    say(`Invite link made for “${card.room.name}”.`);
  } catch (err) {
    const msg = failed(err, 'The invite could not be made');
    if (msg) fieldError(error, msg);
  }
}

/**
 * An invite link with its Copy button and what it allows.
 * @param {import('./api.js').Invite} invite
 * @param {string} label
 * @returns {HTMLElement}
 */
function inviteShown(invite, label) {
  const box = document.createElement('div');
  box.className = 'link-field invite';
  const lab = document.createElement('label');
  lab.textContent = 'Invite link';
  const row = document.createElement('div');
  row.className = 'inline-row';
  const input = document.createElement('input');
  input.type = 'text';
  input.readOnly = true;
  input.spellcheck = false;
  input.dataset.f = 'invite';
  input.value = invite.link;
  input.id = uniqueId('invite-link');
  lab.htmlFor = input.id;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'small';
  copy.textContent = 'Copy invite link';
  copy.addEventListener('click', () => void copyField(input, 'Invite link'));
  row.append(input, copy);
  const hint = document.createElement('p');
  hint.className = 'hint';
  const times = invite.uses === 1 ? 'once' : `${invite.uses} times`;
  hint.textContent = `Works ${times}, until ${when(invite.expiresAt)}.${label ? ` Note: ${label}` : ''}`;
  box.append(lab, row, hint);
  return box;
}
