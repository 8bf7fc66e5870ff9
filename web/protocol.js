// Hearth signaling client, protocol version 1 (docs/protocol.md).
//
// HearthSession: the signaling socket, requests and their errors, and the
// server's messages dispatched as events. The room as the server last said
// it is kept by roomstate.js; the local tracks and the peer connections are
// media.js. None of the three touches the page: they only use WebSocket,
// RTCPeerConnection and MediaStream, so the UI (ui.js and its modules) owns
// everything that is shown. The caller passes the WebSocket URL in (wsURL).
//
// Mute and camera have one source of truth: the server's record of this
// participant. Asking to unmute (or to start the camera) only sends set_self;
// the microphone goes on when the server's record says unmuted. Muting turns
// it off at once, and the record says muted once the server has taken it.

import { RoomState, isFacilitatorRole, isMutedByFacilitator } from './roomstate.js';
import { LocalMedia, Peers } from './media.js';

export { isFacilitatorRole, isMutedByFacilitator } from './roomstate.js';

/** @typedef {import('./roomstate.js').Participant} Participant */
/** @typedef {import('./roomstate.js').ShareTimer} ShareTimer */
/** @typedef {import('./roomstate.js').Room} Room */
/** @typedef {import('./roomstate.js').ChatMessage} ChatMessage */
/** @typedef {import('./roomstate.js').Change} Change */

/**
 * @typedef {Object} SessionOptions
 * @property {string} url                 WebSocket URL of the signaling endpoint, e.g. "wss://host/ws"
 * @property {string} room                room id from the link
 * @property {string} name                display name (1 to 40 characters after trimming)
 * @property {string} [facilitatorKey]    the "f" value of a facilitator link
 * @property {string} [memberKey]         the "k" value of a member link
 * @property {string} [invite]            the "i" value of a per-person invite link
 * @property {string} [identity]          token from an earlier welcome in the same room
 * @property {string} [passcode]          the room's passcode, when the server asked for it
 * @property {MediaStream|null} [stream]  local microphone/camera stream to publish
 * @property {RTCConfiguration} [rtcConfig] peer connection configuration (no ICE servers by default)
 */

/**
 * Events dispatched by HearthSession (all are CustomEvents; see `detail`):
 *
 * - "welcome"          {self: Participant, room: Room, identity: string, participants: Participant[], waiting: boolean}
 * - "admitted"         {}  a waiting participant was let in (media starts now); "sentback" {}: moved back (media stops)
 * - "snapshot"         {admitted: boolean}  the whole room state was replaced (admission or resynchronisation)
 * - "participants"     {participants: Participant[], selfId: string}
 * - "room"             {room: Room}
 * - "hands"            {hands: string[]}  participant ids, in queue order
 * - "chat"             {message: ChatMessage}
 * - "chatdeleted"      {messageId: string}
 * - "askunmute"        {}  a facilitator asks this participant to unmute
 * - "timerwarning"     {participantId: string, secondsLeft: number}
 * - "timerended"       {participantId: string}
 * - "removed"          {participantId: string, self: boolean}
 * - "denied"           {participantId: string, self: boolean}
 * - "ended"            {}  the meeting ended (a bye "ended" follows)
 * - "selfmedia"        {forcedMute: boolean, forcedCameraOff: boolean, mutedByFacilitator: boolean}
 *                      the server's record turned a microphone or camera off that was on (the
 *                      tracks now follow it), or just became "muted by a facilitator"; sent
 *                      before the "participants" event of the same record
 * - "refused"          {what: 'unmute'|'camera', code: string, message: string}  a set_self was refused;
 *                      the microphone stays muted (or the camera off), as the server's record says
 * - "streamadded"      {participantId: string, stream: MediaStream, track: MediaStreamTrack}
 * - "streamremoved"    {participantId: string}
 * - "servererror"      {code: string, message: string, re?: string|number, request?: string, beforeWelcome: boolean}
 *                      request: what the refused message was, e.g. "chat", "rename", "moderate:remove"
 * - "identityrejected" {}  the stored identity was refused; the join is retried without it
 * - "mediaerror"       {pc: 'pub'|'sub', message: string}  a local WebRTC failure
 * - "connectionstate"  {pc: 'pub'|'sub', state: RTCPeerConnectionState}
 * - "bye"              {reason: string}
 * - "closed"           {code: number, reason: string, byeReason: string|null, left: boolean, wasJoined: boolean}
 *
 * Event sequence numbers may have gaps (a participant does not get the
 * events it may not see); events at or below the last seen seq are dropped.
 */

