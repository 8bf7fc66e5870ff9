// The signaling socket of one Hearth session (docs/protocol.md,
// "Reconnecting"). Connection opens the WebSocket and, when the socket is
// lost while the session goes on, opens another after a backoff with
// jitter, again and again (for up to 5 minutes) until the session closes
// it. It carries text and knows nothing of the messages. No page access.
//
// What the session (protocol.js) does with a new socket: it joins with the
// resume token of its last welcome. The server, which held the session
// meanwhile, takes it back (a welcome marked resumed: the peer
// connections, hand and mute go on, and nobody saw a leave); a server that
// holds none (the grace passed, or another instance answers) takes a join
// with the identity, and the session starts its media afresh. A network
// change (the device came back online, tells Connection; or a peer
// connection's ICE failed, tells media.js) renews the socket, which may
// have died with the old address, and then restarts ICE on both peer
// connections.
//
// A socket can die without closing: when the network goes away silently
// (a blocked port, an address that changed), TCP keeps a dead connection
// open for minutes. So, while a socket is open, Connection sends
// {"type":"ping"} every 500 ms; the server answers {"type":"pong"} at
// once. Pinging starts when the session has settled on the socket (its
// welcome; a join may wait on the server). A ping that no frame followed
// within 2 s (of the page's own time: a page held up by a busy device
// counts afresh) means the socket is dead: Connection tells the session
// (stalled), drops it and reconnects as after a lost one. While
// reconnecting, a socket that does not open within 5 s is dropped too.
// The pongs go no further than Connection.

/** First reconnect delay, in ms; it doubles with each attempt. */
const FIRST_DELAY = 250;
/** Longest reconnect delay, in ms (before jitter). */
const MAX_DELAY = 5000;
/** How long a lost connection keeps trying to come back before it gives up, in ms. */
const MAX_AWAY = 5 * 60 * 1000;
/** How often an open socket is pinged, in ms. */
const PING_EVERY = 500;
/** How long a ping may go without any frame from the server before the socket counts as dead, in ms. */
const PONG_WITHIN = 2000;
/** How long a new socket may take to open before it is given up, in ms. */
const OPEN_WITHIN = 5000;
/** The ping frame, and the start of the server's answer. */
const PING = '{"type":"ping"}';
const PONG = '{"type":"pong"';
/** Least time between two renewals of the socket for a network change, in ms. */
const RENEW_EVERY = 3000;
/**
 * The close status of a socket given up to reconnect at once: the server
 * holds the session for a resume, as after a dropped connection.
 */
export const CLOSE_RECONNECTING = 4000;

/**
 * The delay before reconnect attempt number `attempt` (0 first): 250 ms
 * doubling up to 5 s, times a random factor between 0.5 and 1.5, so that
 * clients cut off together (a server restart, a Wi-Fi access point) do not
 * all come back in the same instant.
 * @param {number} attempt
 * @param {() => number} [random]  Math.random by default
 * @returns {number} milliseconds
 */
export function backoff(attempt, random = Math.random) {
  const base = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.5 + random()));
}

/**
 * What a Connection tells its session.
 * @typedef {Object} ConnectionHooks
 * @property {() => void} open                    a socket opened (send join)
 * @property {(data: unknown) => void} message    a frame arrived
 * @property {(e: CloseEvent) => boolean} lost    the socket closed; true: reconnect (for up to 5 minutes)
 * @property {(attempt: number, delay: number) => void} retrying  a reconnect is due in delay ms
 * @property {(e: CloseEvent) => void} closed     closed for good
 * @property {() => void} online                  the device's network came back
 * @property {() => void} stalled                 the open socket went silent (a ping went unanswered); it is dropped and renewed
 */

/**
 * Builds the signaling URL for a page location: ws:// for http pages,
 * wss:// for https pages, path /ws.
 * @param {{protocol: string, host: string}} loc  e.g. the page's location
 * @returns {string}
 */
