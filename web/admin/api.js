// The operators' API as the admin page uses it (docs/admin-api.md): JSON
// over fetch, authenticated by the session cookie the browser keeps. No
// DOM here.
//
// Every request that changes something is sent with a JSON content type,
// and the browser adds the page's Origin: the server refuses a request
// with the cookie that lacks either (403 csrf), which is what keeps other
// pages from acting with it.

/** An error answer of the API, or no answer at all (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status  HTTP status; 0 when the server could not be reached
   * @param {string} code    the API's error code (unauthorized, csrf, ...)
   * @param {string} message a sentence for people
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @typedef {{waitingRoom: boolean, muteOnEntry: boolean, mode: string, selfRename: boolean,
 *   privateChat: boolean, guidelines: string, shareSeconds: number, autoMute: boolean,
 *   maxParticipants?: number, maxWaiting?: number, format?: object|null, contributionsUrl?: string,
 *   membersCanShareScreen?: boolean}} Settings
 * @typedef {{days: string[], time: string, durationMinutes: number, timeZone?: string}} Schedule
 * @typedef {{id: string, name: string, settings: Settings, passcodeRequired: boolean,
 *   schedule?: Schedule|null, memberLink: string, facilitatorLink: string, openInvites?: number,
 *   createdAt?: string}} Room
 * @typedef {{link: string, uses: number, expiresAt: string}} Invite
 * @typedef {{roomId: string, roomName: string, participants: number, waiting: number,
 *   startedAt: string, durationSeconds: number}} Meeting
 * @typedef {{ready: boolean, version: string, instance: string, meetings: number, participants: number}} Health
 */

/**
 * Sends one request and returns the decoded answer (null for 204).
 * @param {string} method
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<any>}
 */
export async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (body !== undefined) init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && data.error;
    if (res.status === 404 && !e) throw new ApiError(404, 'not_found', 'This server does not offer that yet.');
    throw new ApiError(res.status, (e && e.code) || 'internal',
      (e && e.message) || `The server answered with an error (HTTP ${res.status}).`);
  }
  return data;
}

/** @param {string} id */
const roomPath = (id) => `/api/rooms/${encodeURIComponent(id)}`;

/** The calls of the page. */
export const api = {
  /** @returns {Promise<{signedIn: boolean, expiresAt: string}>} */
  session: () => call('GET', '/admin/session'),
  /** @param {string} token */
  signIn: (token) => call('POST', '/admin/session', { token }),
  signOut: () => call('DELETE', '/admin/session'),
  /** @returns {Promise<{rooms: Room[]}>} */
  rooms: () => call('GET', '/api/rooms'),
  /** @param {{name: string, passcode?: string}} body @returns {Promise<Room>} */
  createRoom: (body) => call('POST', '/api/rooms', body),
  /** @param {string} id @param {object} body @returns {Promise<Room>} */
  updateRoom: (id, body) => call('PATCH', roomPath(id), body),
  /** @param {string} id */
  deleteRoom: (id) => call('DELETE', roomPath(id)),
  /** @param {string} id @returns {Promise<Room>} */
  rotateLinks: (id) => call('POST', `${roomPath(id)}/rotate-links`),
  /** @param {string} id @param {{uses: number, expires: string, label?: string}} body @returns {Promise<Invite>} */
  invite: (id, body) => call('POST', `${roomPath(id)}/invites`, body),
  /** @returns {Promise<{meetings: Meeting[]}>} */
  meetings: () => call('GET', '/api/meetings'),
  /** @param {string} id */
  endMeeting: (id) => call('POST', `${roomPath(id)}/end`),
  /** @returns {Promise<Health>} */
  health: () => call('GET', '/api/health'),
};
