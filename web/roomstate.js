// The room as one participant may see it (docs/protocol.md, "Events" and
// "snapshot"): the wire shapes of participants, room settings and chat,
// their normalisation, and RoomState, which keeps them as the server last
// said. Nothing here changes a record on its own: every field is the
// server's word. No I/O and no page access; protocol.js feeds it.

/**
 * @typedef {Object} Participant
 * @property {string} id
 * @property {string} name
 * @property {'facilitator'|'cofacilitator'|'member'} role
 * @property {'waiting'|'admitted'} status  waiting: in the waiting room
 * @property {boolean} muted   the microphone is muted
 * @property {''|'self'|'facilitator'} mutedBy  who muted it
 * @property {boolean} camera  the camera is on
 * @property {boolean} screen  they share their screen
 * @property {boolean} newHere  they said they are new to the group (only facilitators are told)
 */

/**
 * A participant's private report to the facilitators (docs/protocol.md, "report").
 * @typedef {{id: string, from: string, fromName: string, about: string, aboutName: string,
 *   messageId: string, messageText: string, reason: string, at: number}} Report
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
 * @property {Format|null} format  the meeting format (docs/formats.md), null without one
 * @property {number} segment      index of the format's segment the meeting is in
 * @property {string} contributionsUrl  the room's contributions link, or ""
 * @property {boolean} membersCanShareScreen  members may share their screen
 * @property {boolean} attendanceProof  members may ask for a proof of attendance (proof.js)
 */

/**
 * @typedef {Object} Segment
 * @property {string} title
 * @property {'facilitators'|'called_on'|'open'} speaking
 * @property {boolean} chatOpen
 * @property {string} text
 * @property {number} shareSeconds
 * @property {boolean} autoMute
 * @typedef {{name: string, segments: Segment[]}} Format
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
 * A participant record that replaced another.
 * @typedef {Object} Change
 * @property {Participant|undefined} before  the record it replaced, if any
 * @property {Participant} after
 */

/** How many chat messages are kept (a meeting's chat is small; this bounds memory). */
const MAX_CHAT = 500;

/**
 * @param {Participant|undefined|null} p
 * @returns {boolean} the participant is a facilitator or co-facilitator
 */
export function isFacilitatorRole(p) {
  return !!p && (p.role === 'facilitator' || p.role === 'cofacilitator');
}

/**
 * @param {Participant|undefined|null} p
 * @returns {boolean} the participant's microphone is muted by a facilitator
 */
export function isMutedByFacilitator(p) {
  return !!p && p.muted && p.mutedBy === 'facilitator';
}

/**
 * The room, its participants, the hand queue and the chat, each exactly as
 * the server's last welcome, snapshot or event said. The own participant's
 * record here is the one source of truth for its microphone and camera.
 */
export class RoomState {
  /** The room id from the link, for a server room without one. */
  #fallbackId;
  /** @type {Room} */
  #room;
  #selfId = '';
  /** Sequence number of the last event applied. */
  #seq = 0;
  /** @type {Map<string, Participant>} in join order */
  #participants = new Map();
  /** @type {string[]} */
  #hands = [];
  /** @type {ChatMessage[]} */
  #chat = [];
  /** The meeting's reports (facilitators only). @type {Report[]} */
  #reports = [];
  /** Who the server's last "speakers" message said is talking. @type {Set<string>} */
  #talking = new Set();

  /** @param {string} roomId  the room id from the link */
  constructor(roomId) {
    this.#fallbackId = roomId;
    this.#room = normalizeRoom({ id: roomId });
  }

