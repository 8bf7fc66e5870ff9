// Media for one Hearth session (docs/protocol.md, "offer", "answer",
// "candidate"): the local microphone and camera tracks, which follow the
// server's record of this participant, and the two peer connections ("pub":
// we offer our tracks once admitted; "sub": the server offers everyone
// else's). No page access; protocol.js owns these objects and talks to the
// server for them.

import { markScreenSDP, screenSharer } from './screensdp.js';
import { cameraEncodings, keepResolution, CAMERA_SIZE } from './simulcast.js';

/** @typedef {import('./roomstate.js').Participant} Participant */

/**
 * What following a server record did to the local tracks.
 * @typedef {Object} Followed
 * @property {boolean} forcedMute       the server muted a microphone that was on
 * @property {boolean} forcedCameraOff  the server turned off a camera that was on
 * @property {{muted?: boolean, camera?: boolean}} fix  corrections for the server: a missing device
 */

/**
 * The local microphone and camera. Their tracks are the device switches,
 * not a second record of the participant's state: a track goes on only
 * when the server's record says so, and off at once when this person turns
 * it off (privacy first) or the server's record says it is off.
 */
export class LocalMedia {
  /** @type {MediaStream} */
  #stream;
  /** The devices chosen ("" for the browser's default). */
  #deviceIds = { audio: '', video: '' };
  /** Tells the publishing connection a track was added or stopped. @type {(kind: 'audio'|'video', track: MediaStreamTrack|null) => void} */
  onTrack = () => {};

  /** @param {MediaStream|null|undefined} stream  tracks already opened (e.g. for the preview) */
  constructor(stream) {
    this.#stream = stream || new MediaStream();
  }

