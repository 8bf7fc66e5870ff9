// Hearth signaling client, protocol version 1 (docs/protocol.md).
//
// This module never touches the page: it only uses WebSocket,
// RTCPeerConnection and MediaStream, so the UI (ui.js) owns everything that
// is shown. The caller passes the WebSocket URL in (see wsURL below).

/**
 * @typedef {Object} Participant
 * @property {string} id
 * @property {string} name
 * @property {'facilitator'|'cofacilitator'|'member'} role
 * @property {'waiting'|'admitted'} status  waiting: in the waiting room
 * @property {boolean} muted   the microphone is muted
 * @property {''|'self'|'facilitator'} mutedBy  who muted it
 * @property {boolean} camera  the camera is on
 */

/**
 * @typedef {Object} ShareTimer
 * @property {string} speaker   participant id
 * @property {number} endsAt    Unix milliseconds, server clock
 * @property {number} seconds
 * @property {boolean} autoMute
 */

/**
 * The room's state and settings. Fields the server leaves out get the
 * defaults below (chatOpen and selfRename default to true: the server
 * enforces them anyway).
 * @typedef {Object} Room
 * @property {string} id
 * @property {string} name
 * @property {boolean} locked
 * @property {boolean} autoLocked
 * @property {boolean} waitingRoom
 * @property {boolean} muteOnEntry
 * @property {'open'|'moderated'} mode
 * @property {boolean} selfRename
 * @property {boolean} privateChat
 * @property {boolean} chatOpen
 * @property {boolean} suspended
 * @property {string} guidelines
 * @property {number} shareSeconds
 * @property {boolean} autoMute
 * @property {string} speaker     participant id, or ""
 * @property {ShareTimer|null} timer
 */

/**
 * @typedef {Object} ChatMessage
 * @property {string} id
 * @property {string} from       participant id of the sender
 * @property {string} fromName
 * @property {string} to         "room", "facilitators" or a participant id
 * @property {string} text
 * @property {number} at         Unix milliseconds
 */

/**
 * @typedef {Object} SessionOptions
 * @property {string} url                 WebSocket URL of the signaling endpoint, e.g. "wss://host/ws"
 * @property {string} room                room id from the link
 * @property {string} name                display name (1 to 40 characters after trimming)
 * @property {string} [facilitatorKey]    the "f" value of a facilitator link
 * @property {string} [identity]          token from an earlier welcome in the same room
 * @property {MediaStream|null} [stream]  local microphone/camera stream to publish
 * @property {RTCConfiguration} [rtcConfig] peer connection configuration (no ICE servers by default)
 */

/**
 * Events dispatched by HearthSession (all are CustomEvents; see `detail`):
 *
 * - "welcome"          {self: Participant, room: Room, identity: string, participants: Participant[], waiting: boolean}
 * - "admitted"         {}  a waiting participant was let in (media starts now)
 * - "snapshot"         {}  the whole room state was replaced (admission or resynchronisation)
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
 *                      the server turned the local microphone or camera off (the tracks now
 *                      follow it), or its state just became "muted by a facilitator"
 * - "refused"          {what: 'unmute'|'camera', code: string, message: string}  a set_self was refused;
 *                      the microphone stays muted (or the camera off)
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

/** How long a set_self change waits for the server's echo before the server's state wins again. */
const PENDING_MS = 5000;

/** How many chat messages a session keeps (a meeting's chat is small; this bounds memory). */
const MAX_CHAT = 500;

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
 * @param {Participant|undefined|null} p
 * @returns {boolean} the participant is a facilitator or co-facilitator
 */
export function isFacilitatorRole(p) {
  return !!p && (p.role === 'facilitator' || p.role === 'cofacilitator');
}

