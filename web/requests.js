// The requests a session sent with an id, so that an error about one
// ("re", docs/protocol.md) can be told apart: which request the server
// refused, and whether it was an unmute or a camera the server did not
// allow. No page access.

/** How many sent request ids are remembered to match errors ("re") to them. */
const MAX_REQUESTS = 200;

/**
 * A request as remembered.
 * @typedef {{type: string, kind: string, muted?: boolean, camera?: boolean}} SentRequest
 */

/** The last requests sent, by id. */
export class Requests {
  /** @type {Map<string, SentRequest>} */
  #sent = new Map();
  #next = 0;

  /**
   * Gives msg an id and remembers it under kind (e.g. "moderate:remove").
   * @param {Record<string, unknown>} msg
   * @param {string} kind
   * @returns {Record<string, unknown>} msg with its id
   */
  add(msg, kind) {
    const id = `c${++this.#next}`;
    /** @type {SentRequest} */
    const info = { type: String(msg.type), kind };
    if (typeof msg.muted === 'boolean') info.muted = msg.muted;
    if (typeof msg.camera === 'boolean') info.camera = msg.camera;
    this.#sent.set(id, info);
    if (this.#sent.size > MAX_REQUESTS) {
      const oldest = this.#sent.keys().next().value;
      if (oldest !== undefined) this.#sent.delete(oldest);
    }
    return { ...msg, id };
  }

  /**
   * Takes the request an error's "re" names, if it is remembered.
   * @param {string} re
   * @returns {SentRequest|undefined}
   */
  take(re) {
    if (!re) return undefined;
    const req = this.#sent.get(re);
    this.#sent.delete(re);
    return req;
  }
}

/**
 * What a refused request asked to turn on: "unmute" or "camera" for a
 * set_self that did (nothing to undo: it was never turned on), otherwise
 * undefined.
 * @param {SentRequest|undefined} req
 * @returns {'unmute'|'camera'|undefined}
 */
export function turnOnRefused(req) {
  if (!req || req.type !== 'set_self') return undefined;
  if (req.muted === false) return 'unmute';
  return req.camera === true ? 'camera' : undefined;
}
