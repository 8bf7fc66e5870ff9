// Small pieces of the admin page shared by its parts: the status line (a
// polite live region), what a failed call means, cloning a template with
// unique ids, field errors, copying a link, and formatting times.

import { ApiError } from './api.js';

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`admin page: no #${id}`);
  return el;
}

/** @type {number} */
let sayTimer = 0;

/**
 * Tells the result of an action in the status line, which screen readers
 * announce. The same message twice is announced twice.
 * @param {string} message
 */
export function say(message) {
  const status = byId('status');
  status.textContent = '';
  clearTimeout(sayTimer);
  sayTimer = window.setTimeout(() => { status.textContent = message; }, 50);
}

/** What to do when the session has ended (set by admin.js). */
let expired = () => {};

/** @param {() => void} fn  called when a call finds the session ended */
export function onExpired(fn) {
  expired = fn;
}

/**
 * The sentence to show for a failed call, "" when the session had ended
 * (the page then goes back to the sign-in form by itself).
 * @param {unknown} err
 * @param {string} what  e.g. "The room could not be saved"
 * @returns {string}
 */
export function failed(err, what) {
  if (err instanceof ApiError && err.status === 401) {
    expired();
    return '';
  }
  return `${what}: ${err instanceof Error ? err.message : String(err)}`;
}

/** A running count, so that ids of cloned templates stay unique. */
let serial = 0;

/**
 * Clones the template with the id, giving every element marked
 * data-f="x" the id "<prefix>-x-<n>" and pointing labels marked
 * data-for="x" at it.
 * @param {string} templateId
 * @param {string} prefix
 * @returns {HTMLElement}
 */
export function clone(templateId, prefix) {
  const tpl = /** @type {HTMLTemplateElement} */ (byId(templateId));
  const root = /** @type {HTMLElement} */ (tpl.content.firstElementChild?.cloneNode(true));
  const n = ++serial;
  for (const el of root.querySelectorAll('[data-f]')) {
    el.id = `${prefix}-${/** @type {HTMLElement} */ (el).dataset.f}-${n}`;
  }
  for (const lab of root.querySelectorAll('label[data-for]')) {
    /** @type {HTMLLabelElement} */ (lab).htmlFor = `${prefix}-${/** @type {HTMLElement} */ (lab).dataset.for}-${n}`;
  }
  return root;
}

/**
 * An id no other element of the page has.
 * @param {string} prefix
 */
export function uniqueId(prefix) {
  return `${prefix}-${++serial}`;
}

/**
 * The element of root marked data-f (a field), data-part or data-act (a button).
 * @param {Element} root
 * @param {string} name
 * @returns {any}
 */
export function part(root, name) {
  const el = root.querySelector(`[data-f="${name}"], [data-part="${name}"], [data-act="${name}"]`);
  if (!el) throw new Error(`admin page: no ${name}`);
  return el;
}

/**
 * Shows msg in the error paragraph (role=alert) and marks field invalid;
 * an empty msg clears both.
 * @param {HTMLElement} errorEl
 * @param {string} msg
 * @param {HTMLElement|null} [field]
 */
export function fieldError(errorEl, msg, field = null) {
  errorEl.textContent = msg;
  errorEl.hidden = !msg;
  if (field) {
    if (msg) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
  }
}

/**
 * Copies the value of a read-only link field to the clipboard and says so.
 * Where the clipboard is not available, the link is left selected.
 * @param {HTMLInputElement} input
 * @param {string} what  e.g. "Member link"
 */
export async function copyField(input, what) {
  try {
    await navigator.clipboard.writeText(input.value);
    say(`${what} copied.`);
  } catch {
    input.focus();
    input.select();
    say(`${what} selected: press Control+C (or Command+C) to copy it.`);
  }
}

/**
 * A date and time in the person's locale.
 * @param {string} rfc3339
 */
export function when(rfc3339) {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A duration in words: "45 min", "1 h 5 min".
 * @param {number} seconds
 */
export function duration(seconds) {
  const min = Math.floor(Math.max(0, seconds) / 60);
  if (min < 1) return 'under a minute';
  const h = Math.floor(min / 60);
  return h ? `${h} h ${min % 60} min` : `${min} min`;
}