/**
 * One participant's connection to a Hearth room: the signaling WebSocket,
 * the publish peer connection ("pub", client offers) and the subscribe peer
 * connection ("sub", server offers).
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
  #seq = 0;
  /** @type {Room} */
  #room;
  /** @type {string} */
  #selfId = '';
  /** @type {Map<string, Participant>} */
  #participants = new Map();
  /** @type {string[]} */
  #hands = [];
  /** @type {ChatMessage[]} */
  #chat = [];

  /** Sent requests by id, to match an error's "re". @type {Map<string, {type: string, kind: string, muted?: boolean, camera?: boolean}>} */
  #requests = new Map();
  #nextRequest = 0;
  /**
   * set_self changes sent but not yet echoed by the server: until the echo,
   * older events saying otherwise do not move the local tracks.
   * @type {{muted: {value: boolean, at: number}|null, camera: {value: boolean, at: number}|null}}
   */
  #pending = { muted: null, camera: null };
  /** The server's last word on this participant. @type {Participant|null} */
  #serverSelf = null;

  /** @type {RTCPeerConnection|null} */
  #pub = null;
  /** @type {RTCPeerConnection|null} */
  #sub = null;
  /** Serializes the handling of server offers for the sub connection. */
  #subQueue = Promise.resolve();
  /** A sub offer that arrived while waiting; answered once admitted. @type {string|null} */
  #deferredSubOffer = null;
  /** Local candidates gathered before the SDP they belong to was sent. */
  #pendingCandidates = { pub: /** @type {RTCIceCandidateInit[]} */ ([]), sub: /** @type {RTCIceCandidateInit[]} */ ([]) };
  #canTrickle = { pub: false, sub: false };
  /** @type {Map<string, MediaStream>} publisher participant id -> stream */
  #remote = new Map();
  /** @type {WeakSet<MediaStream>} */
  #watched = new WeakSet();

  #muted = false;
  #cameraOn = true;

  /** @param {SessionOptions} opts */
  constructor(opts) {
    super();
    if (!opts || !opts.url || !opts.room) throw new TypeError('url and room are required');
    this.#opts = { ...opts };
    this.#identity = opts.identity || undefined;
    this.#room = normalizeRoom({ id: opts.room });
    const audio = this.#audioTracks();
    const video = this.#videoTracks();
    this.#muted = audio.length === 0 || !audio.some((t) => t.enabled);
    this.#cameraOn = video.length > 0 && video.some((t) => t.enabled);
  }

  // ---- public state -------------------------------------------------------

  /** @returns {string} the own participant id ("" before welcome) */
  get selfId() { return this.#selfId; }
  /** @returns {Participant|undefined} */
  get self() {
    const me = this.#participants.get(this.#selfId);
    return me ? { ...me } : undefined;
  }
  /** @returns {Room} the room's state and settings */
  get room() { return { ...this.#room, timer: this.#room.timer ? { ...this.#room.timer } : null }; }
  /** @returns {string|undefined} the identity token from the last welcome */
  get identity() { return this.#identity; }
  /** @returns {boolean} true after welcome until the session is closed */
  get joined() { return this.#joined; }
  /** @returns {boolean} joined and still in the waiting room */
  get waiting() {
    const me = this.#participants.get(this.#selfId);
    return this.#joined && !!me && me.status === 'waiting';
  }
  /** @returns {boolean} this participant is a facilitator or co-facilitator */
  get isFacilitator() { return isFacilitatorRole(this.#participants.get(this.#selfId)); }
  /** @returns {boolean} the local microphone is muted (or absent) */
  get muted() { return this.#muted; }
  /** @returns {boolean} the local camera is on */
  get cameraOn() { return this.#cameraOn; }
  /** @returns {boolean} the local stream has a microphone track */
  get hasAudio() { return this.#audioTracks().length > 0; }
  /** @returns {boolean} the local stream has a camera track */
  get hasVideo() { return this.#videoTracks().length > 0; }
  /**
   * @returns {Participant[]} known participants in join order, self included;
   * facilitators also see the people in the waiting room (status "waiting")
   */
  get participants() { return [...this.#participants.values()].map((p) => ({ ...p })); }
  /** @returns {string[]} raised hands: participant ids, first raised first */
  get hands() { return [...this.#hands]; }
  /** @returns {ChatMessage[]} the chat of the running meeting, oldest first */
  get chat() { return this.#chat.map((m) => ({ ...m })); }
  /**
   * @param {string} participantId
   * @returns {MediaStream|undefined} the stream forwarded for that publisher
   */
  remoteStream(participantId) { return this.#remote.get(participantId); }

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
   * Mutes or unmutes the microphone and tells the room. The server may
   * refuse an unmute ("refused" event); the microphone is then muted again.
   * @param {boolean} muted
   * @returns {boolean} false when there is no microphone to unmute
   */
  setMuted(muted) {
    muted = !!muted;
    const tracks = this.#audioTracks();
    if (!muted && tracks.length === 0) return false;
    for (const t of tracks) t.enabled = !muted;
    this.#muted = muted;
    this.#updateSelf({ muted, mutedBy: muted ? 'self' : '' });
    return true;
  }

  /**
   * Turns the camera on or off and tells the room. The server may refuse
   * turning it on ("refused" event); the camera is then off again.
   * @param {boolean} on
   * @returns {boolean} false when there is no camera to turn on
   */
  setCamera(on) {
    on = !!on;
    const tracks = this.#videoTracks();
    if (on && tracks.length === 0) return false;
    for (const t of tracks) t.enabled = on;
    this.#cameraOn = on;
    this.#updateSelf({ camera: on });
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
    /** @type {Record<string, unknown>} */
    const msg = { type: 'join', v: PROTOCOL_VERSION, room: this.#opts.room, name: this.#opts.name };
    if (this.#opts.facilitatorKey) msg.facilitatorKey = this.#opts.facilitatorKey;
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
      case 'answer': if (msg.pc === 'pub') this.#onPubAnswer(String(msg.sdp || '')); break;
      case 'candidate': this.#onRemoteCandidate(msg); break;
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
    this.#teardownMedia();
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
    this.#teardownMedia();
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

  // ---- room state ---------------------------------------------------------

  /** @param {any} msg */
  #onWelcome(msg) {
    if (this.#joined) return; // one welcome per connection
    /** @type {Participant} */
    const rawSelf = msg.self;
    if (!rawSelf || !rawSelf.id) {
      this.#emit('servererror', { code: 'bad_welcome', message: 'The server sent an incomplete welcome.', beforeWelcome: true });
      this.close();
      return;
    }
    this.#joined = true;
    this.#everJoined = true;
    this.#room = normalizeRoom(msg.room, this.#opts.room);
    this.#seq = Number(msg.seq) || 0;
    if (msg.identity) this.#identity = String(msg.identity);
    this.#selfId = String(rawSelf.id);
    this.#replaceState(msg, normalize(rawSelf));
    const me = /** @type {Participant} */ (this.#participants.get(this.#selfId));
    const waiting = me.status === 'waiting';

    // The server's state wins (a comeback keeps mute/camera); tracks follow it.
    const fix = this.#applyServerSelf(me, true);

    this.#emit('welcome', {
      self: { ...me },
      room: this.room,
      identity: this.#identity,
      participants: this.participants,
      waiting,
    });
    if (Object.keys(fix).length > 0) this.#updateSelf(fix);
    else this.#emitParticipants();
    // Nothing is negotiated from the waiting room.
    if (!waiting) this.#startPublishing();
  }

  /**
   * The whole room as this participant may see it: sent on admission and
   * when the server resynchronises.
   * @param {any} msg
   */
  #onSnapshot(msg) {
    if (!this.#joined) return;
    const wasWaiting = this.waiting;
    if (msg.seq !== undefined && msg.seq !== null && Number.isFinite(Number(msg.seq))) this.#seq = Number(msg.seq);
    if (msg.room) this.#room = normalizeRoom(msg.room, this.#opts.room);
    const known = this.#participants.get(this.#selfId);
    const rawSelf = msg.self && msg.self.id === this.#selfId ? normalize(msg.self) : known;
    this.#replaceState(msg, rawSelf);
    for (const id of [...this.#remote.keys()]) {
      if (!this.#participants.has(id)) this.#dropRemote(id);
    }
    const me = this.#participants.get(this.#selfId);
    const admittedNow = wasWaiting && !!me && me.status !== 'waiting';
    // Admission starts the media: the server's state (e.g. mute on entry)
    // then sets the tracks, as on a welcome. Otherwise it may only turn
    // them off.
    const fix = me ? this.#applyServerSelf(me, admittedNow) : {};
    this.#emit('snapshot', { admitted: admittedNow });
    this.#emit('room', { room: this.room });
    this.#emit('hands', { hands: this.hands });
    if (Object.keys(fix).length > 0) this.#updateSelf(fix);
    else this.#emitParticipants();
    if (admittedNow) this.#onAdmitted();
  }

  /**
   * Takes participants, hands and chat from a welcome or snapshot.
   * @param {any} msg
   * @param {Participant|undefined} self
   */
  #replaceState(msg, self) {
    const participants = new Map();
    for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
      if (p && p.id) participants.set(String(p.id), normalize(p));
    }
    if (self) {
      // "self" is the authoritative entry for this participant.
      participants.set(self.id, participants.has(self.id) ? { ...participants.get(self.id), ...self } : self);
      this.#serverSelf = { ...self };
    }
    this.#participants = participants;
    this.#hands = handIds(msg.hands);
    this.#chat = Array.isArray(msg.chat) ? msg.chat.map(normalizeChat).filter(Boolean).slice(-MAX_CHAT) : [];
  }

  #onAdmitted() {
    this.#emit('admitted', {});
    this.#startPublishing();
    const offer = this.#deferredSubOffer;
    this.#deferredSubOffer = null;
    if (offer !== null) this.#onSubOffer(offer);
  }

  /** @param {any} msg */
  #onEvent(msg) {
    if (!this.#joined) return;
    if (msg.seq !== undefined && msg.seq !== null) {
      const seq = Number(msg.seq);
      if (Number.isFinite(seq)) {
        if (seq <= this.#seq) return; // already reflected
        // Gaps are normal: a participant does not get the events it may not see.
        this.#seq = seq;
      }
    }
    switch (msg.kind) {
      case 'joined':
      case 'updated': {
        if (!msg.participant || !msg.participant.id) return;
        const wasWaiting = this.waiting;
        const p = normalize(msg.participant);
        this.#participants.set(p.id, p);
        if (p.id === this.#selfId) {
          const before = this.#serverSelf;
          this.#serverSelf = { ...p };
          const admittedNow = wasWaiting && p.status !== 'waiting';
          const byFacilitator = p.muted && p.mutedBy === 'facilitator';
          const newlyByFacilitator = !!before && byFacilitator && !(before.muted && before.mutedBy === 'facilitator');
          const fix = this.#applyServerSelf(p, admittedNow, newlyByFacilitator);
          if (Object.keys(fix).length > 0) this.#updateSelf(fix);
          else this.#emitParticipants();
          if (admittedNow) this.#onAdmitted();
          return;
        }
        this.#emitParticipants();
        return;
      }
      case 'left':
      case 'removed':
      case 'denied': {
        const id = String(msg.participantId || (msg.participant && msg.participant.id) || '');
        if (!id) return;
        const self = id === this.#selfId;
        if (!self) {
          this.#participants.delete(id);
          this.#dropRemote(id);
          this.#hands = this.#hands.filter((h) => h !== id);
        }
        if (msg.kind !== 'left') this.#emit(msg.kind, { participantId: id, self });
        this.#emitParticipants();
        return;
      }
      case 'hands':
        this.#hands = handIds(msg.hands);
        this.#emit('hands', { hands: this.hands });
        return;
      case 'room':
        if (!msg.room || typeof msg.room !== 'object') return;
        this.#room = normalizeRoom({ id: this.#room.id, ...msg.room }, this.#opts.room);
        this.#emit('room', { room: this.room });
        return;
      case 'chat': {
        const m = normalizeChat(msg.message);
        if (!m) return;
        if (this.#chat.some((c) => c.id === m.id && m.id !== '')) return;
        this.#chat.push(m);
        if (this.#chat.length > MAX_CHAT) this.#chat.splice(0, this.#chat.length - MAX_CHAT);
        this.#emit('chat', { message: { ...m } });
        return;
      }
      case 'chat_deleted': {
        const id = String(msg.messageId || '');
        this.#chat = this.#chat.filter((c) => c.id !== id);
        this.#emit('chatdeleted', { messageId: id });
        return;
      }
      case 'ask_unmute': {
        const id = String(msg.participantId || this.#selfId);
        if (id === this.#selfId) this.#emit('askunmute', {});
        return;
      }
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

  /**
   * Makes the local tracks follow the server's state of this participant.
   * With full, both ways (welcome, admission); otherwise only towards
   * privacy: the server may mute us or stop our camera (a facilitator did),
   * but never turns a microphone or camera on. A change of ours that the
   * server has not echoed yet is not undone by older events.
   * @param {Participant} me  the server's view
   * @param {boolean} full
   * @param {boolean} [newlyByFacilitator] the server's state just became "muted by a facilitator"
   * @returns {Partial<Participant>} corrections to send (a missing device)
   */
  #applyServerSelf(me, full, newlyByFacilitator = false) {
    /** @type {Partial<Participant>} */
    const fix = {};
    const now = Date.now();
    const pm = this.#pending.muted;
    if (pm && (pm.value === me.muted || now - pm.at > PENDING_MS)) this.#pending.muted = null;
    const pc = this.#pending.camera;
    if (pc && (pc.value === me.camera || now - pc.at > PENDING_MS)) this.#pending.camera = null;

    let forcedMute = false;
    let forcedCameraOff = false;
    if (this.hasAudio) {
      if (full) {
        for (const t of this.#audioTracks()) t.enabled = !me.muted;
        this.#muted = me.muted;
        this.#pending.muted = null;
      } else if (me.muted && !this.#muted && !this.#pending.muted) {
        for (const t of this.#audioTracks()) t.enabled = false;
        this.#muted = true;
        forcedMute = true;
      }
    } else {
      this.#muted = true;
      if (!me.muted) fix.muted = true;
    }
    if (this.hasVideo) {
      if (full) {
        for (const t of this.#videoTracks()) t.enabled = me.camera;
        this.#cameraOn = me.camera;
        this.#pending.camera = null;
      } else if (!me.camera && this.#cameraOn && !this.#pending.camera) {
        for (const t of this.#videoTracks()) t.enabled = false;
        this.#cameraOn = false;
        forcedCameraOff = true;
      }
    } else {
      this.#cameraOn = false;
      if (me.camera) fix.camera = false;
    }
    if (forcedMute || forcedCameraOff || newlyByFacilitator) {
      this.#emit('selfmedia', { forcedMute, forcedCameraOff, mutedByFacilitator: newlyByFacilitator });
    }
    return fix;
  }

  /** @param {Partial<Participant>} change */
  #updateSelf(change) {
    const me = this.#participants.get(this.#selfId);
    if (me) this.#participants.set(me.id, { ...me, ...change });
    if (this.#joined) {
      /** @type {Record<string, unknown>} */
      const msg = { type: 'set_self' };
      const now = Date.now();
      if (typeof change.muted === 'boolean') {
        msg.muted = change.muted;
        this.#pending.muted = { value: change.muted, at: now };
      }
      if (typeof change.camera === 'boolean') {
        msg.camera = change.camera;
        this.#pending.camera = { value: change.camera, at: now };
      }
      this.#request(msg, 'set_self');
      // If no echo comes, the server's last word applies again.
      setTimeout(() => this.#settlePending(), PENDING_MS + 100);
    }
    this.#emitParticipants();
  }

  #settlePending() {
    if (!this.#joined || !this.#serverSelf) return;
    const fix = this.#applyServerSelf(this.#serverSelf, false);
    if (Object.keys(fix).length > 0) this.#updateSelf(fix);
    else this.#emitParticipants();
  }

  /**
   * The server refused turning the microphone or camera on: follow it.
   * @param {{muted?: boolean, camera?: boolean}} req
   * @param {string} code
   * @param {string} message
   * @returns {boolean} whether something was undone
   */
  #undoRefused(req, code, message) {
    const me = this.#participants.get(this.#selfId);
    const server = this.#serverSelf;
    let undone = false;
    if (req.muted === false) {
      for (const t of this.#audioTracks()) t.enabled = false;
      this.#muted = true;
      this.#pending.muted = null;
      if (me) {
        this.#participants.set(me.id, {
          ...me,
          muted: true,
          mutedBy: server && server.muted ? server.mutedBy : me.mutedBy || 'self',
        });
      }
      this.#emit('refused', { what: 'unmute', code, message });
      undone = true;
    }
    if (req.camera === true) {
      for (const t of this.#videoTracks()) t.enabled = false;
      this.#cameraOn = false;
      this.#pending.camera = null;
      const now = this.#participants.get(this.#selfId);
      if (now) this.#participants.set(now.id, { ...now, camera: false });
      this.#emit('refused', { what: 'camera', code, message });
      undone = true;
    }
    if (undone) this.#emitParticipants();
    return undone;
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
    if (this.#joined) {
      if (req && req.type === 'set_self' && this.#undoRefused(req, code, message)) return;
      if (!req && code === 'not_allowed') {
        // No "re" to go by: a pending unmute or camera-on is the likely cause.
        /** @type {{muted?: boolean, camera?: boolean}} */
        const guess = {};
        if (this.#pending.muted && this.#pending.muted.value === false) guess.muted = false;
        if (this.#pending.camera && this.#pending.camera.value === true) guess.camera = true;
        if (this.#undoRefused(guess, code, message)) return;
      }
    }
    /** @type {Record<string, unknown>} */
    const detail = { code, message, beforeWelcome: !this.#joined };
    if (msg.re !== undefined) detail.re = msg.re;
    if (req) detail.request = req.kind;
    this.#emit('servererror', detail);
  }

  #emitParticipants() {
    this.#emit('participants', { participants: this.participants, selfId: this.#selfId });
  }

  // ---- media --------------------------------------------------------------

  /** @returns {MediaStreamTrack[]} */
  #audioTracks() {
    const s = this.#opts.stream;
    return s ? s.getAudioTracks().filter((t) => t.readyState === 'live') : [];
  }

  /** @returns {MediaStreamTrack[]} */
  #videoTracks() {
    const s = this.#opts.stream;
    return s ? s.getVideoTracks().filter((t) => t.readyState === 'live') : [];
  }

  /** @returns {RTCPeerConnection} */
  #newPC(/** @type {'pub'|'sub'} */ which) {
    const pc = new RTCPeerConnection(this.#opts.rtcConfig || { iceServers: [] });
    pc.addEventListener('icecandidate', (e) => this.#onLocalCandidate(which, pc, e));
    pc.addEventListener('connectionstatechange', () => {
      if (pc === this.#pub || pc === this.#sub) {
        this.#emit('connectionstate', { pc: which, state: pc.connectionState });
      }
    });
    return pc;
  }

  async #startPublishing() {
    const stream = this.#opts.stream;
    const tracks = [...this.#audioTracks(), ...this.#videoTracks()];
    if (!stream || tracks.length === 0 || this.#pub) return;
    if (!this.#joined || this.waiting) return; // only once admitted
    const pc = this.#newPC('pub');
    this.#pub = pc;
    this.#canTrickle.pub = false;
    this.#pendingCandidates.pub = [];
    try {
      for (const track of tracks) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      }
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (pc !== this.#pub) return; // torn down meanwhile
      const sdp = pc.localDescription ? pc.localDescription.sdp : offer.sdp;
      this.#send({ type: 'offer', pc: 'pub', sdp });
      this.#flushCandidates('pub');
    } catch (err) {
      if (pc === this.#pub) this.#emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
  }

  /** @param {string} sdp */
  async #onPubAnswer(sdp) {
    const pc = this.#pub;
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      if (pc === this.#pub) this.#emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
  }

  /** @param {string} sdp */
  #onSubOffer(sdp) {
    if (this.waiting) {
      // No media from the waiting room; answered once admitted.
      this.#deferredSubOffer = sdp;
      return;
    }
    const gen = this.#gen;
    this.#subQueue = this.#subQueue.then(async () => {
      if (gen !== this.#gen || !this.#joined) return;
      let pc = this.#sub;
      if (!pc) {
        pc = this.#newPC('sub');
        this.#sub = pc;
        this.#canTrickle.sub = false;
        this.#pendingCandidates.sub = [];
        pc.addEventListener('track', (e) => this.#onRemoteTrack(pc, e));
      }
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        if (pc !== this.#sub) return;
        const local = pc.localDescription ? pc.localDescription.sdp : answer.sdp;
        this.#send({ type: 'answer', pc: 'sub', sdp: local });
        this.#flushCandidates('sub');
      } catch (err) {
        if (pc === this.#sub) this.#emit('mediaerror', { pc: 'sub', message: errorText(err) });
      }
    });
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {RTCTrackEvent} e
   */
  #onRemoteTrack(pc, e) {
    if (pc !== this.#sub) return;
    const stream = e.streams && e.streams[0];
    if (!stream) return; // the server always sets the msid; nothing to map otherwise
    const id = stream.id; // = publisher participant id
    if (!this.#watched.has(stream)) {
      this.#watched.add(stream);
      stream.addEventListener('removetrack', () => {
        if (stream.getTracks().length === 0 && this.#remote.get(id) === stream) {
          this.#dropRemote(id);
        }
      });
    }
    this.#remote.set(id, stream);
    e.track.addEventListener('ended', () => {
      if (this.#remote.get(id) === stream && stream.getTracks().every((t) => t.readyState === 'ended')) {
        this.#dropRemote(id);
      }
    });
    this.#emit('streamadded', { participantId: id, stream, track: e.track });
  }

  /** @param {string} id */
  #dropRemote(id) {
    if (!this.#remote.has(id)) return;
    this.#remote.delete(id);
    this.#emit('streamremoved', { participantId: id });
  }

  /**
   * @param {'pub'|'sub'} which
   * @param {RTCPeerConnection} pc
   * @param {RTCPeerConnectionIceEvent} e
   */
  #onLocalCandidate(which, pc, e) {
    if (pc !== (which === 'pub' ? this.#pub : this.#sub)) return;
    const c = e.candidate;
    if (!c || !c.candidate) return; // end of candidates: nothing to send
    /** @type {RTCIceCandidateInit} */
    const init = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
    if (this.#canTrickle[which]) this.#send({ type: 'candidate', pc: which, candidate: init });
    else this.#pendingCandidates[which].push(init);
  }

  /** @param {'pub'|'sub'} which */
  #flushCandidates(which) {
    this.#canTrickle[which] = true;
    const pending = this.#pendingCandidates[which];
    this.#pendingCandidates[which] = [];
    for (const candidate of pending) this.#send({ type: 'candidate', pc: which, candidate });
  }

  /** Version 1 servers send no candidates; accept them anyway. @param {any} msg */
  async #onRemoteCandidate(msg) {
    const pc = msg.pc === 'pub' ? this.#pub : msg.pc === 'sub' ? this.#sub : null;
    if (!pc || !msg.candidate || !pc.remoteDescription) return;
    try {
      await pc.addIceCandidate(msg.candidate);
    } catch {
      // an unusable candidate is not fatal
    }
  }

  #teardownMedia() {
    for (const pc of [this.#pub, this.#sub]) {
      if (pc) {
        try {
          pc.close();
        } catch {
          // already closed
        }
      }
    }
    this.#pub = null;
    this.#sub = null;
    this.#subQueue = Promise.resolve();
    this.#deferredSubOffer = null;
    this.#canTrickle = { pub: false, sub: false };
    this.#pendingCandidates = { pub: [], sub: [] };
    for (const id of [...this.#remote.keys()]) this.#dropRemote(id);
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * @param {any} p
 * @returns {Participant}
 */
function normalize(p) {
  const role = p.role === 'facilitator' || p.role === 'cofacilitator' ? p.role : 'member';
  const muted = !!p.muted;
  let mutedBy = p.mutedBy === 'self' || p.mutedBy === 'facilitator' ? p.mutedBy : '';
  if (!muted) mutedBy = '';
  return {
    id: String(p.id),
    name: String(p.name || ''),
    role,
    status: p.status === 'waiting' ? 'waiting' : 'admitted',
    muted,
    mutedBy,
    camera: !!p.camera,
  };
}

/**
 * A room from the server; missing fields get their defaults.
 * @param {any} r
 * @param {string} [fallbackId]
 * @returns {Room}
 */
function normalizeRoom(r, fallbackId) {
  r = r && typeof r === 'object' ? r : {};
  const bool = (/** @type {unknown} */ v, /** @type {boolean} */ dflt) => (typeof v === 'boolean' ? v : dflt);
  const share = Number(r.shareSeconds);
  /** @type {ShareTimer|null} */
  let timer = null;
  if (r.timer && typeof r.timer === 'object' && Number.isFinite(Number(r.timer.endsAt))) {
    timer = {
      speaker: String(r.timer.speaker || ''),
      endsAt: Number(r.timer.endsAt),
      seconds: Number(r.timer.seconds) || 0,
      autoMute: !!r.timer.autoMute,
    };
  }
  return {
    id: String(r.id || fallbackId || ''),
    name: String(r.name || ''),
    locked: bool(r.locked, false),
    autoLocked: bool(r.autoLocked, false),
    waitingRoom: bool(r.waitingRoom, false),
    muteOnEntry: bool(r.muteOnEntry, false),
    mode: r.mode === 'moderated' ? 'moderated' : 'open',
    selfRename: bool(r.selfRename, true),
    privateChat: bool(r.privateChat, false),
    chatOpen: bool(r.chatOpen, true),
    suspended: bool(r.suspended, false),
    guidelines: String(r.guidelines || ''),
    shareSeconds: Number.isFinite(share) && share > 0 ? share : 180,
    autoMute: bool(r.autoMute, false),
    speaker: String(r.speaker || ''),
    timer,
  };
}

/**
 * @param {any} m
 * @returns {ChatMessage|null}
 */
function normalizeChat(m) {
  if (!m || typeof m !== 'object' || typeof m.text !== 'string') return null;
  return {
    id: String(m.id || ''),
    from: String(m.from || ''),
    fromName: String(m.fromName || ''),
    to: String(m.to || 'room'),
    text: m.text,
    at: Number(m.at) || 0,
  };
}

/**
 * @param {unknown} hands  participant ids (or participants) in queue order
 * @returns {string[]}
 */
function handIds(hands) {
  if (!Array.isArray(hands)) return [];
  /** @type {string[]} */
  const out = [];
  for (const h of hands) {
    const id = h && typeof h === 'object' ? String(/** @type {any} */ (h).id || /** @type {any} */ (h).participantId || '') : String(h || '');
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** @param {unknown} err @returns {string} */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
