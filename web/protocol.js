// Hearth signaling client, protocol version 1 (docs/protocol.md).
//
// This module never touches the page: it only uses WebSocket,
// RTCPeerConnection and MediaStream, so the UI (ui.js) owns everything that
// is shown. The caller passes the WebSocket URL in (see wsURL below).

/**
 * @typedef {Object} Participant
 * @property {string} id
 * @property {string} name
 * @property {'facilitator'|'member'} role
 * @property {boolean} muted   the microphone is muted
 * @property {boolean} camera  the camera is on
 */

/**
 * @typedef {Object} Room
 * @property {string} id
 * @property {string} [name]
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
 * - "welcome"          {self: Participant, room: Room, identity: string, participants: Participant[]}
 * - "participants"     {participants: Participant[], selfId: string}
 * - "streamadded"      {participantId: string, stream: MediaStream, track: MediaStreamTrack}
 * - "streamremoved"    {participantId: string}
 * - "servererror"      {code: string, message: string, re?: string|number, beforeWelcome: boolean}
 * - "identityrejected" {}  the stored identity was refused; the join is retried without it
 * - "reconnecting"     {reason: string}  an event gap was seen; rejoining with the identity
 * - "mediaerror"       {pc: 'pub'|'sub', message: string}  a local WebRTC failure
 * - "connectionstate"  {pc: 'pub'|'sub', state: RTCPeerConnectionState}
 * - "bye"              {reason: string}
 * - "closed"           {code: number, reason: string, byeReason: string|null, left: boolean, wasJoined: boolean}
 */

export const PROTOCOL_VERSION = 1;

