// Menu buttons: a button (aria-haspopup="menu") that opens a list of
// menu items, as in the WAI-ARIA menu button pattern. Arrow keys, Home and
// End move between the items, Escape closes the menu and returns to its
// button, Tab or a click elsewhere closes it. Which menu is open is this
// module's to know; only one is open at a time.

import { h, setLabel, reconcile } from './dom.js';

/** @typedef {import('./dom.js').Action} Action */
/** @typedef {import('./dom.js').LabelParts} LabelParts */

/** The open menu, if any. @type {HTMLElement|null} */
let openMenu = null;

/** What each item runs. @type {WeakMap<Element, () => void>} */
const runs = new WeakMap();

/** @param {HTMLElement} menu @returns {HTMLElement[]} its items */
function items(menu) {
  return /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('[role="menuitem"], [role="menuitemcheckbox"]')].filter((el) => !(/** @type {HTMLElement} */ (el)).hidden));
}

/** @param {HTMLElement} menu @returns {HTMLButtonElement|null} the button that opens it */
function opener(menu) {
  return document.querySelector(`[aria-controls="${CSS.escape(menu.id)}"]`);
}

/**
 * Opens a menu and puts focus on its first (or last) item.
 * @param {HTMLElement} menu
 * @param {boolean} [last]
 */
export function openMenuOf(menu, last = false) {
  if (openMenu && openMenu !== menu) closeMenu(false);
  openMenu = menu;
  menu.hidden = false;
  const b = opener(menu);
  if (b) b.setAttribute('aria-expanded', 'true');
  const list = items(menu);
  const target = last ? list[list.length - 1] : list[0];
  if (target) target.focus();
}

/**
 * Closes the open menu.
 * @param {boolean} [refocus]  put focus back on its button
 */
export function closeMenu(refocus = true) {
  const menu = openMenu;
  if (!menu) return;
  openMenu = null;
  menu.hidden = true;
  const b = opener(menu);
  if (b) {
    b.setAttribute('aria-expanded', 'false');
    if (refocus) b.focus();
  }
}

/**
 * Wires a menu button and its menu.
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} menu
 */
export function bindMenu(button, menu) {
  button.addEventListener('click', () => {
    if (openMenu === menu) closeMenu();
    else openMenuOf(menu);
  });
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      openMenuOf(menu, e.key === 'ArrowUp');
    }
  });
  menu.addEventListener('keydown', (e) => {
    const list = items(menu);
    const i = list.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    /** @type {HTMLElement|undefined} */
    let next;
    if (e.key === 'ArrowDown') next = list[(i + 1) % list.length];
    else if (e.key === 'ArrowUp') next = list[(i - 1 + list.length) % list.length];
    else if (e.key === 'Home') next = list[0];
    else if (e.key === 'End') next = list[list.length - 1];
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      closeMenu();
      return;
    } else if (e.key === 'Tab') {
      closeMenu(false);
      return;
    }
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
  menu.addEventListener('click', (e) => {
    const item = /** @type {Element} */ (e.target).closest('[role="menuitem"], [role="menuitemcheckbox"]');
    if (!item) return;
    const run = runs.get(item);
    closeMenu();
    if (run) run();
  });
}

/**
 * Gives a static menu item (in index.html) what it runs.
 * @param {HTMLElement} item
 * @param {() => void} run
 */
export function onMenuItem(item, run) {
  runs.set(item, run);
}

/**
 * Renders a menu button with its items in container (built once, then
 * updated in place; an open menu stays open).
 * @param {HTMLElement} container
 * @param {string} id         the menu's id, unique in the page
 * @param {LabelParts} label  the button's name, e.g. ['Actions', [' for Ana']]
 * @param {Action[]} actions
 * @param {string} fkeyPrefix  makes data-fkey unique in the page
 */
export function renderMenu(container, id, label, actions, fkeyPrefix) {
  let button = /** @type {HTMLButtonElement|null} */ (container.querySelector(':scope > button'));
  let menu = /** @type {HTMLElement|null} */ (container.querySelector(':scope > [role="menu"]'));
  if (!button || !menu) {
    button = /** @type {HTMLButtonElement} */ (h('button', 'small menu-button'));
    button.type = 'button';
    button.setAttribute('aria-haspopup', 'menu');
    button.setAttribute('aria-expanded', 'false');
    menu = h('div', 'menu menu-inline');
    menu.setAttribute('role', 'menu');
    menu.hidden = true;
    container.replaceChildren(button, menu);
    bindMenu(button, menu);
  }
  if (menu.id !== id) {
    menu.id = id;
    button.setAttribute('aria-controls', id);
  }
  button.setAttribute('data-fkey', `${fkeyPrefix}menu`);
  setLabel(button, label);
  menu.setAttribute('aria-label', label.map((p) => (typeof p === 'string' ? p : p[0])).join(''));
  reconcile(menu, actions.map((a) => ({ key: a.key, item: a })), () => {
    const b = /** @type {HTMLButtonElement} */ (h('button', 'menu-item'));
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.tabIndex = -1;
    return b;
  }, (el, a) => {
    runs.set(el, a.run);
    el.setAttribute('data-fkey', fkeyPrefix + a.key);
    const cls = a.className ? `menu-item ${a.className}` : 'menu-item';
    if (el.className !== cls) el.className = cls;
    setLabel(el, a.label);
  });
  container.hidden = actions.length === 0;
  if (actions.length === 0 && openMenu === menu) closeMenu(false);
}

/** A click outside the open menu closes it. */
export function initMenus() {
  document.addEventListener('click', (e) => {
    if (!openMenu) return;
    const t = /** @type {Element} */ (e.target);
    const b = opener(openMenu);
    if (openMenu.contains(t) || (b && b.contains(t))) return;
    closeMenu(false);
  });
}