export function wsURL(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

/** The session's WebSocket, replaced when lost. */
export class Connection {
  /** @type {string} */
  #url;
  /** @type {ConnectionHooks} */
  #hooks;
  /** @type {WebSocket|null} */
  #ws = null;
  /** Incremented for every socket, so that callbacks of an old socket are ignored. */
  #gen = 0;
  /** Reconnect attempts since the last settle(). */
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout>|null} */
  #timer = null;
  #closed = false;
  /** When the connection was lost (0 while the session is settled on a socket). */
  #awaySince = 0;
  #lastRenew = 0;
  /** @type {ReturnType<typeof setTimeout>|null} */
  #renewTimer = null;
  /** Pings the open socket (and gives up a socket that does not open). @type {ReturnType<typeof setInterval>|null} */
  #pinger = null;
  /** When the oldest ping that no frame followed was sent (0: none). */
  #unanswered = 0;
  /** The session settled on the current socket: ping it. */
  #pinging = false;
  /** When the current socket last carried a frame from the server. */
  #heard = 0;
  #onOnline = () => {
    if (!this.#closed) this.#hooks.online();
  };

  /**
   * @param {string} url
   * @param {ConnectionHooks} hooks
   */
  constructor(url, hooks) {
    this.#url = url;
    this.#hooks = hooks;
  }

  /** @returns {boolean} a socket is open */
  get isOpen() { return !!this.#ws && this.#ws.readyState === WebSocket.OPEN; }
  /**
   * @returns {boolean} the session is settled on an open socket that
   * answered within the last ping period: it carries frames now
   */
  get answering() { return this.isOpen && this.#pinging && Date.now() - this.#heard < PING_EVERY + 500; }
  /** @returns {boolean} the connection was lost and is coming back */
  get away() { return this.#awaySince !== 0; }

  /** Opens the first socket. */
  open() {
    if (typeof globalThis.addEventListener === 'function') globalThis.addEventListener('online', this.#onOnline);
    this.#dial();
  }

  /**
   * @param {string} text
   * @returns {boolean} whether it was sent
   */
  send(text) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(text);
    return true;
  }

  /** The session took its place back: the next loss starts with a short delay. */
  settle() {
    this.#pinging = this.isOpen;
    this.#attempt = 0;
    this.#awaySince = 0;
  }

  /**
   * Renews the socket for a network change: reconnect(true), at most once
   * every 3 s (later ones wait for their turn).
   */
  renew() {
    if (this.#closed || this.#renewTimer !== null) return;
    const wait = this.#lastRenew + RENEW_EVERY - Date.now();
    if (wait > 0) {
      this.#renewTimer = setTimeout(() => {
        this.#renewTimer = null;
        this.renew();
      }, wait);
      return;
    }
    this.#lastRenew = Date.now();
    this.reconnect(true);
  }

  /**
   * Gives up the current socket and connects again: at once (`now`: the
   * network changed, or the server asked), or after the next backoff
   * delay (the server could not take the session back yet).
   * @param {boolean} now
   */
  reconnect(now) {
    if (this.#closed) return;
    const ws = this.#ws;
    this.#ws = null;
    this.#gen++;
    if (this.#awaySince === 0) this.#awaySince = Date.now();
    this.#stopPinger();
    if (ws) closeQuietly(ws, CLOSE_RECONNECTING, 'reconnect');
    if (now) {
      this.#attempt = 0;
      this.#dial();
    } else {
      this.#schedule();
    }
  }

  /**
   * Closes for good; `closed` follows (from the socket's close event, or at
   * once when there is none).
   * @param {number} code
   * @param {string} reason
   */
  close(code, reason) {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) {
      closeQuietly(ws, code, reason); // its close event reports "closed"
      return;
    }
    this.#ws = null;
    this.#gen++;
    queueMicrotask(() => this.#hooks.closed(/** @type {CloseEvent} */ ({ code, reason })));
  }

  #dial() {
    this.#stopTimer();
    const gen = ++this.#gen;
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    this.#watch(gen, ws);
    ws.addEventListener('open', () => {
      if (gen !== this.#gen) return;
      this.#unanswered = 0;
      this.#heard = Date.now();
      this.#hooks.open();
    });
    ws.addEventListener('message', (e) => {
      if (gen !== this.#gen) return;
      this.#unanswered = 0;
      this.#heard = Date.now();
      if (typeof e.data === 'string' && e.data.startsWith(PONG)) return;
      this.#hooks.message(e.data);
    });
    ws.addEventListener('close', (e) => {
      if (gen === this.#gen) this.#onClose(e);
    });
  }

  /**
   * Pings the socket of generation gen every PING_EVERY while it is open and
   * the session settled on it; a socket that stays silent after a ping
   * for PONG_WITHIN, or (while reconnecting) does not open within
   * OPEN_WITHIN, is dropped as lost (stalled).
   * @param {number} gen
   * @param {WebSocket} ws
   */
  #watch(gen, ws) {
    this.#stopPinger();
    const born = Date.now();
    const away = this.#awaySince !== 0;
    let last = born;
    this.#pinger = setInterval(() => {
      if (gen !== this.#gen) return;
      const now = Date.now();
      // A tick 1.5 s late means the page itself was held up (a busy or
      // suspended device; a hidden tab's timers run once a second, which
      // is not late): answers may wait unread behind this task, so the
      // silence is counted afresh from now.
      if (now - last > PING_EVERY * 3 && this.#unanswered !== 0) this.#unanswered = now;
      last = now;
      if (ws.readyState === WebSocket.CONNECTING) {
        if (away && now - born >= OPEN_WITHIN) this.#drop(ws, 'did not open');
        return;
      }
      if (ws.readyState !== WebSocket.OPEN || !this.#pinging) return;
      if (this.#unanswered !== 0 && now - this.#unanswered >= PONG_WITHIN) {
        this.#hooks.stalled();
        this.#drop(ws, 'no answer to ping');
        return;
      }
      ws.send(PING);
      if (this.#unanswered === 0) this.#unanswered = now;
    }, PING_EVERY);
  }

  /**
   * Gives up a socket believed dead and goes on as when a socket is lost
   * (its own close event would come only when TCP gives up).
   * @param {WebSocket} ws
   * @param {string} why
   */
  #drop(ws, why) {
    this.#gen++;
    this.#stopPinger();
    closeQuietly(ws, CLOSE_RECONNECTING, why);
    this.#onClose(/** @type {CloseEvent} */ ({ code: 1006, reason: why, wasClean: false }));
  }

  /** @param {CloseEvent} e */
  #onClose(e) {
    this.#stopPinger();
    this.#ws = null;
    if (this.#awaySince === 0) this.#awaySince = Date.now();
    if (!this.#closed && this.#hooks.lost(e) && Date.now() - this.#awaySince < MAX_AWAY) {
      this.#schedule();
      return;
    }
    this.#closed = true;
    this.#stop();
    this.#hooks.closed(e);
  }

  #schedule() {
    this.#stopTimer();
    const delay = backoff(this.#attempt);
    this.#hooks.retrying(++this.#attempt, delay);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#closed) this.#dial();
    }, delay);
  }

  #stopPinger() {
    if (this.#pinger !== null) clearInterval(this.#pinger);
    this.#pinger = null;
    this.#unanswered = 0;
    this.#pinging = false;
  }

  #stopTimer() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #stop() {
    this.#stopTimer();
    this.#stopPinger();
    if (this.#renewTimer !== null) clearTimeout(this.#renewTimer);
    this.#renewTimer = null;
    if (typeof globalThis.removeEventListener === 'function') globalThis.removeEventListener('online', this.#onOnline);
  }
}

/**
 * @param {WebSocket} ws
 * @param {number} code
 * @param {string} reason
 */
function closeQuietly(ws, code, reason) {
  try {
    ws.close(code, reason);
  } catch {
    // already closing
  }
}
