// The people panels, in the order a facilitator needs them: the waiting
// room (Admit NAME, Message NAME, Deny NAME on each row), the raised hands
// in queue order (with Next speaker), then the participants, each with
// their state and, for facilitators, one "Actions for NAME" menu. Each
// row says what the server's record says; the lists are updated in place.

import { els, h, setText, reconcile, renderActions } from './dom.js';
import { moderate } from './page.js';
import { openInline } from './inline.js';
import { renderMenu } from './menu.js';
import { proofActions } from './proof.js';

/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./dom.js').Action} Action */

/**
 * The buttons a facilitator sees on one person's row.
 * @param {Participant} p
 * @param {ListContext} ctx
 * @returns {Action[]}
 */
function participantActions(p, ctx) {
  if (!ctx.fac) return [];
  const name = p.name;
  const target = p.id;
  const isSelf = p.id === ctx.me.id;
  // Only a facilitator may act on a facilitator (mute, remove, rename, demote).
  const mayActOn = p.role !== 'facilitator' || ctx.me.role === 'facilitator';
  const mod = (/** @type {string} */ action) => () => moderate(action, { target });
  /** @type {Action[]} */
  const list = [];
  if (!isSelf && ctx.hands.includes(p.id)) {
    list.push({ key: 'hand', label: ['Lower hand', [` ${name}`]], run: mod('lower_hand') });
  }
  if (ctx.room.speaker === p.id) {
    list.push({ key: 'speak', label: ['End turn', [` ${name}`]], run: mod('end_turn') });
  } else {
    list.push({ key: 'speak', label: [`Let ${name} speak`], run: mod('let_speak') });
  }
  if (isSelf || !mayActOn) return list;
  if (p.muted) {
    list.push({ key: 'mute', label: [`Ask ${name} to unmute`], run: mod('ask_unmute') });
  } else {
    list.push({ key: 'mute', label: ['Mute', [` ${name}`]], run: mod('mute') });
  }
  list.push({ key: 'rename', label: ['Rename', [` ${name}`]], run: () => openInline({ kind: 'rename', id: target, name }) });
  if (p.role === 'member') {
    // The gentler step before removal: they wait again, and may be admitted again.
    list.push({ key: 'to-waiting', label: [`Move ${name} to waiting room`], run: mod('move_to_waiting_room') });
  }
  if (p.role === 'member') {
    list.push({ key: 'role', label: ['Promote', [` ${name}`]], run: mod('promote') });
  } else {
    list.push({ key: 'role', label: ['Demote', [` ${name}`]], run: mod('demote') });
  }
  list.push(...proofActions(p, ctx));
  list.push({
    key: 'remove',
    label: ['Remove', [` ${name}`]],
    className: 'danger-outline',
    run: () => openInline({ kind: 'remove', id: target, name }),
  });
  return list;
}

/** @type {WeakMap<Element, string>} */
const lineSigs = new WeakMap();

/** @returns {HTMLElement} */
function createRow() {
  const li = h('li', 'participant');
  li.setAttribute('data-item', '');
  li.append(h('div', 'p-line'), h('div', 'p-actions'), h('div', 'p-inline'));
  return li;
}

/**
 * @param {HTMLElement} li
 * @param {Array<[string, string]>} bits  [class, text] pairs; the first is the name
 */
function setLine(li, bits) {
  const line = /** @type {HTMLElement} */ (li.querySelector('.p-line'));
  const sig = JSON.stringify(bits);
  if (lineSigs.get(line) === sig) return;
  lineSigs.set(line, sig);
  /** @type {Array<Node|string>} */
  const nodes = [];
  for (const [cls, text] of bits) {
    if (nodes.length > 0) nodes.push(' ');
    nodes.push(h('span', cls, text));
  }
  line.replaceChildren(...nodes);
}

/**
 * @param {Participant[]} people  admitted participants
 * @param {ListContext} ctx
 */
export function renderParticipants(people, ctx) {
  reconcile(els.participants, people.map((p) => ({ key: p.id, item: p })), createRow, (li, p) => {
    li.setAttribute('data-entry-id', p.id);
    /** @type {Array<[string, string]>} */
    const bits = [['p-name', p.name]];
    if (p.id === ctx.me.id) bits.push(['p-you', '(you)']);
    if (p.role === 'facilitator') bits.push(['badge p-role', 'facilitator']);
    if (p.role === 'cofacilitator') bits.push(['badge p-role', 'co-facilitator']);
    if (ctx.fac && p.newHere) bits.push(['badge p-new', 'new here']);
    if (p.muted) bits.push(['badge p-muted', 'muted']);
    if (!p.camera) bits.push(['badge p-camera', 'camera off']);
    if (ctx.talking.has(p.id)) bits.push(['badge p-talking', 'talking']);
    const pos = ctx.hands.indexOf(p.id);
    if (pos >= 0) bits.push(['badge p-hand', `hand raised (${pos + 1})`]);
    if (ctx.room.speaker === p.id) bits.push(['badge p-speaking', 'speaking']);
    setLine(li, bits);
    li.toggleAttribute('data-talking', ctx.talking.has(p.id));
    renderMenu(/** @type {HTMLElement} */ (li.querySelector('.p-actions')), `menu-p-${p.id}`, ['Actions', [` for ${p.name}`]],
      participantActions(p, ctx), `p:${p.id}:`);
  });
}

/**
 * @param {Participant[]} waiting  people in the waiting room
 * @param {ListContext} ctx
 */
export function renderWaitingList(waiting, ctx) {
  els.waitingPanel.hidden = !ctx.fac;
  if (!ctx.fac) {
    els.waitingList.replaceChildren();
    return;
  }
  reconcile(els.waitingList, waiting.map((p) => ({ key: p.id, item: p })), createRow, (li, p) => {
    li.setAttribute('data-entry-id', p.id);
    setLine(li, p.newHere ? [['p-name', p.name], ['badge p-new', 'new here']] : [['p-name', p.name]]);
    const mod = (/** @type {string} */ action) => () => moderate(action, { target: p.id });
    renderActions(/** @type {HTMLElement} */ (li.querySelector('.p-actions')), [
      { key: 'admit', label: ['Admit', [` ${p.name}`]], run: mod('admit'), className: 'primary' },
      { key: 'message', label: [`Message ${p.name}`], run: () => openInline({ kind: 'message', id: p.id, name: p.name }) },
      { key: 'deny', label: ['Deny', [` ${p.name}`]], run: mod('deny') },
    ], `w:${p.id}:`);
  });
  els.waitingEmpty.hidden = waiting.length > 0;
}

/**
 * @param {string[]} hands
 * @param {Participant[]} people
 * @param {ListContext} ctx
 */
export function renderHands(hands, people, ctx) {
  els.nextSpeaker.hidden = !ctx.fac;
  const byId = new Map(people.map((p) => [p.id, p]));
  const items = hands.filter((id) => byId.has(id)).map((id) => ({ key: id, item: /** @type {Participant} */ (byId.get(id)) }));
  reconcile(els.hands, items, () => h('li', 'hand-item'), (li, p) => setText(li, p.name));
  els.handsEmpty.hidden = items.length > 0;
}

/** Empties the lists (the meeting ended). */
export function clearPanels() {
  els.participants.replaceChildren();
  els.waitingList.replaceChildren();
  els.hands.replaceChildren();
}