/** How many gap-triggered rejoins a session attempts before giving up. */
const MAX_RESYNCS = 5;

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
  #resyncs = 0;

  /** @type {string|undefined} */
  #identity;
  #seq = 0;
  /** @type {Room|null} */
  #room = null;
  /** @type {string} */
  #selfId = '';
  /** @type {Map<string, Participant>} */
  #participants = new Map();

  /** @type {RTCPeerConnection|null} */
  #pub = null;
  /** @type {RTCPeerConnection|null} */
  #sub = null;
  /** Serializes the handling of server offers for the sub connection. */
  #subQueue = Promise.resolve();
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
    const audio = this.#audioTracks();
    const video = this.#videoTracks();
    this.#muted = audio.length === 0 || !audio.some((t) => t.enabled);
    this.#cameraOn = video.length > 0 && video.some((t) => t.enabled);
  }

  // ---- public state -------------------------------------------------------

  /** @returns {string} the own participant id ("" before welcome) */
  get selfId() { return this.#selfId; }
  /** @returns {Participant|undefined} */
  get self() { return this.#participants.get(this.#selfId); }
  /** @returns {Room|null} */
  get room() { return this.#room; }
  /** @returns {string|undefined} the identity token from the last welcome */
  get identity() { return this.#identity; }
  /** @returns {boolean} true after welcome until the session is closed */
  get joined() { return this.#joined; }
  /** @returns {boolean} the local microphone is muted (or absent) */
  get muted() { return this.#muted; }
  /** @returns {boolean} the local camera is on */
  get cameraOn() { return this.#cameraOn; }
  /** @returns {boolean} the local stream has a microphone track */
  get hasAudio() { return this.#audioTracks().length > 0; }
  /** @returns {boolean} the local stream has a camera track */
  get hasVideo() { return this.#videoTracks().length > 0; }
  /** @returns {Participant[]} present participants, in join order, self included */
  get participants() { return [...this.#participants.values()].map((p) => ({ ...p })); }
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
   * Mutes or unmutes the microphone and tells the room.
   * @param {boolean} muted
   * @returns {boolean} false when there is no microphone to unmute
   */
  setMuted(muted) {
    muted = !!muted;
    const tracks = this.#audioTracks();
    if (!muted && tracks.length === 0) return false;
    for (const t of tracks) t.enabled = !muted;
    this.#muted = muted;
    this.#updateSelf({ muted });
    return true;
  }

  /**
   * Turns the camera on or off and tells the room.
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
    this.#joined = true;
    this.#everJoined = true;
    this.#room = msg.room || { id: this.#opts.room };
    this.#seq = Number(msg.seq) || 0;
    if (msg.identity) this.#identity = String(msg.identity);
    /** @type {Participant} */
    const self = msg.self;
    if (!self || !self.id) {
      this.#emit('servererror', { code: 'bad_welcome', message: 'The server sent an incomplete welcome.', beforeWelcome: true });
      this.close();
      return;
    }
    this.#selfId = self.id;
    this.#participants = new Map();
    for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
      if (p && p.id) this.#participants.set(p.id, normalize(p));
    }
    if (!this.#participants.has(self.id)) this.#participants.set(self.id, normalize(self));

    // The server's state wins (a comeback keeps mute/camera); tracks follow it.
    // What the server cannot know: a missing microphone or camera.
    const me = /** @type {Participant} */ (this.#participants.get(self.id));
    /** @type {Record<string, boolean>} */
    const fix = {};
    if (this.hasAudio) {
      for (const t of this.#audioTracks()) t.enabled = !me.muted;
      this.#muted = me.muted;
    } else {
      this.#muted = true;
      if (!me.muted) fix.muted = true;
    }
    if (this.hasVideo) {
      for (const t of this.#videoTracks()) t.enabled = me.camera;
      this.#cameraOn = me.camera;
    } else {
      this.#cameraOn = false;
      if (me.camera) fix.camera = false;
    }

    this.#emit('welcome', {
      self: { ...me },
      room: { ...this.#room },
      identity: this.#identity,
      participants: this.participants,
    });
    if (Object.keys(fix).length > 0) this.#updateSelf(fix);
    else this.#emitParticipants();
    this.#startPublishing();
  }

  /** @param {any} msg */
  #onEvent(msg) {
    if (!this.#joined) return;
    const seq = Number(msg.seq);
    if (!Number.isInteger(seq) || seq <= this.#seq) return; // already reflected
    if (seq !== this.#seq + 1) {
      this.#resync(`event gap: expected ${this.#seq + 1}, got ${seq}`);
      return;
    }
    this.#seq = seq;
    switch (msg.kind) {
      case 'joined':
      case 'updated':
        if (msg.participant && msg.participant.id) {
          this.#participants.set(msg.participant.id, normalize(msg.participant));
        }
        break;
      case 'left': {
        const id = String(msg.participantId || '');
        this.#participants.delete(id);
        this.#dropRemote(id);
        break;
      }
      default:
        return;
    }
    this.#emitParticipants();
  }

  /** @param {Partial<Participant>} change */
  #updateSelf(change) {
    const me = this.#participants.get(this.#selfId);
    if (me) this.#participants.set(me.id, { ...me, ...change });
    if (this.#joined) this.#send({ type: 'set_self', ...change });
    this.#emitParticipants();
  }

  /** Gets a fresh snapshot after a gap: rejoin with the identity token. */
  #resync(reason) {
    if (this.#resyncs >= MAX_RESYNCS || !this.#identity) {
      this.#emit('servererror', { code: 'resync_failed', message: 'Lost track of the meeting; please rejoin.', beforeWelcome: false });
      this.close();
      return;
    }
    this.#resyncs++;
    this.#joined = false;
    this.#teardownMedia();
    this.#emit('reconnecting', { reason });
    const old = this.#ws;
    this.#gen++; // ignore everything from the old socket
    this.#ws = null;
    let started = false;
    const start = () => {
      if (started || this.#closed) return;
      started = true;
      this.connect();
    };
    if (old && old.readyState !== WebSocket.CLOSED) {
      old.addEventListener('close', start);
      setTimeout(start, 1000);
      try {
        old.close(1000, 'resync');
      } catch {
        start();
      }
    } else {
      start();
    }
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
    /** @type {Record<string, unknown>} */
    const detail = { code, message, beforeWelcome: !this.#joined };
    if (msg.re !== undefined) detail.re = msg.re;
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
  return {
    id: String(p.id),
    name: String(p.name || ''),
    role: p.role === 'facilitator' ? 'facilitator' : 'member',
    muted: !!p.muted,
    camera: !!p.camera,
  };
}

/** @param {unknown} err @returns {string} */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