  /** @returns {string} the own participant id ("" before welcome) */
  get selfId() { return this.#selfId; }
  /** @returns {Participant|undefined} the server's last record of this participant */
  get self() { return this.get(this.#selfId); }
  /** @returns {Room} */
  get room() { return { ...this.#room, timer: this.#room.timer ? { ...this.#room.timer } : null }; }
  /** @returns {Participant[]} in join order */
  get participants() { return [...this.#participants.values()].map((p) => ({ ...p })); }
  /** @returns {string[]} participant ids, first raised first */
  get hands() { return [...this.#hands]; }
  /** @returns {ChatMessage[]} oldest first */
  get chat() { return this.#chat.map((m) => ({ ...m })); }
  /** @returns {Report[]} the meeting's reports, oldest first (facilitators only get any) */
  get reports() { return this.#reports.map((r) => ({ ...r })); }

  /** @param {any} raw a report from the server @returns {Report|null} the report, if new */
  addReport(raw) {
    const r = normalizeReport(raw);
    if (!r || this.#reports.some((x) => x.id === r.id)) return null;
    this.#reports.push(r);
    return { ...r };
  }

  /** @param {string} id */
  dismissReport(id) { this.#reports = this.#reports.filter((r) => r.id !== id); }
  /**
   * @returns {Set<string>} ids of the participants talking now, as the
   * server's last "speakers" message said; anyone the server's records
   * since say is muted (or gone) is left out at once
   */
  get talking() {
    return new Set([...this.#talking].filter((id) => {
      const p = this.#participants.get(id);
      return !!p && !p.muted;
    }));
  }

  /**
   * Takes a speakers message's list.
   * @param {unknown} ids  participant ids
   * @returns {boolean} whether the set changed
   */
  setTalking(ids) {
    const next = new Set(Array.isArray(ids) ? ids.filter((id) => typeof id === 'string' && id !== '') : []);
    const same = next.size === this.#talking.size && [...next].every((id) => this.#talking.has(id));
    this.#talking = next;
    return !same;
  }

  /**
   * @param {string} id
   * @returns {Participant|undefined} a copy of the participant's record
   */
  get(id) {
    const p = this.#participants.get(id);
    return p ? { ...p } : undefined;
  }

  /**
   * Takes a welcome.
   * @param {any} msg
   * @returns {Participant|undefined} the own record, or undefined when the welcome lacks it
   */
  welcome(msg) {
    const raw = msg.self;
    if (!raw || !raw.id) return undefined;
    this.#room = normalizeRoom(msg.room, this.#fallbackId);
    this.#seq = Number(msg.seq) || 0;
    this.#selfId = String(raw.id);
    this.#replace(msg, normalize(raw));
    return this.self;
  }

  /**
   * Takes a snapshot: the whole room, replacing what was known.
   * @param {any} msg
   * @returns {Change|undefined} the own record before and after
   */
  snapshot(msg) {
    const before = this.self;
    if (msg.seq !== undefined && msg.seq !== null && Number.isFinite(Number(msg.seq))) this.#seq = Number(msg.seq);
    if (msg.room) this.#room = normalizeRoom(msg.room, this.#fallbackId);
    const self = msg.self && msg.self.id === this.#selfId ? normalize(msg.self) : before;
    this.#replace(msg, self);
    const after = this.self;
    return after ? { before, after } : undefined;
  }

  /**
   * Whether an event is newer than what is known; it then becomes the last
   * one. Gaps are normal: a participant does not get the events it may not
   * see.
   * @param {any} msg
   * @returns {boolean}
   */
  accept(msg) {
    if (msg.seq === undefined || msg.seq === null) return true;
    const seq = Number(msg.seq);
    if (!Number.isFinite(seq)) return true;
    if (seq <= this.#seq) return false; // already reflected
    this.#seq = seq;
    return true;
  }

  /**
   * Stores a participant record from a joined or updated event.
   * @param {any} raw
   * @returns {Change|undefined} undefined when the record has no id
   */
  put(raw) {
    if (!raw || !raw.id) return undefined;
    const after = normalize(raw);
    const before = this.get(after.id);
    this.#participants.set(after.id, after);
    return { before, after: { ...after } };
  }

  /**
   * Forgets a participant who left (the own record stays: the server ends
   * this session separately).
   * @param {string} id
   */
  remove(id) {
    if (id === this.#selfId) return;
    this.#participants.delete(id);
    this.#hands = this.#hands.filter((h) => h !== id);
  }

  /** @param {unknown} hands  the whole queue, in order */
  setHands(hands) {
    this.#hands = handIds(hands);
  }

  /**
   * Takes a room event's state and settings.
   * @param {unknown} raw
   * @returns {boolean} false when the event carries no room
   */
  setRoom(raw) {
    if (!raw || typeof raw !== 'object') return false;
    this.#room = normalizeRoom({ id: this.#room.id, ...raw }, this.#fallbackId);
    return true;
  }

  /**
   * @param {unknown} raw
   * @returns {ChatMessage|null} the new message, or null for a malformed or repeated one
   */
  addChat(raw) {
    const m = normalizeChat(raw);
    if (!m) return null;
    if (m.id !== '' && this.#chat.some((c) => c.id === m.id)) return null;
    this.#chat.push(m);
    if (this.#chat.length > MAX_CHAT) this.#chat.splice(0, this.#chat.length - MAX_CHAT);
    return { ...m };
  }

  /** @param {string} id */
  deleteChat(id) {
    this.#chat = this.#chat.filter((c) => c.id !== id);
  }

  /**
   * Takes participants, hands and chat from a welcome or snapshot.
   * @param {any} msg
   * @param {Participant|undefined} self  the authoritative own record
   */
  #replace(msg, self) {
    /** @type {Map<string, Participant>} */
    const participants = new Map();
    for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
      if (p && p.id) participants.set(String(p.id), normalize(p));
    }
    if (self) {
      const listed = participants.get(self.id);
      participants.set(self.id, listed ? { ...listed, ...self } : self);
    }
    this.#participants = participants;
    this.#hands = handIds(msg.hands);
    /** @type {ChatMessage[]} */
    const chat = [];
    for (const raw of Array.isArray(msg.chat) ? msg.chat : []) {
      const m = normalizeChat(raw);
      if (m) chat.push(m);
    }
    this.#chat = chat.slice(-MAX_CHAT);
    this.#reports = [];
    for (const raw of Array.isArray(msg.reports) ? msg.reports : []) this.addReport(raw);
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
    screen: !!p.screen,
    newHere: !!p.newHere,
  };
}

/** @param {any} r @returns {Report|null} */
function normalizeReport(r) {
  if (!r || typeof r !== 'object' || !r.id) return null;
  const str = (/** @type {unknown} */ v) => String(v || '');
  return { id: str(r.id), from: str(r.from), fromName: str(r.fromName), about: str(r.about), aboutName: str(r.aboutName),
    messageId: str(r.messageId), messageText: str(r.messageText), reason: str(r.reason), at: Number(r.at) || 0 };
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
    format: normalizeFormat(r.format),
    segment: Number.isInteger(r.segment) && r.segment >= 0 ? r.segment : 0,
    contributionsUrl: typeof r.contributionsUrl === 'string' ? r.contributionsUrl : '',
    membersCanShareScreen: bool(r.membersCanShareScreen, false),
    attendanceProof: bool(r.attendanceProof, false),
  };
}

/**
 * A meeting format from the server, or null.
 * @param {any} f
 * @returns {Format|null}
 */
function normalizeFormat(f) {
  if (!f || typeof f !== 'object' || !Array.isArray(f.segments) || f.segments.length === 0) return null;
  const speaking = (/** @type {unknown} */ v) => (v === 'facilitators' || v === 'called_on' ? v : 'open');
  return {
    name: String(f.name || ''),
    segments: f.segments.map((/** @type {any} */ g) => ({
      title: String((g && g.title) || ''), speaking: speaking(g && g.speaking), chatOpen: !!(g && g.chatOpen),
      text: String((g && g.text) || ''), shareSeconds: Number(g && g.shareSeconds) || 0, autoMute: !!(g && g.autoMute),
    })),
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
