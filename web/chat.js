// The chat panel: the messages of the running meeting (a facilitator may
// delete one), who a message may go to, and the message form.

import { els, h, setText, reconcile, renderActions } from './dom.js';
import { page, moderate, nameOf, setStatus } from './page.js';
import { isFacilitatorRole } from './protocol.js';
import { openReport } from './safety.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./protocol.js').ChatMessage} ChatMessage */
/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./dom.js').Action} Action */

/**
 * @param {ChatMessage} m
 * @returns {HTMLElement}
 */
function createChatItem(m) {
  const item = h('div', 'chat-msg');
  item.setAttribute('data-item', '');
  const line = h('p', 'chat-line');
  line.append(h('span', 'chat-from', m.fromName || 'Someone'), ': ', h('span', 'chat-text', m.text), h('span', 'chat-to'));
  item.append(line);
  return item;
}

/**
 * @param {ChatMessage} m
 * @param {ListContext} ctx
 * @returns {string} e.g. " (private to Sam)"
 */
function chatAudience(m, ctx) {
  if (m.to === 'room' || m.to === '') return '';
  if (m.to === 'facilitators') return ' (to facilitators)';
  const name = m.to === ctx.me.id ? ctx.me.name : nameOf(m.to);
  return name ? ` (private to ${name})` : ' (private)';
}

/**
 * @param {HearthSession} s
 * @param {Participant[]} people  admitted participants
 * @param {ListContext} ctx
 */
export function renderChat(s, people, ctx) {
  const log = els.chatLog;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  const messages = s.chat.map((m, i) => ({ key: m.id ? `m:${m.id}` : `i:${i}`, item: m }));
  const created = reconcile(log, messages, createChatItem, (item, m) => {
    setText(/** @type {HTMLElement} */ (item.querySelector('.chat-to')), chatAudience(m, ctx));
    const key = item.getAttribute('data-key') || '';
    /** @type {Action[]} */
    const actions = ctx.fac && m.id
      ? [{
          key: 'delete',
          label: ['Delete', [` message from ${m.fromName || 'Someone'}`]],
          run: () => moderate('delete_chat', { messageId: m.id }),
        }]
      : [];
    if (!ctx.fac && m.id && m.from !== ctx.me.id) {
      actions.push({ key: 'report', label: ['Report', [` message from ${m.fromName || 'Someone'}`]], run: () => openReport(m.id, m.from, m.text) });
    }
    let box = /** @type {HTMLElement|null} */ (item.querySelector('.chat-actions'));
    if (actions.length > 0 && !box) {
      box = h('div', 'chat-actions');
      item.append(box);
    }
    if (box) renderActions(box, actions, `c:${key}:`);
  });
  if (created > 0 && nearBottom) log.scrollTop = log.scrollHeight;

  const closedForMe = !ctx.room.chatOpen && !ctx.fac;
  els.chatClosed.hidden = ctx.room.chatOpen;
  setText(els.chatClosed, ctx.fac ? 'Chat is closed for members.' : 'Chat is closed');
  els.chatText.disabled = closedForMe;
  els.chatTo.disabled = closedForMe;
  els.chatSend.disabled = closedForMe;
  renderAudiences(people, ctx);
}

/**
 * Send to: everyone, the facilitators, and the people one may write to
 * privately (facilitators may write to anyone; members to facilitators,
 * and to members when the room allows it).
 * @param {Participant[]} people  admitted participants
 * @param {ListContext} ctx
 */
function renderAudiences(people, ctx) {
  /** @type {Array<{key: string, item: {value: string, text: string}}>} */
  const options = [
    { key: 'room', item: { value: 'room', text: 'Everyone' } },
    { key: 'facilitators', item: { value: 'facilitators', text: 'Facilitators' } },
  ];
  for (const p of people) {
    if (p.id === ctx.me.id) continue;
    if (ctx.fac || isFacilitatorRole(p) || ctx.room.privateChat) {
      options.push({ key: `p:${p.id}`, item: { value: p.id, text: p.name } });
    }
  }
  const current = els.chatTo.value;
  reconcile(els.chatTo, options, (o) => {
    const opt = /** @type {HTMLOptionElement} */ (h('option'));
    opt.value = o.value;
    return opt;
  }, (opt, o) => setText(opt, o.text));
  const keep = options.some((o) => o.item.value === current) ? current : 'room';
  if (els.chatTo.value !== keep) els.chatTo.value = keep;
}

/** Empties the chat (the meeting ended). */
export function clearChat() {
  els.chatLog.replaceChildren();
  els.chatText.value = '';
}

export function initChat() {
  els.chatForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = page.session;
    if (!s) return;
    const text = els.chatText.value.trim();
    if (text === '') {
      els.chatText.focus();
      return;
    }
    if (Array.from(text).length > 500) {
      setStatus('A message can be at most 500 characters.');
      return;
    }
    if (s.sendChat(text, els.chatTo.value || 'room')) els.chatText.value = '';
    else setStatus('The message could not be sent. Please check your connection.');
    els.chatText.focus();
  });

  els.chatText.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
      e.preventDefault();
      els.chatForm.requestSubmit();
    }
  });
}