  /** @returns {MediaStream} the local tracks (possibly none) */
  get stream() { return this.#stream; }
  /** @returns {MediaStreamTrack[]} live microphone tracks */
  get audio() { return this.#stream.getAudioTracks().filter((t) => t.readyState === 'live'); }
  /** @returns {MediaStreamTrack[]} live camera tracks */
  get video() { return this.#stream.getVideoTracks().filter((t) => t.readyState === 'live'); }
  /** @returns {boolean} there is a microphone */
  get hasAudio() { return this.audio.length > 0; }
  /** @returns {boolean} there is a camera */
  get hasVideo() { return this.video.length > 0; }

  /** Turns the microphone off now, before the server confirms the mute. */
  micOff() {
    for (const t of this.audio) t.enabled = false;
  }

  /**
   * Turns the camera off now, before the server confirms it: the track is
   * stopped, so the camera (and its light) is released.
   */
  cameraOff() {
    this.release('video');
  }

  /**
   * Opens a device of kind when none is open: the chosen one, else the
   * default. The new track starts off; the server's record turns it on.
   * @param {'audio'|'video'} kind
   * @returns {Promise<boolean>} whether a track of kind is open now
   */
  async acquire(kind) {
    if (kind === 'audio' ? this.hasAudio : this.hasVideo) return true;
    const track = await openTrack(kind, this.#deviceIds[kind]);
    if (!track) return false;
    if (kind === 'audio' ? this.hasAudio : this.hasVideo) {
      track.stop(); // opened twice meanwhile
      return true;
    }
    track.enabled = false;
    this.#stream.addTrack(track);
    this.onTrack(kind, track);
    return true;
  }

  /**
   * Stops and forgets the tracks of kind.
   * @param {'audio'|'video'} kind
   */
  release(kind) {
    const tracks = kind === 'audio' ? this.#stream.getAudioTracks() : this.#stream.getVideoTracks();
    if (tracks.length === 0) return;
    for (const t of tracks) {
      t.stop();
      this.#stream.removeTrack(t);
    }
    this.onTrack(kind, null);
  }

  /**
   * Chooses the device of kind; an open track of kind is replaced by one
   * from that device, keeping whether it was on.
   * @param {'audio'|'video'} kind
   * @param {string} deviceId  "" for the default
   * @returns {Promise<boolean>} whether the device is in use (or none was open)
   */
  async useDevice(kind, deviceId) {
    this.#deviceIds[kind] = deviceId;
    const old = kind === 'audio' ? this.audio : this.video;
    if (old.length === 0) return true;
    const enabled = old.some((t) => t.enabled);
    if (kind === 'video') for (const t of old) t.stop(); // one camera at a time
    const track = await openTrack(kind, deviceId);
    for (const t of old) {
      t.stop();
      this.#stream.removeTrack(t);
    }
    if (!track) {
      this.onTrack(kind, null);
      return false;
    }
    track.enabled = enabled;
    this.#stream.addTrack(track);
    this.onTrack(kind, track);
    return true;
  }

  /**
   * What the server's record says is on while this person turned it off
   * (the request was lost with a socket): the corrections to send.
   * @param {Participant} record
   * @returns {{muted?: boolean, camera?: boolean}}
   */
  offsLost(record) {
    /** @type {{muted?: boolean, camera?: boolean}} */
    const fix = {};
    if (!record.muted && this.hasAudio && !this.audio.some((t) => t.enabled)) fix.muted = true;
    if (record.camera && !this.video.some((t) => t.enabled)) fix.camera = false; // stopped, or never opened
    return fix;
  }

  /**
   * Makes the tracks follow the server's record of this participant. With
   * full (welcome, admission) they take the record as it is. Otherwise they
   * follow its changes: a record that says muted (camera off) turns the
   * track off; one that says unmuted (camera on) after a record that said
   * muted (off) turns it on. The server unmutes only at this person's own
   * request, and a record that merely repeats "unmuted" never turns back
   * on a microphone this person just turned off.
   * @param {Participant|undefined} before  the server's previous record
   * @param {Participant} after             the server's record now
   * @param {boolean} full
   * @returns {Followed}
   */
  follow(before, after, full) {
    const whole = full || !before;
    /** @type {Followed} */
    const out = { forcedMute: false, forcedCameraOff: false, fix: {} };
    if (!this.hasAudio) {
      if (!after.muted) out.fix.muted = true;
    } else if (after.muted) {
      out.forcedMute = !whole && this.audio.some((t) => t.enabled);
      this.micOff();
    } else if (whole || (before && before.muted)) {
      for (const t of this.audio) t.enabled = true;
    }
    if (!this.hasVideo) {
      if (after.camera) out.fix.camera = false;
    } else if (!after.camera) {
      out.forcedCameraOff = !whole && this.video.some((t) => t.enabled);
      this.cameraOff();
    } else if (whole || (before && !before.camera)) {
      for (const t of this.video) t.enabled = true;
    }
    return out;
  }
}

/**
 * How Peers talks back to its session.
 * @typedef {Object} PeerHooks
 * @property {(msg: Record<string, unknown>) => boolean} send  sends a signaling message
 * @property {(type: string, detail: unknown) => void} emit    dispatches a session event
 * @property {() => void} trouble  ICE failed (or stayed disconnected): the network may have changed
 * @property {RTCConfiguration} [rtcConfig]
 */

/** How long ICE may stay "disconnected" before it counts as trouble, in ms. */
const DISCONNECTED_GRACE = 1500;

/**
 * The publish ("pub") and subscribe ("sub") peer connections and the
 * remote streams they carry, keyed by publisher participant id.
 */
export class Peers {
  /** @type {LocalMedia} */
  #local;
  /** @type {PeerHooks} */
  #hooks;
  /** @type {RTCPeerConnection|null} */
  #pub = null;
  /** @type {RTCPeerConnection|null} */
  #sub = null;
  /** Incremented by close, so that queued work of closed connections stops. */
  #epoch = 0;
  /** Serializes the handling of server offers for the sub connection. */
  #subQueue = Promise.resolve();
  /** A sub offer held while waiting; answered by release(). @type {string|null} */
  #held = null;
  /** Local candidates gathered before the SDP they belong to was sent. */
  #pendingCandidates = { pub: /** @type {RTCIceCandidateInit[]} */ ([]), sub: /** @type {RTCIceCandidateInit[]} */ ([]) };
  #canTrickle = { pub: false, sub: false };
  /** @type {Map<string, MediaStream>} publisher participant id -> stream */
  #remote = new Map();
  /** @type {WeakSet<MediaStream>} */
  #watched = new WeakSet();
  /** TURN servers from the server's welcome. @type {RTCIceServer[]} */
  #iceServers = [];
  /** The pub transceiver of a shared screen, once there was one. @type {RTCRtpTransceiver|null} */
  #screenTx = null;
  /** The pub connection needs a new offer once its current one is answered. */
  #pubAgain = false;

  /**
   * @param {LocalMedia} local
   * @param {PeerHooks} hooks
   */
  constructor(local, hooks) {
    this.#local = local;
    this.#hooks = hooks;
  }

  /**
   * @param {string} participantId
   * @returns {MediaStream|undefined} the stream forwarded for that publisher
   */
  remoteStream(participantId) { return this.#remote.get(participantId); }
  /** @returns {string[]} publishers with a remote stream */
  get remoteIds() { return [...this.#remote.keys()]; }

  /**
   * Offers the local tracks on a new pub connection (once): one audio and
   * one video sender, each with its track or none yet (a device opened
   * later is put on its sender without a new offer; one never opened
   * sends nothing).
   */
  async publish() {
    if (this.#pub) return;
    const stream = this.#local.stream;
    const pc = this.#newPC('pub');
    this.#pub = pc;
    this.#canTrickle.pub = false;
    this.#pendingCandidates.pub = [];
    try {
      for (const kind of /** @type {const} */ (['audio', 'video'])) {
        const track = (kind === 'audio' ? this.#local.audio : this.#local.video)[0];
        const init = /** @type {RTCRtpTransceiverInit} */ ({ direction: 'sendonly', streams: [stream] });
        if (kind === 'video') init.sendEncodings = cameraEncodings(); // simulcast.js
        const tr = pc.addTransceiver(track || kind, init);
        if (kind === 'video') keepResolution(tr.sender);
      }
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (pc !== this.#pub) return; // torn down meanwhile
      const sdp = pc.localDescription ? pc.localDescription.sdp : offer.sdp;
      this.#sendPubOffer(sdp);
      this.#flushCandidates('pub');
    } catch (err) {
      if (pc === this.#pub) this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
  }

  /**
   * Puts a newly opened track on its sender (or takes a stopped one off).
   * @param {'audio'|'video'} kind
   * @param {MediaStreamTrack|null} track
   */
  setTrack(kind, track) {
    const pc = this.#pub;
    if (!pc) return; // publish() takes the stream's tracks as they are then
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track && t.receiver.track.kind === kind && t.sender) {
        t.sender.replaceTrack(track).catch((err) => this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) }));
        return;
      }
    }
  }

  /**
   * The session is back on a new socket: a publish offer the old socket
   * may have swallowed is sent again; with restart (the network changed)
   * the publish connection offers with new ICE credentials and the server
   * is asked to restart the subscribe connection's ICE.
   * @param {boolean} restart
   */
  async resumed(restart) {
    const pc = this.#pub;
    if (restart && this.#sub) this.#hooks.send({ type: 'ice_restart', pc: 'sub' });
    if (!pc || (!restart && pc.signalingState !== 'have-local-offer')) return;
    try {
      if (restart) {
        this.#canTrickle.pub = false;
        await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      }
      if (pc !== this.#pub || !pc.localDescription) return;
      this.#sendPubOffer(pc.localDescription.sdp);
      this.#flushCandidates('pub');
    } catch (err) {
      if (pc === this.#pub) this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
  }

  /** @param {string} sdp  the server's answer for pub */
  async answer(sdp) {
    const pc = this.#pub;
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      if (pc === this.#pub) this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
    if (pc === this.#pub && this.#pubAgain) {
      this.#pubAgain = false;
      this.#offerPub();
    }
  }

  /**
   * Puts a shared screen's track on its own pub transceiver (made, with a
   * new offer, the first time), or takes it off (null). The server
   * forwards it only while its record says this person shares.
   * @param {MediaStreamTrack|null} track
   * @returns {Promise<void>}
   */
  async setScreen(track) {
    const pc = this.#pub;
    if (!pc) return;
    if (this.#screenTx) {
      await this.#screenTx.sender.replaceTrack(track).catch((err) => this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) }));
      return;
    }
    if (!track) return;
    this.#screenTx = pc.addTransceiver(track, { direction: 'sendonly', streams: [new MediaStream([track])] });
    await this.#offerPub();
  }

  /** Offers the pub connection again (a transceiver was added), or after the pending answer. */
  async #offerPub() {
    const pc = this.#pub;
    if (!pc) return;
    if (pc.signalingState !== 'stable') {
      this.#pubAgain = true;
      return;
    }
    try {
      await pc.setLocalDescription(await pc.createOffer());
      if (pc !== this.#pub || !pc.localDescription) return;
      this.#sendPubOffer(pc.localDescription.sdp);
    } catch (err) {
      if (pc === this.#pub) this.#hooks.emit('mediaerror', { pc: 'pub', message: errorText(err) });
    }
  }

  /** Sends a pub offer, the screen's section marked (screensdp.js). @param {string} sdp */
  #sendPubOffer(sdp) {
    this.#hooks.send({ type: 'offer', pc: 'pub', sdp: markScreenSDP(sdp, this.#screenTx && this.#screenTx.mid) });
  }

  /** @param {string} sdp  a server offer for sub, kept until release() (no media from the waiting room) */
  hold(sdp) {
    this.#held = sdp;
  }

  /** Answers the offer held while waiting, if any. */
  release() {
    const sdp = this.#held;
    this.#held = null;
    if (sdp !== null) this.offer(sdp);
  }

  /** @param {string} sdp  a server offer for sub */
  offer(sdp) {
    const epoch = this.#epoch;
    this.#subQueue = this.#subQueue.then(async () => {
      if (epoch !== this.#epoch) return;
      let pc = this.#sub;
      if (!pc) {
        const created = this.#newPC('sub');
        pc = created;
        this.#sub = created;
        this.#canTrickle.sub = false;
        this.#pendingCandidates.sub = [];
        created.addEventListener('track', (e) => this.#onRemoteTrack(created, e));
      }
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        if (pc !== this.#sub) return;
        const local = pc.localDescription ? pc.localDescription.sdp : answer.sdp;
        this.#hooks.send({ type: 'answer', pc: 'sub', sdp: local });
        this.#flushCandidates('sub');
      } catch (err) {
        if (pc === this.#sub) this.#hooks.emit('mediaerror', { pc: 'sub', message: errorText(err) });
      }
    });
  }

  /** Version 1 servers send no candidates; accept them anyway. @param {any} msg */
  async candidate(msg) {
    const pc = msg.pc === 'pub' ? this.#pub : msg.pc === 'sub' ? this.#sub : null;
    if (!pc || !msg.candidate || !pc.remoteDescription) return;
    try {
      await pc.addIceCandidate(msg.candidate);
    } catch {
      // an unusable candidate is not fatal
    }
  }

  /** @param {string} id  forgets the publisher's stream ("streamremoved") */
  dropRemote(id) {
    if (!this.#remote.has(id)) return;
    this.#remote.delete(id);
    this.#hooks.emit('streamremoved', { participantId: id });
  }

  /** Closes both connections and drops every remote stream. */
  close() {
    this.#epoch++;
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
    this.#screenTx = null;
    this.#pubAgain = false;
    this.#subQueue = Promise.resolve();
    this.#held = null;
    this.#canTrickle = { pub: false, sub: false };
    this.#pendingCandidates = { pub: [], sub: [] };
    for (const id of this.remoteIds) this.dropRemote(id);
  }

  /**
   * Sets the TURN servers (with this participant's credentials) that peer
   * connections made from now on use, as the server's welcome gives them.
   * @param {unknown} servers
   */
  setICEServers(servers) {
    /** @type {RTCIceServer[]} */
    const out = [];
    if (Array.isArray(servers)) {
      for (const s of servers) {
        if (!s || !Array.isArray(s.urls)) continue;
        const urls = s.urls.filter((/** @type {unknown} */ u) => typeof u === 'string');
        if (urls.length === 0) continue;
        out.push({ urls, username: String(s.username || ''), credential: String(s.credential || '') });
      }
    }
    this.#iceServers = out;
  }

  /**
   * @param {'pub'|'sub'} which
   * @returns {RTCPeerConnection}
   */
  #newPC(which) {
    const config = { ...(this.#hooks.rtcConfig || {}) };
    config.iceServers = [...(config.iceServers || []), ...this.#iceServers];
    const pc = new RTCPeerConnection(config);
    pc.addEventListener('icecandidate', (e) => this.#onLocalCandidate(which, pc, e));
    pc.addEventListener('connectionstatechange', () => {
      if (pc === this.#pub || pc === this.#sub) {
        this.#hooks.emit('connectionstate', { pc: which, state: pc.connectionState });
      }
    });
    pc.addEventListener('iceconnectionstatechange', () => this.#watchIce(pc));
    return pc;
  }

  /**
   * ICE that failed, or stayed disconnected for DISCONNECTED_GRACE, is
   * trouble: the session renews its socket and restarts ICE.
   * @param {RTCPeerConnection} pc
   */
  #watchIce(pc) {
    const current = () => pc === this.#pub || pc === this.#sub;
    if (!current()) return;
    if (pc.iceConnectionState === 'failed') {
      this.#hooks.trouble();
    } else if (pc.iceConnectionState === 'disconnected') {
      setTimeout(() => {
        if (current() && pc.iceConnectionState === 'disconnected') this.#hooks.trouble();
      }, DISCONNECTED_GRACE);
    }
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {RTCTrackEvent} e
   */
  #onRemoteTrack(pc, e) {
    if (pc !== this.#sub) return;
    const stream = e.streams && e.streams[0];
    if (!stream) return; // the server always sets the msid; nothing to map otherwise
    const sharer = screenSharer(stream.id);
    if (sharer) {
      const gone = () => this.#hooks.emit('screenremoved', { participantId: sharer, stream });
      e.track.addEventListener('ended', gone);
      stream.addEventListener('removetrack', () => { if (stream.getTracks().length === 0) gone(); });
      this.#hooks.emit('screenadded', { participantId: sharer, stream });
      return;
    }
    const id = stream.id; // = publisher participant id
    if (!this.#watched.has(stream)) {
      this.#watched.add(stream);
      stream.addEventListener('removetrack', () => {
        if (stream.getTracks().length === 0 && this.#remote.get(id) === stream) {
          this.dropRemote(id);
        }
      });
    }
    this.#remote.set(id, stream);
    e.track.addEventListener('ended', () => {
      if (this.#remote.get(id) === stream && stream.getTracks().every((t) => t.readyState === 'ended')) {
        this.dropRemote(id);
      }
    });
    this.#hooks.emit('streamadded', { participantId: id, stream, track: e.track });
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
    if (this.#canTrickle[which]) this.#hooks.send({ type: 'candidate', pc: which, candidate: init });
    else this.#pendingCandidates[which].push(init);
  }

  /** @param {'pub'|'sub'} which */
  #flushCandidates(which) {
    this.#canTrickle[which] = true;
    const pending = this.#pendingCandidates[which];
    this.#pendingCandidates[which] = [];
    for (const candidate of pending) this.#hooks.send({ type: 'candidate', pc: which, candidate });
  }
}

/**
 * What every camera track opened goes through before use (blur.js sets
 * it: the background blur). No page access here: the filter is the
 * page's.
 * @type {{apply: (track: MediaStreamTrack) => MediaStreamTrack}}
 */
export const videoFilter = { apply: (track) => track };

/**
 * Opens one microphone or camera track (a camera's through videoFilter).
 * @param {'audio'|'video'} kind
 * @param {string} deviceId  "" for the default
 * @returns {Promise<MediaStreamTrack|null>} null when there is none or it is refused
 */
export async function openTrack(kind, deviceId) {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!md || typeof md.getUserMedia !== 'function') return null;
  /** @type {MediaTrackConstraints} */
  const c = kind === 'video' ? { ...CAMERA_SIZE } : {};
  if (deviceId) c.deviceId = { exact: deviceId };
  try {
    const s = await md.getUserMedia(kind === 'video' ? { video: c } : { audio: c });
    const track = (kind === 'video' ? s.getVideoTracks() : s.getAudioTracks())[0] || null;
    return track && kind === 'video' ? videoFilter.apply(track) : track;
  } catch {
    return null;
  }
}

/** @param {unknown} err @returns {string} */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
