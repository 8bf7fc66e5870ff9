// Safety in the meeting (issue 14; docs/client.md, "Safety"): the
// operator's "Get help now" panel, reachable from every view; "I'm new
// here" on the pre-join page; a member's report of a message or of
// someone to the facilitators; and the facilitators' list of reports.
// What the room says comes from the session (roomstate.js); this only
// draws and sends.

import { els, h, reconcile, renderActions, setText } from './dom.js';
import { page, setStatus, moderate, renderSoon } from './page.js';

/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./roomstate.js').Report} Report */

/** What the open report form is about: a chat message's id, or none. */
let reportedMessage = '';

/** Wires the help panel and the report form. */
export function initSafety() {
  els.getHelp.hidden = (els.helpText.textContent || '').trim() === '';
  els.getHelp.addEventListener('click', () => showHelp(els.helpPanel.hidden));
  els.closeHelp.addEventListener('click', () => showHelp(false));
  els.helpPanel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') showHelp(false);
  });
  els.reportOpen.addEventListener('click', () => openReport('', '', ''));
  els.reportCancel.addEventListener('click', closeReport);
  els.reportForm.addEventListener('submit', (e) => {
    e.preventDefault();
    sendReport();
  });
}

/** @param {boolean} open */
function showHelp(open) {
  els.helpPanel.hidden = !open;
  els.getHelp.setAttribute('aria-expanded', String(open));
  if (open) els.helpHeading.focus();
  else els.getHelp.focus();
}

/** @returns {boolean} the newcomer ticked "I'm new here" */
export function newHere() {
  return els.newHere.checked;
}

/**
 * Opens the report form: about a chat message (its id, sender and text),
 * or, with none, about someone the reporter picks.
 * @param {string} messageId
 * @param {string} about  participant id ("" to pick)
 * @param {string} text   the message's text
 */
export function openReport(messageId, about, text) {
  const s = page.session;
  if (!s || !s.self) return;
  reportedMessage = messageId;
  const others = s.participants.filter((p) => p.id !== s.selfId && p.status !== 'waiting');
  const items = [{ key: '', item: { value: '', text: 'Choose someone' } }, ...others.map((p) => ({ key: p.id, item: { value: p.id, text: p.name } }))];
  reconcile(els.reportAbout, items, (o) => {
    const opt = /** @type {HTMLOptionElement} */ (h('option'));
    opt.value = o.value;
    return opt;
  }, (opt, o) => setText(opt, o.text));
  els.reportAbout.value = about;
  els.reportAbout.disabled = messageId !== '';
  els.reportMessage.hidden = text === '';
  setText(els.reportMessage, text ? `The message: “${text}”` : '');
  els.reportReason.value = '';
  els.reportBox.hidden = false;
  els.reportHeading.focus();
}

function closeReport() {
  els.reportBox.hidden = true;
  reportedMessage = '';
}

function sendReport() {
  const s = page.session;
  if (!s) return;
  /** @type {{participant?: string, message?: string, reason?: string}} */
  const r = {};
  if (reportedMessage) r.message = reportedMessage;
  else if (els.reportAbout.value) r.participant = els.reportAbout.value;
  else {
    setStatus('Please choose whom you report.');
    els.reportAbout.focus();
    return;
  }
  const reason = els.reportReason.value.trim();
  if (reason) r.reason = reason;
  if (s.report(r)) {
    closeReport();
    setStatus('Sending your report…');
  } else {
    setStatus('The report could not be sent. Please check your connection.');
  }
}

/**
 * Follows a session's reports: the reporter hears it was sent; a
 * facilitator hears of a new one at once.
 * @param {HearthSession} s
 * @param {(fn: (e: any) => void) => (e: Event) => void} mine  runs fn only while s is the page's session
 */
export function watchReports(s, mine) {
  s.addEventListener('reportsent', mine(() => setStatus('Your report was sent to the facilitators. Only they see it.')));
  s.addEventListener('report', mine((e) => {
    setStatus(`New report about ${e.detail.report.aboutName || 'someone'}. See Reports.`);
    renderSoon();
  }));
  s.addEventListener('reportdismissed', mine(() => renderSoon()));
}

/**
 * The facilitators' list of reports (nobody else has any), and the
 * members' Report item.
 * @param {HearthSession} s
 * @param {ListContext} ctx
 */
export function renderReports(s, ctx) {
  els.reportOpen.hidden = ctx.fac;
  const reports = ctx.fac ? s.reports : [];
  els.reportsPanel.hidden = reports.length === 0;
  reconcile(els.reportsList, reports.map((r) => ({ key: r.id, item: r })), () => {
    const li = h('li', 'report');
    li.setAttribute('data-item', '');
    li.append(h('p', 'report-line'), h('div', 'p-actions'));
    return li;
  }, (li, /** @type {Report} */ r) => {
    let line = `${r.fromName} reported ${r.aboutName}`;
    if (r.messageText) line += ` for the message “${r.messageText}”`;
    if (r.reason) line += `: “${r.reason}”`;
    setText(/** @type {HTMLElement} */ (li.querySelector('.report-line')), line);
    renderActions(/** @type {HTMLElement} */ (li.querySelector('.p-actions')), [
      { key: 'dismiss', label: ['Dismiss', [` report about ${r.aboutName}`]], run: () => moderate('dismiss_report', { reportId: r.id }) },
    ], `r:${r.id}:`);
  });
}
