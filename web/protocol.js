// Hearth signaling client, protocol version 1 (docs/protocol.md).
//
// HearthSession: requests and their errors, the server's messages
// dispatched as events, and coming back after a lost connection. The
// socket and its reconnect loop are connection.js; the room as the server
// last said it is kept by roomstate.js; the local tracks and the peer
// connections are media.js. None of them touches the page: they only use
// WebSocket, RTCPeerConnection and MediaStream, so the UI (ui.js and its
// modules) owns everything that is shown. The caller passes the WebSocket
// URL in (wsURL).
//
// A lost (or silent) socket is not the end: the session comes back with its
// resume token ("connectionlost", "reconnected"; connection.js).
//
// Mute and camera have one source of truth: the server's record of this
// participant. Asking to unmute (or to start the camera) only sends set_self;
// the microphone goes on when the server's record says unmuted. Muting turns
// it off at once, and the record says muted once the server has taken it.

import { RoomState, isFacilitatorRole, isMutedByFacilitator } from './roomstate.js';
import { LocalMedia, Peers } from './media.js';
import { Connection } from './connection.js';
import { applyEvent } from './roomevents.js';
import { Requests, turnOnRefused } from './requests.js';

export { isFacilitatorRole, isMutedByFacilitator } from './roomstate.js';
export { wsURL } from './connection.js';

/** @typedef {import('./roomstate.js').Participant} Participant */
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
 * @property {boolean} [newHere]          the newcomer is new to the group (facilitators are told)
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
 * - "hands", "chat", "chatdeleted", "askunmute", "timerwarning", "timerended", "removed",
 *   "denied", "report", "reportdismissed", "ended": the room's events (detail: roomevents.js); "reportsent" {}
 * - "speakers"         {talking: Set<string>}  ids of who is talking now (`talking`, never a muted one)
 * - "message"          a server message of a type this file does not handle (e.g. audio_only: simulcast.js)
 * - "selfmedia"        {forcedMute: boolean, forcedCameraOff: boolean, mutedByFacilitator: boolean}
 *                      the server's record turned a microphone or camera off that was on (the
 *                      tracks now follow it), or just became "muted by a facilitator"; sent
 *                      before the "participants" event of the same record
 * - "refused"          {what: 'unmute'|'camera', code: string, message: string}  a set_self was refused;
 *                      the microphone stays muted (or the camera off), as the server's record says
 * - "streamadded"      {participantId: string, stream: MediaStream, track: MediaStreamTrack}
 * - "streamremoved"    {participantId: string}
 * - "screenadded", "screenremoved"  {participantId: string, stream: MediaStream}  a shared screen
 * - "servererror"      {code: string, message: string, re?: string|number, request?: string, beforeWelcome: boolean}
 *                      request: what the refused message was, e.g. "chat", "rename", "moderate:remove"
 * - "identityrejected" {}  the stored identity was refused; the join is retried without it
 * - "mediaerror"       {pc: 'pub'|'sub', message: string}  a local WebRTC failure
 * - "connectionstate"  {pc: 'pub'|'sub', state: RTCPeerConnectionState}
 * - "bye"              {reason: string}  (on a "reconnect" message the session comes back at once on a new socket)
 * - "connectionlost"   {attempt: number, delay: number}  the socket was lost; a new one opens in delay ms
 * - "reconnected"      {resumed: boolean}  back after reconnecting: resumed (the same session, media
 *                      and all), or joined again (a "welcome" came first; media starts afresh)
 * - "closed"           {code: number, reason: string, byeReason: string|null, left: boolean, wasJoined: boolean}
 *                      the session is over (left, ended by the server, or reconnecting gave up)
 *
 * Event sequence numbers may have gaps (a participant does not get the
 * events it may not see); events at or below the last seen seq are dropped.
 */

export const PROTOCOL_VERSION = 1;

/** Bye reasons after which the session does not come back. */
const FINAL_BYES = new Set(['left', 'removed', 'denied', 'ended', 'replaced', 'link_rotated']);
/** Join refusals after which a reconnecting session tries again later. */
const RETRY_CODES = new Set(['unavailable', 'rate_limited', 'internal', 'draining']);

/**
 * One participant's connection to a Hearth room: the signaling WebSocket,
 * the room as the server says it, the local tracks and the two peer
 * connections.
 */
