// The admin page (/admin): sign in with the admin token, then the rooms,
// live meetings and the server's health. Entry module; rooms.js and
// live.js hold the parts, api.js the calls, view.js the shared pieces.
//
// The session is an HttpOnly cookie the page cannot read: it asks the
// server (GET /admin/session) whether it is signed in. A call that finds
// the session ended brings the sign-in form back.

import { api, ApiError } from './api.js';
import { byId, say, fieldError, onExpired } from './view.js';
import { initRooms, loadRooms, clearRooms } from './rooms.js';
import { initLive, startLive, stopLive } from './live.js';

/** @typedef {'loading'|'off'|'signin'|'console'} View */

/**
 * Shows one of the page's views.
 * @param {View} view
 */
function show(view) {
  byId('loading').hidden = view !== 'loading';
  byId('off').hidden = view !== 'off';
  byId('signin').hidden = view !== 'signin';
  byId('console').hidden = view !== 'console';
  byId('sign-out').hidden = view !== 'console';
}

/** Signed in: shows the console and loads what it shows. */
async function enter() {
  show('console');
  startLive();
  await loadRooms();
}

/**
 * Back to the sign-in form, with a reason in the status line.
 * @param {string} reason
 * @param {boolean} focusHeading  move focus to the form's heading
 */
function leave(reason, focusHeading) {
  stopLive();
  clearRooms();
  show('signin');
  if (reason) say(reason);
  if (focusHeading) byId('signin-heading').focus();
  else byId('token').focus();
}

async function signIn() {
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  const error = byId('token-error');
  const button = /** @type {HTMLButtonElement} */ (byId('sign-in'));
  if (!input.value) {
    fieldError(error, 'Type the admin token.', input);
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    await api.signIn(input.value);
    input.value = '';
    fieldError(error, '', input);
    await enter();
    byId('console-heading').focus();
    say('Signed in.');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    fieldError(error, msg, input);
    input.focus();
    input.select();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await api.signOut();
  } catch {
    // The cookie is gone or the server is away; the page signs out anyway.
  }
  leave('Signed out.', true);
}

async function start() {
  initRooms();
  initLive();
  onExpired(() => leave('Your session has ended. Please sign in again.', true));
  byId('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn();
  });
  byId('sign-out').addEventListener('click', () => void signOut());
  try {
    await api.session();
    await enter();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      show('off');
    } else if (err instanceof ApiError && err.status === 401) {
      leave('', false);
    } else {
      show('signin');
      say(err instanceof Error ? err.message : String(err));
    }
  }
}

void start();