export const PROTOCOL_VERSION = 1;

/** How many sent request ids are remembered to match errors ("re") to them. */
const MAX_REQUESTS = 200;

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

/**
 * One participant's connection to a Hearth room: the signaling WebSocket,
 * the room as the server says it, the local tracks and the two peer
 * connections.
 */
export class HearthSession extends EventTarget {
  /** @type {SessionOptions} */
  #opts;
  /** @type {WebSocket|null} */
  #ws = null;
  /** Incremented for every socket, so callbacks of an old socket are ignored. */
  #gen = 0;
  #joined = false;
  #everJoined = false;
  #closed = false;
  #leaving = false;
  /** @type {string|null} */
  #byeReason = null;
  #joinSentWithIdentity = false;
  /** @type {string|undefined} */
  #identity;

  /** @type {RoomState} */
  #state;
  /** @type {LocalMedia} */
  #local;
  /** @type {Peers} */
  #peers;

  /** Sent requests by id, to match an error's "re". @type {Map<string, {type: string, kind: string, muted?: boolean, camera?: boolean}>} */
  #requests = new Map();
  #nextRequest = 0;

  /** @param {SessionOptions} opts */
  constructor(opts) {
    super();
    if (!opts || !opts.url || !opts.room) throw new TypeError('url and room are required');
    this.#opts = { ...opts };
    this.#identity = opts.identity || undefined;
    this.#state = new RoomState(opts.room);
    this.#local = new LocalMedia(opts.stream);
    this.#peers = new Peers(this.#local, {
      send: (msg) => this.#send(msg),
      emit: (type, detail) => this.#emit(type, detail),
      rtcConfig: opts.rtcConfig,
    });
  }

  // ---- public state -------------------------------------------------------

  /** @returns {string} the own participant id ("" before welcome) */
  get selfId() { return this.#state.selfId; }
  /** @returns {Participant|undefined} the server's last record of this participant */
  get self() { return this.#state.self; }
  /** @returns {Room} the room's state and settings */
  get room() { return this.#state.room; }
  /** @returns {string|undefined} the identity token from the last welcome */
  get identity() { return this.#identity; }
  /** @returns {boolean} true after welcome until the session is closed */
  get joined() { return this.#joined; }
  /** @returns {boolean} joined and still in the waiting room */
  get waiting() {
    const me = this.#state.self;
    return this.#joined && !!me && me.status === 'waiting';
  }
  /** @returns {boolean} this participant is a facilitator or co-facilitator */
  get isFacilitator() { return isFacilitatorRole(this.#state.self); }
  /** @returns {boolean} the server's record says the microphone is muted (true before welcome) */
  get muted() {
    const me = this.#state.self;
    return !me || me.muted;
  }
  /** @returns {boolean} the server's record says the camera is on */
  get cameraOn() {
    const me = this.#state.self;
    return !!me && me.camera;
  }
  /** @returns {boolean} the local stream has a microphone track */
  get hasAudio() { return this.#local.hasAudio; }
  /** @returns {boolean} the local stream has a camera track */
  get hasVideo() { return this.#local.hasVideo; }
  /**
   * @returns {Participant[]} known participants in join order, self included;
   * facilitators also see the people in the waiting room (status "waiting")
   */
  get participants() { return this.#state.participants; }
  /** @returns {string[]} raised hands: participant ids, first raised first */
  get hands() { return this.#state.hands; }
  /** @returns {ChatMessage[]} the chat of the running meeting, oldest first */
  get chat() { return this.#state.chat; }
  /**
   * @param {string} participantId
   * @returns {MediaStream|undefined} the stream forwarded for that publisher
   */
  remoteStream(participantId) { return this.#peers.remoteStream(participantId); }

  // ---- public actions -----------------------------------------------------

  /** Opens the WebSocket and sends join once it is open. */
  connect() {
    if (this.#closed) throw new Error('session is closed');
    const gen = ++this.#gen;
    const ws = new WebSocket(this.#opts.url);
    this.#ws = ws;
    ws.addEventListener('open', () => {
      if (gen === this.#gen) this.#sendJoin();
    });
    ws.addEventListener('message', (e) => {
      if (gen === this.#gen) this.#onFrame(e.data);
    });
    ws.addEventListener('close', (e) => {
      if (gen === this.#gen) this.#onSocketClose(e);
    });
  }

  /**
   * Asks the room to mute or unmute the microphone. Muting turns the
   * microphone off at once. Unmuting only asks: the microphone goes on when
   * the server's record says unmuted, and stays off when the server refuses
   * ("refused" event). `muted` follows the server's record either way.
   * @param {boolean} muted
   * @returns {boolean} false when there is no microphone to unmute
   */
  setMuted(muted) {
    muted = !!muted;
    if (!muted && !this.#local.hasAudio) return false;
    if (muted) this.#local.micOff();
    this.#request({ type: 'set_self', muted }, 'set_self');
    return true;
  }

  /**
   * Asks the room to turn the camera on or off. Turning it off stops
   * sending at once; turning it on waits for the server's record ("refused"
   * when the server says no). `cameraOn` follows the server's record.
   * @param {boolean} on
   * @returns {boolean} false when there is no camera to turn on
   */
  setCamera(on) {
    on = !!on;
    if (on && !this.#local.hasVideo) return false;
    if (!on) this.#local.cameraOff();
    this.#request({ type: 'set_self', camera: on }, 'set_self');
    return true;
  }

  /** Raises the own hand. @returns {boolean} whether it was sent */
  raiseHand() { return this.#request({ type: 'raise_hand' }, 'raise_hand'); }

  /** Lowers the own hand. @returns {boolean} whether it was sent */
  lowerHand() { return this.#request({ type: 'lower_hand' }, 'lower_hand'); }

  /**
   * Changes the own display name.
   * @param {string} name
   * @returns {boolean} whether it was sent
   */
  rename(name) {
    name = String(name).trim();
    if (name === '') return false;
    return this.#request({ type: 'rename', name }, 'rename');
  }

  /**
   * Sends a chat message.
   * @param {string} text  1 to 500 characters
   * @param {string} [to]  "room" (default), "facilitators" or a participant id
   * @returns {boolean} whether it was sent
   */
  sendChat(text, to) {
    text = String(text).trim();
    const n = Array.from(text).length;
    if (n === 0 || n > 500) return false;
    return this.#request({ type: 'chat', text, to: to || 'room' }, 'chat');
  }

  /**
   * Sends a facilitator's command (docs/protocol.md, "moderate").
   * @param {string} action  e.g. "mute", "admit", "settings"
   * @param {Record<string, unknown>} [fields]  e.g. {target: id}, {settings: {...}}
   * @returns {boolean} whether it was sent
   */
  moderate(action, fields) {
    return this.#request({ ...(fields || {}), type: 'moderate', action }, `moderate:${action}`);
  }

  /** Leaves the meeting: sends leave, closes both peer connections and the socket. */
  leave() {
    if (this.#closed) return;
    this.#leaving = true;
    if (this.#joined) this.#send({ type: 'leave' });
    this.#shutdown(1000, 'leave');
  }

  /** Closes the session without sending leave (e.g. after a failed join). */
  close() {
    if (this.#closed) return;
    this.#leaving = true;
    this.#shutdown(1000, 'close');
  }

  // ---- socket -------------------------------------------------------------

  /**
   * @param {Record<string, unknown>} msg
   * @returns {boolean} whether it was sent
   */
  #send(msg) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Sends a message with an id, remembered so that an error about it can be
   * matched ("re").
   * @param {Record<string, unknown>} msg
   * @param {string} kind
   * @returns {boolean} whether it was sent
   */
  #request(msg, kind) {
    if (!this.#joined) return false;
    const id = `c${++this.#nextRequest}`;
    /** @type {{type: string, kind: string, muted?: boolean, camera?: boolean}} */
    const info = { type: String(msg.type), kind };
    if (typeof msg.muted === 'boolean') info.muted = msg.muted;
    if (typeof msg.camera === 'boolean') info.camera = msg.camera;
    this.#requests.set(id, info);
    if (this.#requests.size > MAX_REQUESTS) {
      const oldest = this.#requests.keys().next().value;
      if (oldest !== undefined) this.#requests.delete(oldest);
    }
    return this.#send({ ...msg, id });
  }

  #sendJoin() {
    const msg = /** @type {Record<string, unknown>} */ ({ type: 'join', v: PROTOCOL_VERSION, room: this.#opts.room, name: this.#opts.name });
    for (const k of /** @type {const} */ (['facilitatorKey', 'memberKey', 'invite', 'passcode'])) if (this.#opts[k]) msg[k] = this.#opts[k];
    if (this.#identity) msg.identity = this.#identity;
    // What the server cannot know: a missing microphone or camera.
    if (!this.hasAudio) msg.muted = true;
    if (!this.hasVideo) msg.camera = false;
    this.#joinSentWithIdentity = !!this.#identity;
    this.#send(msg);
  }

  /** @param {unknown} data */
  #onFrame(data) {
    if (typeof data !== 'string') return;
    /** @type {any} */
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'welcome': this.#onWelcome(msg); break;
      case 'snapshot': this.#onSnapshot(msg); break;
      case 'event': this.#onEvent(msg); break;
      case 'offer': if (msg.pc === 'sub') this.#onSubOffer(String(msg.sdp || '')); break;
      case 'answer': if (msg.pc === 'pub') this.#peers.answer(String(msg.sdp || '')); break;
      case 'candidate': this.#peers.candidate(msg); break;
      case 'error': this.#onError(msg); break;
      case 'bye':
        this.#byeReason = String(msg.reason || '');
        this.#emit('bye', { reason: this.#byeReason });
        break;
      default: break; // unknown server messages are ignored
    }
  }

  /** @param {CloseEvent} e */
  #onSocketClose(e) {
    const wasJoined = this.#everJoined;
    this.#joined = false;
    this.#closed = true;
    this.#peers.close();
    this.#ws = null;
    this.#emit('closed', {
      code: e.code,
      reason: e.reason,
      byeReason: this.#byeReason,
      left: this.#leaving,
      wasJoined,
    });
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #shutdown(code, reason) {
    this.#joined = false;
    this.#closed = true;
    this.#peers.close();
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      // The socket's close event reports "closed".
      if (ws.readyState !== WebSocket.CLOSING) {
        try {
          ws.close(code, reason);
        } catch {
          // already closing
        }
      }
      return;
    }
    this.#ws = null;
    this.#gen++;
    queueMicrotask(() => this.#onSocketClose(/** @type {CloseEvent} */ ({ code, reason })));
  }

  /** @param {any} msg */
  #onError(msg) {
    const code = String(msg.code || 'error');
    const message = String(msg.message || code);
    if (!this.#joined && code === 'unknown_identity' && this.#joinSentWithIdentity) {
      // The identity is unknown (e.g. the server restarted): join afresh.
      this.#identity = undefined;
      this.#emit('identityrejected', {});
      this.#sendJoin();
      return;
    }
    const re = msg.re !== undefined && msg.re !== null ? String(msg.re) : '';
    const req = re ? this.#requests.get(re) : undefined;
    if (re) this.#requests.delete(re);
    if (this.#joined && req && req.type === 'set_self' && (req.muted === false || req.camera === true)) {
      // Nothing to undo: the microphone (camera) was never turned on.
      this.#emit('refused', { what: req.muted === false ? 'unmute' : 'camera', code, message });
      return;
    }
    /** @type {Record<string, unknown>} */
    const detail = { code, message, beforeWelcome: !this.#joined };
    if (msg.re !== undefined) detail.re = msg.re;
    if (req) detail.request = req.kind;
    this.#emit('servererror', detail);
  }

  // ---- room state ---------------------------------------------------------

  /** @param {any} msg */
  #onWelcome(msg) {
    if (this.#joined) return; // one welcome per connection
    const me = this.#state.welcome(msg);
    if (!me) {
      this.#emit('servererror', { code: 'bad_welcome', message: 'The server sent an incomplete welcome.', beforeWelcome: true });
      this.close();
      return;
    }
    this.#joined = this.#everJoined = true;
    if (msg.identity) this.#identity = String(msg.identity);
    this.#peers.setICEServers(msg.iceServers);
    const waiting = me.status === 'waiting';
    // The server's state wins (a comeback keeps mute/camera); tracks follow it.
    this.#followSelf({ before: undefined, after: me }, true);
    this.#emit('welcome', {
      self: me,
      room: this.room,
      identity: this.#identity,
      participants: this.participants,
      waiting,
    });
    this.#emitParticipants();
    // Nothing is negotiated from the waiting room.
    if (!waiting) this.#peers.publish();
  }

  /**
   * The whole room as this participant may see it: sent on admission and
   * when the server resynchronises.
   * @param {any} msg
   */
  #onSnapshot(msg) {
    if (!this.#joined) return;
    const wasWaiting = this.waiting;
    const change = this.#state.snapshot(msg);
    for (const id of this.#peers.remoteIds) {
      if (!this.#state.get(id)) this.#peers.dropRemote(id);
    }
    const admittedNow = wasWaiting && !!change && change.after.status !== 'waiting';
    // Admission starts the media: the server's state (e.g. mute on entry)
    // then sets the tracks, as on a welcome.
    if (change) this.#followSelf(change, admittedNow);
    this.#emit('snapshot', { admitted: admittedNow });
    this.#emit('room', { room: this.room });
    this.#emit('hands', { hands: this.hands });
    this.#emitParticipants();
    if (admittedNow) this.#onAdmitted();
  }

  #onAdmitted() {
    this.#emit('admitted', {});
    this.#peers.publish();
    this.#peers.release();
  }

  /** @param {string} sdp */
  #onSubOffer(sdp) {
    if (!this.#joined) return;
    if (this.waiting) this.#peers.hold(sdp); // no media from the waiting room
    else this.#peers.offer(sdp);
  }

  /** @param {any} msg */
  #onEvent(msg) {
    if (!this.#joined || !this.#state.accept(msg)) return;
    switch (msg.kind) {
      case 'joined':
      case 'updated':
        this.#onParticipant(msg.participant);
        return;
      case 'left':
      case 'removed':
      case 'denied': {
        const id = String(msg.participantId || (msg.participant && msg.participant.id) || '');
        if (!id) return;
        const self = id === this.selfId;
        if (!self) {
          this.#state.remove(id);
          this.#peers.dropRemote(id);
        }
        if (msg.kind !== 'left') this.#emit(msg.kind, { participantId: id, self });
        this.#emitParticipants();
        return;
      }
      case 'hands':
        this.#state.setHands(msg.hands);
        this.#emit('hands', { hands: this.hands });
        return;
      case 'room':
        if (this.#state.setRoom(msg.room)) this.#emit('room', { room: this.room });
        return;
      case 'chat': {
        const m = this.#state.addChat(msg.message);
        if (m) this.#emit('chat', { message: m });
        return;
      }
      case 'chat_deleted': {
        const id = String(msg.messageId || '');
        this.#state.deleteChat(id);
        this.#emit('chatdeleted', { messageId: id });
        return;
      }
      case 'ask_unmute':
        if (String(msg.participantId || this.selfId) === this.selfId) this.#emit('askunmute', {});
        return;
      case 'timer_warning':
        this.#emit('timerwarning', {
          participantId: String(msg.participantId || ''),
          secondsLeft: Number(msg.secondsLeft) || 30,
        });
        return;
      case 'timer_ended':
        this.#emit('timerended', { participantId: String(msg.participantId || '') });
        return;
      case 'ended':
        this.#emit('ended', {});
        return;
      default:
        return; // kinds this client does not know are ignored
    }
  }

  /** @param {any} raw  a participant record from a joined or updated event */
  #onParticipant(raw) {
    const wasWaiting = this.waiting;
    const change = this.#state.put(raw);
    if (!change) return;
    if (change.after.id !== this.selfId) {
      this.#emitParticipants();
      return;
    }
    const admittedNow = wasWaiting && change.after.status !== 'waiting';
    if (!wasWaiting && change.after.status === 'waiting') { this.#peers.close(); this.#emit('sentback', {}); } // no media while waiting
    this.#followSelf(change, admittedNow);
    this.#emitParticipants();
    if (admittedNow) this.#onAdmitted();
  }

  /**
   * The server's record of this participant is new: the local tracks follow
   * it, a missing device is reported back, and a microphone or camera the
   * server turned off is announced ("selfmedia").
   * @param {Change} change
   * @param {boolean} full  welcome or admission: the tracks take the record as it is
   */
  #followSelf({ before, after }, full) {
    const { forcedMute, forcedCameraOff, fix } = this.#local.follow(before, after, full);
    const mutedByFacilitator = !!before && isMutedByFacilitator(after) && !isMutedByFacilitator(before);
    if (forcedMute || forcedCameraOff || mutedByFacilitator) this.#emit('selfmedia', { forcedMute, forcedCameraOff, mutedByFacilitator });
    if (Object.keys(fix).length > 0) this.#request({ type: 'set_self', ...fix }, 'set_self');
  }

  #emitParticipants() {
    this.#emit('participants', { participants: this.participants, selfId: this.selfId });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