export class HearthSession extends EventTarget {
  /** @type {SessionOptions} */
  #opts;
  /** @type {Connection} */
  #conn;
  #joined = false;
  #everJoined = false;
  #closed = false;
  #leaving = false;
  /** @type {string|null} */
  #byeReason = null;
  #joinSentWithIdentity = false;
  /** @type {string|undefined} */
  #identity;
  /** The resume token of the last welcome. @type {string|undefined} */
  #resume;
  /** ICE is to be restarted once the session is back. */
  #restartWanted = false;

  /** @type {RoomState} */
  #state;
  /** @type {LocalMedia} */
  #local;
  /** @type {Peers} */
  #peers;
  /** What roomevents.js changes and announces. @type {import('./roomevents.js').EventSink} */
  #sink;

  /** Sent requests, to match an error's "re". */
  #requests = new Requests();

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
      trouble: () => this.restartIce(),
      rtcConfig: opts.rtcConfig,
    });
    this.#local.onTrack = (kind, track) => this.#peers.setTrack(kind, track);
    this.#sink = {
      state: this.#state,
      dropRemote: (id) => this.#peers.dropRemote(id),
      emit: (type, detail) => this.#emit(type, detail),
      participant: (raw) => this.#onParticipant(raw),
      participants: () => this.#emitParticipants(),
    };
    this.#conn = new Connection(opts.url, {
      open: () => {
        this.#joined = false; // until this socket's welcome
        this.#sendJoin();
      },
      message: (data) => this.#onFrame(data),
      lost: (e) => this.#onLost(e),
      retrying: (attempt, delay) => this.#emit('connectionlost', { attempt, delay }),
      closed: (e) => this.#onSocketClose(e),
      online: () => this.restartIce(), stalled: () => { this.#restartWanted = this.#everJoined; },
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
  /** @returns {boolean} true after welcome until the session is closed (false while reconnecting) */
  get joined() { return this.#joined; }
  /** @returns {boolean} the socket was lost and the session is coming back */
  get reconnecting() { return this.#conn.away; }
  /** @returns {boolean} joined and still in the waiting room */
  get waiting() { const me = this.#state.self; return this.#joined && !!me && me.status === 'waiting'; }
  /** @returns {boolean} this participant is a facilitator or co-facilitator */
  get isFacilitator() { return isFacilitatorRole(this.#state.self); }
  /** @returns {boolean} the server's record says the microphone is muted (true before welcome) */
  get muted() { return !this.#state.self || this.#state.self.muted; }
  /** @returns {boolean} the server's record says the camera is on */
  get cameraOn() { return !!this.#state.self && this.#state.self.camera; }
  /** @returns {boolean} the local stream has a microphone track */
  get hasAudio() { return this.#local.hasAudio; }
  /** @returns {MediaStream} the local microphone and camera tracks (possibly none) */
  get localStream() { return this.#local.stream; }
  /** @returns {boolean} the local stream has a camera track */
  get hasVideo() { return this.#local.hasVideo; }
  /** @returns {Participant[]} known participants in join order, self included (facilitators: also those waiting) */
  get participants() { return this.#state.participants; }
  /** @returns {string[]} raised hands: participant ids, first raised first */
  get hands() { return this.#state.hands; }
  /** @returns {ChatMessage[]} the chat of the running meeting, oldest first */
  get chat() { return this.#state.chat; }
  /** @returns {import('./roomstate.js').Report[]} the meeting's reports (facilitators only) */
  get reports() { return this.#state.reports; }
  /** @returns {Set<string>} ids of the participants talking now (never a muted one) */
  get talking() { return this.#state.talking; }
  /** @param {string} participantId @returns {MediaStream|undefined} the stream forwarded for that publisher */
  remoteStream(participantId) { return this.#peers.remoteStream(participantId); }

  // ---- public actions -----------------------------------------------------

  /** Opens the WebSocket and sends join once it is open. */
  connect() {
    if (this.#closed) throw new Error('session is closed');
    this.#conn.open();
  }

  /** Gives up the socket and comes back at once on a new one, resuming the session (e.g. the server is going away). */
  reconnectNow() {
    if (this.#closed || !this.#everJoined) return;
    this.#joined = false;
    this.#conn.reconnect(true);
  }

  /**
   * Restarts ICE on both peer connections after a network change: at once
   * over a socket that answers its pings, else once a renewed socket took
   * the session back (the old one may have died with the old address).
   */
  restartIce() {
    if (this.#closed || !this.#everJoined) return;
    if (this.#joined && this.#conn.answering) {
      if (!this.waiting) this.#peers.resumed(true);
      return;
    }
    this.#restartWanted = true;
    if (!this.#conn.away) this.#conn.renew();
  }

  /** Moves the meeting to the format's next or previous segment (facilitators). @param {'next'|'previous'} to @returns {boolean} whether it was sent */
  moveSegment(to) { return this.#request({ type: 'segment', to }, 'segment'); }

  /**
   * Asks the room to mute (unmute) the microphone. Off acts at once: the
   * microphone is silenced (setCamera: the camera is closed). On opens the
   * device if none is open yet (it starts off) and only asks: it goes on
   * when the server's record says so, and stays off when the server refuses
   * ("refused"). `muted` and `cameraOn` follow the server's record.
   * @param {boolean} muted
   * @returns {Promise<boolean>} false when no microphone could be opened
   */
  async setMuted(muted) {
    if (muted) this.#local.micOff();
    else if (!(await this.#local.acquire('audio'))) return false;
    this.#request({ type: 'set_self', muted: !!muted }, 'set_self');
    return true;
  }

  /** Like setMuted, for the camera. @param {boolean} on @returns {Promise<boolean>} false when no camera could be opened */
  async setCamera(on) {
    if (!on) this.#local.cameraOff();
    else if (!(await this.#local.acquire('video'))) return false;
    this.#request({ type: 'set_self', camera: !!on }, 'set_self');
    return true;
  }

  /** Asks to share the screen or stop (refused: "servererror", request "screen_share"). @param {boolean} on @returns {boolean} */
  shareScreen(on) { return this.#request({ type: 'screen_share', on: !!on }, 'screen_share'); }
  /** Sends a screen's track (null: none) on the pub connection. @param {MediaStreamTrack|null} track @returns {Promise<void>} */
  publishScreen(track) { return this.#peers.setScreen(track); }

  /** Uses this microphone or camera from now on. @param {'audio'|'video'} kind @param {string} deviceId "" for the default @returns {Promise<boolean>} */
  useDevice(kind, deviceId) { return this.#local.useDevice(kind, deviceId); }

  /** Raises the own hand. @returns {boolean} whether it was sent */
  raiseHand() { return this.#request({ type: 'raise_hand' }, 'raise_hand'); }

  /** Lowers the own hand. @returns {boolean} whether it was sent */
  lowerHand() { return this.#request({ type: 'lower_hand' }, 'lower_hand'); }

  /** Changes the own display name. @param {string} name @returns {boolean} whether it was sent */
  rename(name) {
    name = String(name).trim();
    if (name === '') return false;
    return this.#request({ type: 'rename', name }, 'rename');
  }

  /** Sends a chat message. @param {string} text 1 to 500 characters @param {string} [to] "room" (default), "facilitators" or a participant id @returns {boolean} whether it was sent */
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

  /** Reports to the facilitators ("reportsent" follows). @param {{participant?: string, message?: string, reason?: string}} r @returns {boolean} whether it was sent */
  report(r) { return this.#request({ ...r, type: 'report' }, 'report'); }

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

  /** Sends a module's own message while joined (simulcast.js: video_sizes, audio_only). @param {Record<string, unknown>} msg */
  sendOwn(msg) { return this.#request(msg, String(msg.type)); }
  /**
   * @param {Record<string, unknown>} msg
   * @returns {boolean} whether it was sent
   */
  #send(msg) {
    return this.#conn.send(JSON.stringify(msg));
  }

  /**
   * Sends msg with an id, remembered to match an error about it ("re").
   * @param {Record<string, unknown>} msg
   * @param {string} kind
   * @returns {boolean} whether it was sent
   */
  #request(msg, kind) {
    return this.#joined && this.#send(this.#requests.add(msg, kind));
  }

  #sendJoin() {
    const msg = /** @type {Record<string, unknown>} */ ({ type: 'join', v: PROTOCOL_VERSION, room: this.#opts.room, name: this.#opts.name });
    for (const k of /** @type {const} */ (['facilitatorKey', 'memberKey', 'invite', 'passcode', 'newHere'])) if (this.#opts[k]) msg[k] = this.#opts[k];
    if (this.#identity) msg.identity = this.#identity;
    if (this.#resume) msg.resume = this.#resume;
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
      case 'speakers': if (this.#joined && this.#state.setTalking(msg.talking)) this.#emit('speakers', { talking: this.talking }); break;
      case 'error': this.#onError(msg); break;
      case 'report_sent': this.#emit('reportsent', {}); break;
      case 'reconnect': this.reconnectNow(); break; // the server drains: another one takes us now
      case 'bye': this.#byeReason = String(msg.reason || ''); this.#emit('bye', { reason: this.#byeReason }); break;
      default: this.#emit('message', msg); break; // others go to the modules that speak them (simulcast.js)
    }
  }

  /**
   * The socket was lost; returns whether to reconnect: after a join,
   * unless the session was left or ended.
   * @param {CloseEvent} e
   * @returns {boolean}
   */
  #onLost(e) {
    this.#joined = false;
    if (this.#closed || this.#leaving || !this.#everJoined || FINAL_BYES.has(this.#byeReason || '') || e.code === 1008) return false;
    this.#byeReason = null;
    return true;
  }

  /** @param {CloseEvent} e */
  #onSocketClose(e) {
    const wasJoined = this.#everJoined;
    this.#joined = false;
    this.#closed = true;
    this.#peers.close();
    this.#emit('closed', { code: e.code, reason: e.reason, byeReason: this.#byeReason, left: this.#leaving, wasJoined });
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #shutdown(code, reason) {
    this.#joined = false;
    this.#closed = true;
    this.#peers.close();
    this.#conn.close(code, reason);
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
    if (!this.#joined && this.#everJoined) {
      this.#refusedBack(code, message);
      return;
    }
    const req = this.#requests.take(msg.re !== undefined && msg.re !== null ? String(msg.re) : '');
    const what = turnOnRefused(req);
    if (this.#joined && what) {
      this.#emit('refused', { what, code, message });
      return;
    }
    /** @type {Record<string, unknown>} */
    const detail = { code, message, beforeWelcome: !this.#joined };
    if (msg.re !== undefined) detail.re = msg.re;
    if (req) detail.request = req.kind;
    this.#emit('servererror', detail);
  }

  /**
   * The join of a reconnecting session was refused: try again later when
   * the server could not decide, otherwise the session ends ("removed"
   * ends it as a bye would).
   * @param {string} code
   * @param {string} message
   */
  #refusedBack(code, message) {
    this.#emit('servererror', { code, message, beforeWelcome: true });
    if (this.#closed) return;
    if (RETRY_CODES.has(code)) {
      this.#conn.reconnect(false);
      return;
    }
    if (code === 'removed') this.#byeReason = 'removed';
    this.#shutdown(1000, 'refused');
  }

  // ---- room state ---------------------------------------------------------

  /** @param {any} msg */
  #onWelcome(msg) {
    if (this.#joined) return; // one welcome per connection
    if (msg.resume) this.#resume = String(msg.resume);
    const again = this.#everJoined;
    this.#conn.settle();
    if (again && msg.resumed) {
      this.#onResumed(msg);
      return;
    }
    // A join (again): the server's session is new, and so is the media.
    if (again) this.#peers.close();
    this.#restartWanted = false;
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
    if (again) this.#emit('reconnected', { resumed: false });
    // Nothing is negotiated from the waiting room.
    if (!waiting) this.#peers.publish();
  }

  /**
   * The server took the session back: the welcome replaces the room as a
   * snapshot does, the peer connections go on; what the lost socket may
   * have swallowed (an offer, a microphone or camera turned off) is sent
   * again, and ICE restarts if the network changed.
   * @param {any} msg
   */
  #onResumed(msg) {
    this.#joined = true;
    this.#onSnapshot(msg);
    const fix = this.self ? this.#local.offsLost(this.self) : {};
    if (Object.keys(fix).length > 0) this.#request({ type: 'set_self', ...fix }, 'set_self');
    this.#emit('reconnected', { resumed: true });
    if (!this.waiting) this.#peers.resumed(this.#restartWanted);
    this.#restartWanted = false;
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
    if (this.#joined && this.#state.accept(msg)) applyEvent(msg, this.#sink);
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
