// Proof of attendance (docs/attendance.md). A member of a room that gives
// proofs presses "Get attendance proof" (More menu), types the name to put
// on it, or none, and gets a proof signed by the server: a page to print
// or save as PDF, with its short code and QR code, and the proof file to
// download. It stays on screen after leaving, until closed. Facilitators
// get "Confirm attendance for NAME" in each member's Actions menu; a proof
// made after that says so, and one already made is made again.
// Nothing here is stored: the proof is only in this page until saved.

import { h, setText } from './dom.js';
import { page, render, setStatus } from './page.js';
import { onMenuItem } from './menu.js';

/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./dom.js').Action} Action */

/** The page's parts of the proof, made by initProof. */
const ui = {
  item: /** @type {HTMLButtonElement} */ (h('button')),
  section: h('section', 'proof'),
  name: /** @type {HTMLInputElement} */ (h('input')),
  doc: h('article', 'proof-doc'),
  fields: h('dl'),
  code: h('p', 'proof-code'),
  qr: /** @type {HTMLImageElement} */ (h('img', 'proof-qr')),
  where: h('p', 'proof-where'),
  controls: h('div', 'proof-controls'),
  download: /** @type {HTMLAnchorElement} */ (h('a', 'button')),
};

/** Sessions whose events are watched; the name last put on a proof ("" none, null: no proof yet). */
const watched = new WeakSet();
/** @type {string|null} */
let lastName = null;
/** Participants whose attendance this facilitator saw confirmed. */
const confirmed = new Set();

/** Makes the menu item and the proof's section. */
export function initProof() {
  const more = document.getElementById('more-menu');
  ui.item.type = 'button';
  ui.item.id = 'get-proof';
  ui.item.setAttribute('role', 'menuitem');
  ui.item.tabIndex = -1;
  ui.item.textContent = 'Get attendance proof';
  ui.item.hidden = true;
  if (more) more.append(ui.item);
  onMenuItem(ui.item, openProof);

  const s = ui.section;
  s.id = 'proof';
  s.hidden = true;
  s.setAttribute('aria-labelledby', 'proof-heading');
  const heading = h('h2', '', 'Attendance proof');
  heading.id = 'proof-heading';
  heading.tabIndex = -1;
  const form = h('form', 'proof-form');
  const label = h('label', '', 'Name on the proof (optional)');
  label.setAttribute('for', 'proof-name');
  ui.name.id = 'proof-name';
  ui.name.maxLength = 80;
  ui.name.autocomplete = 'off';
  const make = h('button', 'primary', 'Make proof');
  make.setAttribute('type', 'submit');
  const close = h('button', '', 'Close attendance proof');
  close.setAttribute('type', 'button');
  form.append(h('p', 'hint', 'The proof states the meeting, the date, when you joined and left, and only the name you type here (or none). The server keeps no copy.'),
    label, ui.name, make);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ask(ui.name.value.trim());
  });
  close.addEventListener('click', () => {
    ui.section.hidden = true;
  });

  ui.doc.setAttribute('aria-labelledby', 'proof-doc-title');
  ui.doc.hidden = true;
  const title = h('h3', '', 'Proof of attendance');
  title.id = 'proof-doc-title';
  title.tabIndex = -1;
  ui.qr.alt = 'QR code: scan it to check this proof';
  ui.doc.append(title, ui.fields, ui.code, ui.qr, ui.where);
  const print = h('button', '', 'Print or save as PDF');
  print.setAttribute('type', 'button');
  print.addEventListener('click', () => {
    document.body.classList.add('print-proof');
    window.print();
  });
  window.addEventListener('afterprint', () => document.body.classList.remove('print-proof'));
  ui.download.textContent = 'Download proof file';
  ui.download.download = 'attendance-proof.txt';
  ui.controls.hidden = true;
  ui.controls.append(print, ui.download);
  s.append(heading, form, ui.doc, ui.controls, close);
  document.body.append(s);
}

function openProof() {
  ui.section.hidden = false;
  ui.name.focus();
}

/** @param {string} name */
function ask(name) {
  const s = page.session;
  if (!s) return;
  lastName = name;
  if (s.sendOwn({ type: 'attendance_proof', name })) setStatus('Making your attendance proof…', 4000);
}

/**
 * Shows the item while the room gives proofs, watches the session's
 * events, and gives the facilitator's view its confirmations.
 * @param {ListContext} ctx
 */
export function renderProof(ctx) {
  ui.item.hidden = !ctx.room.attendanceProof || ctx.me.status !== 'admitted';
  const s = page.session;
  if (!s || watched.has(s)) return;
  watched.add(s);
  s.addEventListener('message', (e) => {
    const msg = /** @type {CustomEvent} */ (e).detail;
    if (msg && msg.type === 'attendance_proof') showProof(msg);
  });
  s.addEventListener('attendanceconfirmed', (e) => {
    const d = /** @type {CustomEvent} */ (e).detail;
    if (d.self) {
      setStatus('A facilitator confirmed your attendance.', 6000);
      if (lastName !== null) ask(lastName); // the proof shown says so now
      return;
    }
    confirmed.add(d.participantId);
    const p = s.participants.find((q) => q.id === d.participantId);
    if (p) setStatus(`Attendance confirmed for ${p.name}.`, 6000);
    render();
  });
}

/**
 * The item of a member's Actions menu for a facilitator.
 * @param {Participant} p
 * @param {ListContext} ctx
 * @returns {Action[]}
 */
export function proofActions(p, ctx) {
  const s = page.session;
  if (!ctx.fac || !ctx.room.attendanceProof || p.id === ctx.me.id || confirmed.has(p.id) || !s) return [];
  return [{ key: 'attendance', label: ['Confirm attendance', [` for ${p.name}`]], run: () => s.sendOwn({ type: 'confirm_attendance', participant: p.id }) }];
}

/** @param {any} p  the server's attendance_proof */
function showProof(p) {
  /** @type {Array<[string, string]>} */
  const rows = [
    ['Meeting', String(p.label || '')],
    ['Date', String(p.date || '')],
    ['Joined', `${p.joined} (${p.zone})`],
    ['Left', `${p.left} (${p.zone})`],
    ['Minutes present', String(p.minutes ?? '')],
    ['Name', p.name ? String(p.name) : 'No name'],
    ['Facilitator', p.confirmed ? 'Confirmed by a facilitator of the meeting' : 'Not confirmed by a facilitator'],
  ];
  ui.fields.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', '', k), h('dd', '', v)]));
  setText(ui.code, p.code ? `Code: ${p.code}` : 'No short code (the attendance was too long for one): use the QR code or the file.');
  ui.qr.src = String(p.qr || '');
  setText(ui.where, `Anyone can check this proof at ${p.verifyUrl}: scan the QR code, upload the proof file, or type the code and the name.`);
  URL.revokeObjectURL(ui.download.href);
  ui.download.href = URL.createObjectURL(new Blob([`${p.token}\n`], { type: 'text/plain' }));
  ui.doc.hidden = false;
  ui.controls.hidden = false;
  ui.section.hidden = false;
  setStatus('Your attendance proof is ready.', 6000);
  /** @type {HTMLElement|null} */ (ui.doc.querySelector('h3'))?.focus();
}
