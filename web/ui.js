/*
 * Browser client
 * ==============
 *
 * Hearth's browser client is three static files, embedded in the server
 * binary (web/embed.go) and loaded without a build step:
 *
 * - index.html   the single page, served for /r/<room-id>. It holds the
 *                views (pre-join; the meeting section, which also shows the
 *                waiting room; ended) and a polite live status region; no
 *                inline script or style (the page's CSP forbids it).
 * - protocol.js  HearthSession: the signaling WebSocket (docs/protocol.md),
 *                the room as this participant may see it (participants,
 *                room settings, hands, chat) kept in event order, and the two
 *                peer connections ("pub": we offer our microphone and camera
 *                once admitted; "sub": the server offers everyone else's
 *                media). It never touches the page and reports everything as
 *                events.
 * - ui.js        this file: camera/microphone preview and level meter, the
 *                name form, the waiting room, the tile grid and share timer,
 *                the participants, waiting room and hands lists, the toolbar,
 *                the facilitator controls, the chat, and the identity token
 *                kept in sessionStorage per room so a reload in the same tab
 *                comes back as the same participant (and a removed person
 *                stays removed).
 * - app.css      the styles.
 *
 * The room id is the last segment of the page path; a facilitator link adds
 * the key in the fragment (#f=<key>), which is sent only inside `join`.
 * Names and chat are shown on the page but never written to the console or
 * to storage (only the own name and the identity token are kept, in
 * sessionStorage).
 *
 * Every button has its full accessible name as its text: where the visible
 * text is shorter (e.g. "Mute" in Bob's row) the rest is in a visually
 * hidden span, so the text content reads "Mute Bob". The visible part is
 * always the start of the name (WCAG 2.5.3, label in name). Lists are updated in
 * place, keyed by participant or message id, so keyboard focus survives
 * room events; inline forms (rename, confirmations) exist only while open,
 * one at a time.
 */

import { HearthSession, wsURL, isFacilitatorRole } from './protocol.js';

/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./protocol.js').Room} Room */
/** @typedef {import('./protocol.js').ChatMessage} ChatMessage */

// ---- page context -----------------------------------------------------------

const roomId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const facilitatorKey = new URLSearchParams(location.hash.replace(/^#/, '')).get('f') || '';
const IDENTITY_KEY = `hearth.identity.${roomId}`;
const NAME_KEY = `hearth.name.${roomId}`;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return /** @type {T} */ (el);
}

const els = {
  status: $('status'),
  roomName: $('room-name'),
  prejoin: $('prejoin'),
  preview: /** @type {HTMLVideoElement} */ ($('preview')),
  previewAvatar: $('preview-avatar'),
  mediaNote: $('media-note'),
  micLevel: /** @type {HTMLMeterElement} */ ($('mic-level')),
  form: /** @type {HTMLFormElement} */ ($('join-form')),
  name: /** @type {HTMLInputElement} */ ($('name')),
  nameError: $('name-error'),
  join: /** @type {HTMLButtonElement} */ ($('join')),
  meeting: $('meeting'),
  meetingHeading: $('meeting-heading'),
  waiting: $('waiting'),
  waitingHeading: $('waiting-heading'),
  guidelines: $('guidelines'),
  timerBox: $('timer-box'),
  shareTimer: $('share-timer'),
  timerNote: $('timer-note'),
  tiles: $('tiles'),
  askUnmute: $('ask-unmute'),
  askUnmuteYes: /** @type {HTMLButtonElement} */ ($('ask-unmute-yes')),
  askUnmuteNo: /** @type {HTMLButtonElement} */ ($('ask-unmute-no')),
  mute: /** @type {HTMLButtonElement} */ ($('mute')),
  muteNote: $('mute-note'),
  camera: /** @type {HTMLButtonElement} */ ($('camera')),
  hand: /** @type {HTMLButtonElement} */ ($('hand')),
  renameSelf: /** @type {HTMLButtonElement} */ ($('rename-self')),
  renameSelfSlot: $('rename-self-slot'),
  leave: /** @type {HTMLButtonElement} */ ($('leave')),
  fac: $('fac-controls'),
  admitAll: /** @type {HTMLButtonElement} */ ($('admit-all')),
  lock: /** @type {HTMLButtonElement} */ ($('lock')),
  nextSpeaker: /** @type {HTMLButtonElement} */ ($('next-speaker')),
  muteAll: /** @type {HTMLButtonElement} */ ($('mute-all')),
  chatToggle: /** @type {HTMLButtonElement} */ ($('chat-toggle')),
  suspend: /** @type {HTMLButtonElement} */ ($('suspend')),
  resume: /** @type {HTMLButtonElement} */ ($('resume')),
  endMeeting: /** @type {HTMLButtonElement} */ ($('end-meeting')),
  endSlot: $('end-slot'),
  mode: /** @type {HTMLSelectElement} */ ($('mode')),
  shareMinutes: /** @type {HTMLInputElement} */ ($('share-minutes')),
  timerAutoMute: /** @type {HTMLInputElement} */ ($('timer-automute')),
  timerToggle: /** @type {HTMLButtonElement} */ ($('timer-toggle')),
  setGuidelines: /** @type {HTMLTextAreaElement} */ ($('set-guidelines')),
  saveGuidelines: /** @type {HTMLButtonElement} */ ($('save-guidelines')),
  side: $('side'),
  participants: $('participants'),
  participantsHeading: $('participants-heading'),
  waitingPanel: $('waiting-panel'),
  waitingList: $('waiting-list'),
  waitingListHeading: $('waiting-list-heading'),
  waitingEmpty: $('waiting-empty'),
  hands: $('hands'),
  handsEmpty: $('hands-empty'),
  chatLog: $('chat-log'),
  chatHeading: $('chat-heading'),
  chatClosed: $('chat-closed'),
  chatForm: /** @type {HTMLFormElement} */ ($('chat-form')),
  chatTo: /** @type {HTMLSelectElement} */ ($('chat-to')),
  chatText: /** @type {HTMLTextAreaElement} */ ($('chat-text')),
  chatSend: /** @type {HTMLButtonElement} */ ($('chat-send')),
  ended: $('ended'),
  endedMessage: $('ended-message'),
  endedDetail: $('ended-detail'),
  rejoin: /** @type {HTMLButtonElement} */ ($('rejoin')),
};

/** The room settings checkboxes: data-setting names the settings field. */
const settingBoxes = /** @type {HTMLInputElement[]} */ ([...els.fac.querySelectorAll('input[data-setting]')]);

/** @type {MediaStream|null} */
let localStream = null;
/** @type {HearthSession|null} */
let session = null;
/** @type {'prejoin'|'joining'|'waiting'|'meeting'|'ended'} */
let view = 'prejoin';
/** @type {(() => void)|null} */
let stopMeter = null;

/**
 * The one inline form or confirmation that is open, if any.
 * @typedef {{kind: 'rename-self'}|{kind: 'end'}|{kind: 'rename'|'remove', id: string, name: string}} Inline
 */
/** @type {Inline|null} */
let inline = null;
/** @type {HTMLElement|null} */
let inlineEl = null;
let inlineKey = '';
let focusInline = false;

let askUnmuteOpen = false;
let shareMinutesEdited = false;
let autoMuteEdited = false;
let guidelinesEdited = false;
/** @type {Participant|null} */
let lastSelf = null;
/** @type {Room|null} */
let lastRoom = null;
/** @type {Set<string>} */
let seenWaiting = new Set();
let mutedByFacilitator = false;
let forcedMute = false;
let forcedCameraOff = false;
let timerNoteText = '';
/** @type {'warning'|'ended'|''} */
let timerNoteKind = '';
/** @type {ReturnType<typeof setTimeout>|undefined} */
let timerNoteClear;
/** @type {ReturnType<typeof setInterval>|undefined} */
let timerInterval;

// ---- small helpers ----------------------------------------------------------

/** @param {string} key @returns {string|null} */
function load(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string|null} value */
function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // storage may be disabled; the session still works without it
  }
}

/** @type {ReturnType<typeof setTimeout>|undefined} */
let statusTimer;

/**
 * Shows text in the polite live region.
 * @param {string} text
 * @param {number} [clearAfterMs] clear it again after this long (if unchanged)
 */
function setStatus(text, clearAfterMs) {
  clearTimeout(statusTimer);
  els.status.textContent = text;
  if (clearAfterMs) {
    statusTimer = setTimeout(() => {
      if (els.status.textContent === text) els.status.textContent = '';
    }, clearAfterMs);
  }
}

/**
 * Sets an element's text only when it differs, so that live regions do not
 * announce unchanged text again.
 * @param {Element} el
 * @param {string} text
 */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** @param {string} name @returns {string} */
function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = Array.from(words[0])[0] || '';
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] || '' : '';
  return (first + last).toUpperCase();
}

/** A stable avatar colour (one of 6 CSS classes) for a participant id. */
function hueClass(/** @type {string} */ id) {
  let n = 0;
  for (const ch of id) n = (n * 31 + (ch.codePointAt(0) || 0)) >>> 0;
  return `hue-${n % 6}`;
}

/** @param {HTMLVideoElement} video */
function play(video) {
  const p = video.play();
  if (p && typeof p.catch === 'function') p.catch(() => {});
}

/** @param {MediaStream|null|undefined} stream @returns {boolean} */
function hasLiveVideo(stream) {
  return !!stream && stream.getVideoTracks().some((t) => t.readyState === 'live');
}

/** @param {number} seconds @returns {string} e.g. "2:05" */
function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${s < 10 ? '0' : ''}${s}`;
}

/** @param {number} seconds @returns {string} minutes for the input, e.g. "3" or "2.5" */
function minutesText(seconds) {
  return String(Math.round((seconds / 60) * 100) / 100);
}

/** @param {string} a @param {string} b @returns {boolean} the same sentence, give or take case and a full stop */
function sameSentence(a, b) {
  const n = (/** @type {string} */ s) => s.trim().replace(/[.!]+$/, '').toLowerCase();
  return n(a) === n(b);
}

/**
 * The server's message as it is, ending with a full stop.
 * @param {string} text
 * @returns {string}
 */
function asSentence(text) {
  const t = text.trim();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}

/**
 * @param {string} id
 * @returns {string} the participant's name, or "" when unknown
 */
function nameOf(id) {
  if (!session || !id) return '';
  const p = session.participants.find((x) => x.id === id);
  return p ? p.name : '';
}

/**
 * A label made of visible text and visually hidden text (strings in an
 * array); the text content is the full accessible name.
 * @typedef {Array<string|[string]>} LabelParts
 */

/** @type {WeakMap<Element, string>} */
const labelSigs = new WeakMap();

/**
 * @param {HTMLElement} el
 * @param {LabelParts} parts
 */
function setLabel(el, parts) {
  const sig = JSON.stringify(parts);
  if (labelSigs.get(el) === sig) return;
  labelSigs.set(el, sig);
  el.replaceChildren(...parts.map((p) => (typeof p === 'string' ? document.createTextNode(p) : h('span', 'visually-hidden', p[0]))));
}

/**
 * Updates parent's children in place, keyed by data-key: stale ones are
 * removed first, existing ones are kept (with their focus), new ones are
 * created, and the order follows items.
 * @template T
 * @param {HTMLElement} parent
 * @param {Array<{key: string, item: T}>} items
 * @param {(item: T) => HTMLElement} create
 * @param {(el: HTMLElement, item: T) => void} update
 * @returns {number} how many elements were created
 */
function reconcile(parent, items, create, update) {
  const wanted = new Set(items.map((i) => i.key));
  for (const el of [...parent.children]) {
    if (!wanted.has(el.getAttribute('data-key') || '')) el.remove();
  }
  /** @type {Map<string, HTMLElement>} */
  const existing = new Map();
  for (const el of parent.children) existing.set(el.getAttribute('data-key') || '', /** @type {HTMLElement} */ (el));
  let created = 0;
  /** @type {Element|null} */
  let prev = null;
  for (const { key, item } of items) {
    let el = existing.get(key);
    if (!el) {
      el = create(item);
      el.setAttribute('data-key', key);
      created++;
    }
    update(el, item);
    const want = prev ? prev.nextElementSibling : parent.firstElementChild;
    if (want !== el) parent.insertBefore(el, want);
    prev = el;
  }
  return created;
}

/**
 * @typedef {Object} Action
 * @property {string} key        stable per row, e.g. "mute" (Mute / Ask to unmute)
 * @property {LabelParts} label
 * @property {() => void} run
 * @property {string} [className]
 */

/** @type {WeakMap<HTMLElement, () => void>} */
const actionRuns = new WeakMap();

/**
 * Renders a row's buttons, keeping the elements (and focus) per key.
 * @param {HTMLElement} container
 * @param {Action[]} actions
 * @param {string} fkeyPrefix  makes data-fkey unique in the page
 */
function renderActions(container, actions, fkeyPrefix) {
  reconcile(container, actions.map((a) => ({ key: a.key, item: a })), () => {
    const b = /** @type {HTMLButtonElement} */ (h('button', 'small'));
    b.type = 'button';
    b.addEventListener('click', () => {
      const run = actionRuns.get(b);
      if (run) run();
    });
    return b;
  }, (el, a) => {
    actionRuns.set(el, a.run);
    el.setAttribute('data-fkey', fkeyPrefix + a.key);
    const cls = a.className ? `small ${a.className}` : 'small';
    if (el.className !== cls) el.className = cls;
    setLabel(el, a.label);
  });
  container.hidden = actions.length === 0;
}

// ---- focus that survives updates ----------------------------------------------

/**
 * @typedef {Object} FocusMark
 * @property {Element} el
 * @property {string|null} key    data-fkey of the focused control
 * @property {Element|null} item  the list row it was in
 * @property {Element|null} group the area it was in (data-fgroup)
 */

/** @returns {FocusMark|null} */
function rememberFocus() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  return {
    el,
    key: el.getAttribute('data-fkey'),
    item: el.closest('[data-item]'),
    group: el.closest('[data-fgroup]'),
  };
}

/** @param {Element|null} el @returns {el is HTMLElement} */
function focusable(el) {
  if (!(el instanceof HTMLElement) || !el.isConnected) return false;
  if (/** @type {HTMLButtonElement} */ (el).disabled) return false;
  return el.getClientRects().length > 0;
}

/**
 * Puts focus back near where it was when the focused control went away.
 * @param {FocusMark|null} mark
 */
function restoreFocus(mark) {
  if (!mark) return;
  const now = document.activeElement;
  if (now === mark.el || (now && now !== document.body)) return;
  /** @type {Element|null} */
  let target = null;
  if (mark.key) target = document.querySelector(`[data-fkey="${CSS.escape(mark.key)}"]`);
  if (!focusable(target) && mark.item && mark.item.isConnected) target = mark.item.querySelector('button, input, select, textarea');
  if (!focusable(target) && mark.group && mark.group.isConnected) {
    target = [...mark.group.querySelectorAll('button, input, select, textarea')].find(focusable) || null;
    if (!focusable(target)) target = mark.group.querySelector('h2[tabindex]');
  }
  if (target instanceof HTMLElement && target.isConnected && target.getClientRects().length > 0) target.focus();
}

/** @param {'prejoin'|'joining'|'waiting'|'meeting'|'ended'} next */
function show(next) {
  view = next;
  els.prejoin.hidden = !(next === 'prejoin' || next === 'joining');
  els.meeting.hidden = !(next === 'meeting' || next === 'waiting');
  els.ended.hidden = next !== 'ended';
  els.join.disabled = next === 'joining';
  els.name.readOnly = next === 'joining';
  els.waiting.hidden = next !== 'waiting';
}

// ---- pre-join: preview and level meter -------------------------------------

/** @returns {Promise<MediaStream|null>} */
async function openMedia() {
  const md = navigator.mediaDevices;
  if (!md || typeof md.getUserMedia !== 'function') {
    els.mediaNote.textContent =
      'This browser cannot use a camera or microphone here (it needs a secure https:// link). You can still join to listen and watch.';
    return null;
  }
  try {
    const s = await md.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    els.mediaNote.textContent = 'Your camera and microphone are ready. Only you can see this preview.';
    return s;
  } catch {
    // fall through to audio only
  }
  try {
    const s = await md.getUserMedia({ audio: true });
    els.mediaNote.textContent = 'No camera is available, so you will join with your microphone only.';
    return s;
  } catch {
    // fall through to no media
  }
  els.mediaNote.textContent =
    'No camera or microphone is available. You can still join to listen and watch.';
  return null;
}

/**
 * Drives the "Microphone level" meter from an AnalyserNode.
 * @param {MediaStream|null} stream
 * @returns {() => void} stops the meter
 */
function startMeter(stream) {
  const meter = els.micLevel;
  meter.value = 0;
  const AC = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (!stream || stream.getAudioTracks().length === 0 || !AC) return () => {};
  /** @type {AudioContext} */
  let ctx;
  try {
    ctx = new AC();
  } catch {
    return () => {};
  }
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  analyser.smoothingTimeConstant = 0.5;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let level = 0;
  let raf = 0;
  const tick = () => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
    const rms = Math.sqrt(sum / buf.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const target = Math.min(1, Math.max(0, (db + 60) / 60));
    level = target > level ? target : level * 0.85 + target * 0.15;
    meter.value = level;
    raf = requestAnimationFrame(tick);
  };
  raf = requestAnimationFrame(tick);
  // Browsers may start the context suspended until the user interacts.
  const resume = () => {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  };
  resume();
  document.addEventListener('pointerdown', resume);
  document.addEventListener('keydown', resume);
  return () => {
    cancelAnimationFrame(raf);
    document.removeEventListener('pointerdown', resume);
    document.removeEventListener('keydown', resume);
    source.disconnect();
    ctx.close().catch(() => {});
    meter.value = 0;
  };
}

const mediaReady = openMedia().then((stream) => {
  localStream = stream;
  if (hasLiveVideo(stream)) {
    els.preview.srcObject = stream;
    play(els.preview);
  } else {
    els.preview.classList.add('is-hidden');
    els.previewAvatar.hidden = false;
  }
  if (view === 'prejoin' || view === 'joining') stopMeter = startMeter(stream);
  return stream;
});

// ---- joining ------------------------------------------------------------------

/** @param {string} name @returns {string} an error message, or "" if the name is fine */
function nameProblem(name) {
  if (name.length === 0) return 'Please enter your name.';
  if (Array.from(name).length > 40) return 'Please use at most 40 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Please use only letters, numbers, spaces and punctuation.';
  return '';
}

/** @param {string} message */
function showNameError(message) {
  els.nameError.textContent = message;
  els.nameError.hidden = message === '';
  if (message) els.name.setAttribute('aria-invalid', 'true');
  else els.name.removeAttribute('aria-invalid');
}

els.form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (view !== 'prejoin') return;
  const name = els.name.value.trim();
  const problem = nameProblem(name);
  showNameError(problem);
  if (problem) {
    els.name.focus();
    return;
  }
  if (!roomId) {
    setStatus('This link has no meeting in it. Please check the link you were given.');
    return;
  }
  show('joining');
  setStatus('Connecting…');
  await mediaReady;
  if (view !== 'joining') return;
  startSession(name);
});

els.name.addEventListener('input', () => {
  if (!els.nameError.hidden && nameProblem(els.name.value.trim()) === '') showNameError('');
});

/**
 * How a meeting ends for this person when the server says so (bye reason,
 * or the event about them); none of these offers a rejoin.
 * @type {Record<string, [string, string]>}
 */
const FINAL = {
  removed: ['You were removed from this meeting by the facilitator.', ''],
  denied: ['The facilitator did not admit you.', ''],
  ended: ['The meeting has ended.', 'Thank you for being here.'],
};

/**
 * Join errors that are shown on their own page, and are not retried.
 * @type {Record<string, {title: string, extra: string, button: string|null}>}
 */
const JOIN_REFUSALS = {
  removed: { title: 'You were removed from this meeting.', extra: '', button: null },
  room_locked: {
    title: 'This room is locked.',
    extra: 'Nobody new can join right now. You can try again in a little while.',
    button: 'Try again',
  },
  forbidden: { title: 'This facilitator link is not valid.', extra: 'Please check the link you were given.', button: null },
};

/** Reconnection attempts since the last welcome. */
let reconnectAttempts = 0;
const MAX_RECONNECTS = 15;

/**
 * Tries to join again with the stored identity after the connection was
 * lost, backing off up to 4 s between attempts (about 45 s in all).
 * @param {string} name
 */
function reconnect(name) {
  if (reconnectAttempts >= MAX_RECONNECTS) {
    reconnectAttempts = 0;
    endMeeting('The connection to the meeting was lost.', 'Check your internet connection, then rejoin.');
    return;
  }
  const delay = Math.min(4000, 250 * 2 ** reconnectAttempts);
  reconnectAttempts++;
  setStatus('The connection was lost. Reconnecting…');
  setTimeout(() => {
    if (view === 'meeting' || view === 'waiting') startSession(name);
  }, delay);
}

/** @param {string} name */
function startSession(name) {
  if (session) session.close();
  const s = new HearthSession({
    url: wsURL(location),
    room: roomId,
    name,
    facilitatorKey: facilitatorKey || undefined,
    identity: load(IDENTITY_KEY) || undefined,
    stream: localStream,
  });
  session = s;
  lastSelf = null;
  lastRoom = null;
  seenWaiting = new Set();
  const mine = (/** @type {(e: any) => void} */ fn) => (/** @type {Event} */ e) => {
    if (session === s) fn(e);
  };

  s.addEventListener('welcome', mine((e) => {
    const { identity, waiting } = e.detail;
    // Kept also after a removal: a reload sends it, and the server keeps
    // the person out.
    if (identity) store(IDENTITY_KEY, identity);
    store(NAME_KEY, name);
    reconnectAttempts = 0;
    if (waiting) {
      enterWaiting();
    } else {
      if (view !== 'meeting') enterMeeting();
      setStatus('You joined the meeting.', 5000);
    }
    noticeChanges();
    render();
  }));
  s.addEventListener('admitted', mine(() => {
    enterMeeting();
    setStatus('The facilitator let you in. Welcome to the meeting.', 8000);
    render();
  }));
  s.addEventListener('participants', mine(() => {
    noticeChanges();
    render();
  }));
  s.addEventListener('room', mine(() => {
    noticeChanges();
    render();
  }));
  for (const type of ['snapshot', 'hands', 'chat', 'chatdeleted']) s.addEventListener(type, mine(() => render()));
  s.addEventListener('streamadded', mine((e) => {
    attachRemote(e.detail.participantId, e.detail.stream);
    render();
  }));
  s.addEventListener('streamremoved', mine((e) => {
    const video = remoteVideo(e.detail.participantId);
    if (video) video.srcObject = null;
    render();
  }));
  s.addEventListener('selfmedia', mine((e) => {
    if (e.detail.mutedByFacilitator) mutedByFacilitator = true;
    if (e.detail.forcedMute) forcedMute = true;
    if (e.detail.forcedCameraOff) forcedCameraOff = true;
    render();
  }));
  s.addEventListener('refused', mine((e) => {
    const { what, message } = e.detail;
    if (what === 'unmute') askUnmuteOpen = false;
    setStatus(message || (what === 'unmute' ? 'You cannot unmute right now.' : 'You cannot turn your camera on right now.'));
    render();
  }));
  s.addEventListener('askunmute', mine(() => {
    if (!s.muted) return;
    askUnmuteOpen = true;
    setStatus('The facilitator asks you to unmute.');
    render();
  }));
  s.addEventListener('timerwarning', mine((e) => {
    const left = Math.max(1, Math.round(e.detail.secondsLeft));
    showTimerNote(`${left} seconds left`, 'warning');
  }));
  s.addEventListener('timerended', mine((e) => {
    const id = e.detail.participantId;
    showTimerNote(id && id === s.selfId ? 'Your share time is up. Thank you for sharing.' : 'Share time is up. Thank you for sharing.', 'ended');
  }));
  s.addEventListener('removed', mine((e) => {
    if (e.detail.self) finish('removed');
  }));
  s.addEventListener('denied', mine((e) => {
    if (e.detail.self) finish('denied');
  }));
  s.addEventListener('ended', mine(() => finish('ended')));
  s.addEventListener('identityrejected', mine(() => store(IDENTITY_KEY, null)));
  s.addEventListener('servererror', mine((e) => {
    const { code, message, beforeWelcome } = e.detail;
    if (beforeWelcome && view === 'joining') {
      s.close();
      session = null;
      const refusal = JOIN_REFUSALS[code];
      if (refusal) {
        const own = sameSentence(message, refusal.title) ? '' : asSentence(message);
        const detail = [own, refusal.extra].filter(Boolean).join(' ');
        endMeeting(refusal.title, detail, refusal.button);
        return;
      }
      setStatus(message);
      show('prejoin');
      els.join.focus();
      return;
    }
    setStatus(message);
  }));
  s.addEventListener('mediaerror', mine(() => {
    setStatus('There was a problem setting up audio and video. Leaving and rejoining may help.');
  }));
  s.addEventListener('connectionstate', mine((e) => {
    if (e.detail.state === 'failed') {
      setStatus('The audio and video connection failed. Leaving and rejoining may help.');
    }
  }));
  s.addEventListener('closed', mine((e) => {
    const { byeReason, left } = e.detail;
    session = null;
    if (left || view === 'ended') return;
    if (view === 'joining' || view === 'prejoin') {
      show('prejoin');
      setStatus('Could not connect to the meeting. Please check your connection and try again.');
      return;
    }
    const final = byeReason ? FINAL[byeReason] : undefined;
    if (final) {
      endMeeting(final[0], final[1], null);
    } else if (byeReason === 'shutdown' || !byeReason) {
      // The server went away (or the network did): come back as the same
      // participant, through whichever server answers the same address.
      reconnect(name);
    } else if (byeReason === 'left') {
      endMeeting('You left the meeting.', '');
    } else if (byeReason === 'replaced') {
      endMeeting('You joined from another tab or window.', 'This page is no longer connected to the meeting.');
    } else {
      endMeeting('The connection to the meeting was lost.', 'Check your internet connection, then rejoin.');
    }
  }));
  s.connect();
}

/**
 * The server ended this person's meeting (removed, denied, ended).
 * @param {'removed'|'denied'|'ended'} reason
 */
function finish(reason) {
  const s = session;
  session = null;
  if (s) s.close();
  const [title, detail] = FINAL[reason];
  endMeeting(title, detail, null);
}

function enterWaiting() {
  if (stopMeter) stopMeter();
  stopMeter = null;
  els.preview.srcObject = null;
  show('waiting');
  setStatus('You are in the waiting room.', 5000);
  els.waitingHeading.focus();
}

function enterMeeting() {
  if (stopMeter) stopMeter();
  stopMeter = null;
  els.preview.srcObject = null;
  show('meeting');
  els.meetingHeading.focus();
}

/**
 * Shows the ended view and releases the camera and microphone.
 * @param {string} title
 * @param {string} detail
 * @param {string|null} [button] the rejoin button's text; null: no button
 */
function endMeeting(title, detail, button = 'Rejoin') {
  if (stopMeter) stopMeter();
  stopMeter = null;
  for (const video of els.tiles.querySelectorAll('video')) video.srcObject = null;
  els.tiles.replaceChildren();
  els.participants.replaceChildren();
  els.waitingList.replaceChildren();
  els.hands.replaceChildren();
  els.chatLog.replaceChildren();
  els.chatText.value = '';
  inline = null;
  askUnmuteOpen = false;
  syncInline();
  clearInterval(timerInterval);
  timerInterval = undefined;
  clearTimeout(timerNoteClear);
  timerNoteText = '';
  els.preview.srcObject = null;
  if (localStream) for (const t of localStream.getTracks()) t.stop();
  show('ended');
  setStatus('');
  els.endedMessage.textContent = title;
  els.endedDetail.textContent = detail;
  els.endedDetail.hidden = detail === '';
  els.rejoin.hidden = !button;
  els.rejoin.textContent = button || 'Rejoin';
  els.endedMessage.focus();
}

/**
 * Announces changes that concern this person: muted or stopped by the
 * server, role changes, being called on, people waiting (facilitators).
 */
function noticeChanges() {
  const s = session;
  if (!s || view !== 'meeting') return;
  const me = s.self;
  const room = s.room;
  if (!me) return;
  const prev = lastSelf;
  const prevRoom = lastRoom;
  lastSelf = me;
  lastRoom = room;
  /** @type {string[]} */
  const says = [];

  // From the server's own state changes (not our optimistic ones).
  if (mutedByFacilitator) says.push('You were muted by the facilitator.');
  else if (forcedMute) says.push('Your microphone was muted.');
  if (forcedCameraOff) says.push('Your camera was turned off by the facilitator.');
  mutedByFacilitator = false;
  forcedMute = false;
  forcedCameraOff = false;
  if (prev && prev.role !== me.role) {
    if (me.role === 'cofacilitator') says.push('You are now a co-facilitator.');
    else if (me.role === 'facilitator') says.push('You are now a facilitator.');
    else says.push('You are now a member of the group.');
  }
  if (prevRoom) {
    if (room.speaker === me.id && prevRoom.speaker !== me.id) {
      says.push(s.muted ? 'It is your turn to speak. Unmute when you are ready.' : 'It is your turn to speak.');
    }
    const timerKey = (/** @type {Room} */ r) => (r.timer ? `${r.timer.speaker}:${r.timer.endsAt}` : '');
    if (timerKey(room) !== timerKey(prevRoom) && timerNoteKind === 'warning') {
      // The warning belonged to the share that just stopped or was replaced.
      if (els.status.textContent === timerNoteText) setStatus('');
      timerNoteText = '';
      timerNoteKind = '';
    }
    if (!isFacilitatorRole(me) && room.suspended && !prevRoom.suspended) says.push('The facilitator paused all activity for now.');
    if (!isFacilitatorRole(me) && room.chatOpen !== prevRoom.chatOpen) {
      says.push(room.chatOpen ? 'The chat is open again.' : 'The facilitator closed the chat.');
    }
  }
  if (isFacilitatorRole(me)) {
    const waitingNow = s.participants.filter((p) => p.status === 'waiting');
    const fresh = waitingNow.filter((p) => !seenWaiting.has(p.id));
    seenWaiting = new Set(waitingNow.map((p) => p.id));
    if (fresh.length === 1) says.push(`${fresh[0].name} is in the waiting room.`);
    else if (fresh.length > 1) says.push(`${fresh.length} people are in the waiting room.`);
  }
  if (says.length > 0) setStatus(says.join(' '));
}

/**
 * @param {string} text
 * @param {'warning'|'ended'} kind
 */
function showTimerNote(text, kind) {
  timerNoteText = text;
  timerNoteKind = kind;
  setStatus(text, 15000);
  clearTimeout(timerNoteClear);
  timerNoteClear = setTimeout(clearTimerNote, 15000);
  render();
}

function clearTimerNote() {
  clearTimeout(timerNoteClear);
  timerNoteText = '';
  timerNoteKind = '';
  render();
}

// ---- meeting: tiles -----------------------------------------------------------

/** @param {string} id @returns {HTMLVideoElement|null} */
function remoteVideo(id) {
  for (const v of els.tiles.querySelectorAll('video[data-participant-id]')) {
    if (v.getAttribute('data-participant-id') === id) return /** @type {HTMLVideoElement} */ (v);
  }
  return null;
}

/** @param {string} id @returns {HTMLElement|null} */
function tileFor(id) {
  for (const t of els.tiles.children) {
    if (t.getAttribute('data-tile-id') === id) return /** @type {HTMLElement} */ (t);
  }
  return null;
}

/**
 * @param {string} id
 * @param {MediaStream} stream
 */
function attachRemote(id, stream) {
  const video = remoteVideo(id);
  if (!video) return; // render() attaches it when the tile appears
  if (video.srcObject !== stream) video.srcObject = stream;
  play(video);
}

/**
 * @param {Participant} p
 * @param {boolean} isSelf
 * @returns {HTMLElement}
 */
function createTile(p, isSelf) {
  const tile = h('div', 'tile');
  tile.setAttribute('data-tile-id', p.id);
  if (isSelf) tile.classList.add('self');

  const video = /** @type {HTMLVideoElement} */ (h('video', 'tile-video'));
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('autoplay', '');
  video.setAttribute('playsinline', '');
  if (isSelf) {
    video.muted = true;
    video.setAttribute('muted', '');
    video.setAttribute('data-local', '');
    video.classList.add('mirror');
  } else {
    video.setAttribute('data-participant-id', p.id);
  }

  const avatar = h('div', `avatar ${hueClass(p.id)}`);
  avatar.setAttribute('aria-hidden', 'true');
  const label = h('div', 'tile-label');
  const name = h('span', 'tile-name');
  const muted = h('span', 'badge tile-muted', 'muted');
  const hand = h('span', 'badge tile-hand', 'hand raised');
  const speaking = h('span', 'badge tile-speaking', 'speaking');
  label.append(name, muted, hand, speaking);
  tile.append(video, avatar, label);
  return tile;
}

/**
 * @param {HearthSession} s
 * @param {Participant[]} people  admitted participants
 * @param {Room} room
 * @param {string[]} hands
 */
function renderTiles(s, people, room, hands) {
  const selfId = s.selfId;
  const present = new Set(people.map((p) => p.id));
  for (const tile of [...els.tiles.children]) {
    const id = tile.getAttribute('data-tile-id') || '';
    if (!present.has(id)) {
      const v = tile.querySelector('video');
      if (v) v.srcObject = null;
      tile.remove();
    }
  }
  let prev = /** @type {Element|null} */ (null);
  for (const p of people) {
    const isSelf = p.id === selfId;
    let tile = tileFor(p.id);
    if (!tile) tile = createTile(p, isSelf);
    const wanted = prev ? prev.nextElementSibling : els.tiles.firstElementChild;
    if (wanted !== tile) els.tiles.insertBefore(tile, wanted);
    prev = tile;

    const video = /** @type {HTMLVideoElement} */ (tile.querySelector('video'));
    const stream = isSelf ? localStream : s.remoteStream(p.id) || null;
    if (stream && video.srcObject !== stream) {
      video.srcObject = stream;
      play(video);
    } else if (stream && video.paused) {
      play(video);
    }
    const cameraOn = isSelf ? s.cameraOn && hasLiveVideo(stream) : p.camera && hasLiveVideo(stream);
    video.classList.toggle('is-hidden', !cameraOn);
    const avatar = /** @type {HTMLElement} */ (tile.querySelector('.avatar'));
    avatar.hidden = cameraOn;
    setText(avatar, initials(p.name));
    setText(/** @type {HTMLElement} */ (tile.querySelector('.tile-name')), isSelf ? `${p.name} (you)` : p.name);
    const muted = isSelf ? s.muted : p.muted;
    /** @type {HTMLElement} */ (tile.querySelector('.tile-muted')).hidden = !muted;
    /** @type {HTMLElement} */ (tile.querySelector('.tile-hand')).hidden = !hands.includes(p.id);
    /** @type {HTMLElement} */ (tile.querySelector('.tile-speaking')).hidden = room.speaker !== p.id;
    tile.classList.toggle('is-muted', muted);
    tile.classList.toggle('is-speaking', room.speaker === p.id);
  }
}

// ---- meeting: lists ---------------------------------------------------------------

/**
 * @typedef {Object} ListContext
 * @property {Participant} me
 * @property {Room} room
 * @property {string[]} hands
 * @property {boolean} fac   the viewer is a facilitator or co-facilitator
 */

/**
 * The buttons a facilitator sees on one person's row.
 * @param {Participant} p
 * @param {ListContext} ctx
 * @returns {Action[]}
 */
function participantActions(p, ctx) {
  const s = session;
  if (!ctx.fac || !s) return [];
  const name = p.name;
  const target = p.id;
  const isSelf = p.id === ctx.me.id;
  // Only a facilitator may act on a facilitator (mute, remove, rename, demote).
  const mayActOn = p.role !== 'facilitator' || ctx.me.role === 'facilitator';
  const mod = (/** @type {string} */ action, /** @type {Record<string, unknown>} */ fields = {}) => () => {
    if (session) session.moderate(action, { target, ...fields });
  };
  /** @type {Action[]} */
  const list = [];
  if (!isSelf && ctx.hands.includes(p.id)) {
    list.push({ key: 'hand', label: ['Lower hand', [` ${name}`]], run: mod('lower_hand') });
  }
  if (ctx.room.speaker === p.id) {
    list.push({ key: 'speak', label: ['End turn', [` ${name}`]], run: mod('end_turn') });
  } else {
    list.push({ key: 'speak', label: [`Let ${name} speak`], run: mod('let_speak') });
  }
  if (isSelf || !mayActOn) return list;
  if (p.muted) {
    list.push({ key: 'mute', label: [`Ask ${name} to unmute`], run: mod('ask_unmute') });
  } else {
    list.push({ key: 'mute', label: ['Mute', [` ${name}`]], run: mod('mute') });
  }
  list.push({ key: 'rename', label: ['Rename', [` ${name}`]], run: () => openInline({ kind: 'rename', id: target, name }) });
  if (p.role === 'member') {
    list.push({ key: 'role', label: ['Promote', [` ${name}`]], run: mod('promote') });
  } else {
    list.push({ key: 'role', label: ['Demote', [` ${name}`]], run: mod('demote') });
  }
  list.push({
    key: 'remove',
    label: ['Remove', [` ${name}`]],
    className: 'danger-outline',
    run: () => openInline({ kind: 'remove', id: target, name }),
  });
  return list;
}

/** @type {WeakMap<Element, string>} */
const lineSigs = new WeakMap();

/** @returns {HTMLElement} */
function createRow() {
  const li = h('li', 'participant');
  li.setAttribute('data-item', '');
  li.append(h('div', 'p-line'), h('div', 'p-actions'), h('div', 'p-inline'));
  return li;
}

/**
 * @param {HTMLElement} li
 * @param {Array<[string, string]>} bits  [class, text] pairs; the first is the name
 */
function setLine(li, bits) {
  const line = /** @type {HTMLElement} */ (li.querySelector('.p-line'));
  const sig = JSON.stringify(bits);
  if (lineSigs.get(line) === sig) return;
  lineSigs.set(line, sig);
  /** @type {Array<Node|string>} */
  const nodes = [];
  for (const [cls, text] of bits) {
    if (nodes.length > 0) nodes.push(' ');
    nodes.push(h('span', cls, text));
  }
  line.replaceChildren(...nodes);
}

/**
 * @param {Participant[]} people  admitted participants
 * @param {ListContext} ctx
 */
function renderParticipants(people, ctx) {
  reconcile(els.participants, people.map((p) => ({ key: p.id, item: p })), createRow, (li, p) => {
    li.setAttribute('data-entry-id', p.id);
    /** @type {Array<[string, string]>} */
    const bits = [['p-name', p.name]];
    if (p.id === ctx.me.id) bits.push(['p-you', '(you)']);
    if (p.role === 'facilitator') bits.push(['badge p-role', 'facilitator']);
    if (p.role === 'cofacilitator') bits.push(['badge p-role', 'co-facilitator']);
    const muted = p.id === ctx.me.id && session ? session.muted : p.muted;
    if (muted) bits.push(['badge p-muted', 'muted']);
    const pos = ctx.hands.indexOf(p.id);
    if (pos >= 0) bits.push(['badge p-hand', `hand raised (${pos + 1})`]);
    if (ctx.room.speaker === p.id) bits.push(['badge p-speaking', 'speaking']);
    setLine(li, bits);
    renderActions(/** @type {HTMLElement} */ (li.querySelector('.p-actions')), participantActions(p, ctx), `p:${p.id}:`);
  });
}

/**
 * @param {Participant[]} waiting  people in the waiting room
 * @param {ListContext} ctx
 */
function renderWaitingList(waiting, ctx) {
  els.waitingPanel.hidden = !ctx.fac;
  if (!ctx.fac) {
    els.waitingList.replaceChildren();
    return;
  }
  reconcile(els.waitingList, waiting.map((p) => ({ key: p.id, item: p })), createRow, (li, p) => {
    li.setAttribute('data-entry-id', p.id);
    setLine(li, [['p-name', p.name]]);
    const mod = (/** @type {string} */ action) => () => {
      if (session) session.moderate(action, { target: p.id });
    };
    renderActions(/** @type {HTMLElement} */ (li.querySelector('.p-actions')), [
      { key: 'admit', label: ['Admit', [` ${p.name}`]], run: mod('admit'), className: 'primary' },
      { key: 'deny', label: ['Deny', [` ${p.name}`]], run: mod('deny') },
    ], `w:${p.id}:`);
  });
  els.waitingEmpty.hidden = waiting.length > 0;
}

/**
 * @param {string[]} hands
 * @param {Participant[]} people
 */
function renderHands(hands, people) {
  const byId = new Map(people.map((p) => [p.id, p]));
  const items = hands.filter((id) => byId.has(id)).map((id) => ({ key: id, item: /** @type {Participant} */ (byId.get(id)) }));
  reconcile(els.hands, items, () => h('li', 'hand-item'), (li, p) => setText(li, p.name));
  els.handsEmpty.hidden = items.length > 0;
}

// ---- meeting: toolbar and facilitator controls -----------------------------------

/**
 * @param {HearthSession} s
 * @param {ListContext} ctx
 */
function renderToolbar(s, ctx) {
  setText(els.mute, s.muted ? 'Unmute' : 'Mute');
  els.mute.disabled = !s.hasAudio;
  const byFacilitator = s.muted && ctx.me.muted && ctx.me.mutedBy === 'facilitator';
  els.muteNote.hidden = !byFacilitator;
  if (byFacilitator) els.mute.setAttribute('aria-describedby', 'mute-note');
  else els.mute.removeAttribute('aria-describedby');
  setText(els.camera, s.cameraOn ? 'Stop camera' : 'Start camera');
  els.camera.disabled = !s.hasVideo;
  setText(els.hand, ctx.hands.includes(ctx.me.id) ? 'Lower hand' : 'Raise hand');
  els.renameSelf.hidden = !(ctx.fac || ctx.room.selfRename);
  if (!s.muted) askUnmuteOpen = false;
  els.askUnmute.hidden = !askUnmuteOpen;
}

/** @param {ListContext} ctx */
function renderFacControls(ctx) {
  els.fac.hidden = !ctx.fac;
  if (!ctx.fac) return;
  const room = ctx.room;
  setText(els.lock, room.locked ? 'Unlock room' : 'Lock room');
  setText(els.chatToggle, room.chatOpen ? 'Close chat' : 'Open chat');
  els.resume.hidden = !room.suspended;
  setText(els.timerToggle, room.timer ? 'Stop share timer' : 'Start share timer');
  if (els.mode.value !== room.mode) els.mode.value = room.mode;
  if (!shareMinutesEdited) {
    const v = minutesText(room.shareSeconds);
    if (els.shareMinutes.value !== v) els.shareMinutes.value = v;
  }
  if (!autoMuteEdited) els.timerAutoMute.checked = room.autoMute;
  for (const box of settingBoxes) {
    const key = /** @type {keyof Room} */ (box.getAttribute('data-setting') || '');
    box.checked = !!room[key];
  }
  if (!guidelinesEdited && document.activeElement !== els.setGuidelines && els.setGuidelines.value !== room.guidelines) {
    els.setGuidelines.value = room.guidelines;
  }
}

// ---- meeting: share timer -------------------------------------------------------

function renderTimer() {
  const s = session;
  const t = s && view === 'meeting' ? s.room.timer : null;
  els.shareTimer.hidden = !t;
  setText(els.timerNote, timerNoteText);
  els.timerNote.hidden = timerNoteText === '';
  els.timerBox.hidden = !t && timerNoteText === '';
  if (!t) {
    clearInterval(timerInterval);
    timerInterval = undefined;
    setText(els.shareTimer, '');
    return;
  }
  if (timerInterval === undefined) timerInterval = setInterval(tickTimer, 250);
  tickTimer();
}

/** Updates the countdown from the server's end time (text changes once a second). */
function tickTimer() {
  const t = session ? session.room.timer : null;
  if (!t) return;
  const left = Math.max(0, Math.ceil((t.endsAt - Date.now()) / 1000));
  const name = nameOf(t.speaker) || 'the speaker';
  setText(els.shareTimer, `${clock(left)} left for ${name}`);
}

// ---- meeting: chat ---------------------------------------------------------------

/**
 * @param {ChatMessage} m
 * @returns {HTMLElement}
 */
function createChatItem(m) {
  const item = h('div', 'chat-msg');
  item.setAttribute('data-item', '');
  const line = h('p', 'chat-line');
  line.append(h('span', 'chat-from', m.fromName || 'Someone'), ': ', h('span', 'chat-text', m.text), h('span', 'chat-to'));
  item.append(line);
  return item;
}

/**
 * @param {ChatMessage} m
 * @param {ListContext} ctx
 * @returns {string} e.g. " (private to Sam)"
 */
function chatAudience(m, ctx) {
  if (m.to === 'room' || m.to === '') return '';
  if (m.to === 'facilitators') return ' (to facilitators)';
  const name = m.to === ctx.me.id ? ctx.me.name : nameOf(m.to);
  return name ? ` (private to ${name})` : ' (private)';
}

/**
 * @param {HearthSession} s
 * @param {Participant[]} people  admitted participants
 * @param {ListContext} ctx
 */
function renderChat(s, people, ctx) {
  const log = els.chatLog;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  const messages = s.chat.map((m, i) => ({ key: m.id ? `m:${m.id}` : `i:${i}`, item: m }));
  const created = reconcile(log, messages, createChatItem, (item, m) => {
    setText(/** @type {HTMLElement} */ (item.querySelector('.chat-to')), chatAudience(m, ctx));
    const key = item.getAttribute('data-key') || '';
    /** @type {Action[]} */
    const actions = ctx.fac && m.id
      ? [{
          key: 'delete',
          label: ['Delete', [` message from ${m.fromName || 'Someone'}`]],
          run: () => {
            if (session) session.moderate('delete_chat', { messageId: m.id });
          },
        }]
      : [];
    let box = /** @type {HTMLElement|null} */ (item.querySelector('.chat-actions'));
    if (actions.length > 0 && !box) {
      box = h('div', 'chat-actions');
      item.append(box);
    }
    if (box) renderActions(box, actions, `c:${key}:`);
  });
  if (created > 0 && nearBottom) log.scrollTop = log.scrollHeight;

  const closedForMe = !ctx.room.chatOpen && !ctx.fac;
  els.chatClosed.hidden = ctx.room.chatOpen;
  setText(els.chatClosed, ctx.fac ? 'Chat is closed for members.' : 'Chat is closed');
  els.chatText.disabled = closedForMe;
  els.chatTo.disabled = closedForMe;
  els.chatSend.disabled = closedForMe;

  // Send to: everyone, the facilitators, and the people one may write to
  // privately (facilitators may write to anyone; members to facilitators,
  // and to members when the room allows it).
  /** @type {Array<{key: string, item: {value: string, text: string}}>} */
  const options = [
    { key: 'room', item: { value: 'room', text: 'Everyone' } },
    { key: 'facilitators', item: { value: 'facilitators', text: 'Facilitators' } },
  ];
  for (const p of people) {
    if (p.id === ctx.me.id) continue;
    if (ctx.fac || isFacilitatorRole(p) || ctx.room.privateChat) {
      options.push({ key: `p:${p.id}`, item: { value: p.id, text: p.name } });
    }
  }
  const current = els.chatTo.value;
  reconcile(els.chatTo, options, (o) => {
    const opt = /** @type {HTMLOptionElement} */ (h('option'));
    opt.value = o.value;
    return opt;
  }, (opt, o) => setText(opt, o.text));
  const keep = options.some((o) => o.item.value === current) ? current : 'room';
  if (els.chatTo.value !== keep) els.chatTo.value = keep;
}

// ---- meeting: inline forms and confirmations ------------------------------------

/** @param {Inline} next */
function openInline(next) {
  inline = next;
  focusInline = true;
  render();
}

/**
 * Closes the open inline form and puts focus back on what opened it.
 * @param {boolean} [refocus]
 */
function closeInline(refocus = true) {
  const was = inline;
  inline = null;
  render();
  if (!refocus || !was) return;
  /** @type {Element|null} */
  let back = null;
  if (was.kind === 'rename-self') back = els.renameSelf;
  else if (was.kind === 'end') back = els.endMeeting;
  else back = document.querySelector(`[data-fkey="${CSS.escape(`p:${was.id}:${was.kind}`)}"]`);
  if (focusable(back)) back.focus();
}

/**
 * A small form: label, text field, "Save name" and "Cancel".
 * @param {string} id     the field's id
 * @param {string} label
 * @param {(name: string) => void} save
 * @returns {HTMLElement}
 */
function nameForm(id, label, save) {
  const form = /** @type {HTMLFormElement} */ (h('form', 'inline-form'));
  form.noValidate = true;
  const lab = /** @type {HTMLLabelElement} */ (h('label', '', label));
  lab.htmlFor = id;
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = id;
  input.type = 'text';
  input.maxLength = 40;
  input.autocomplete = 'off';
  input.spellcheck = false;
  const error = h('p', 'field-error');
  error.id = `${id}-error`;
  error.setAttribute('role', 'alert');
  error.hidden = true;
  input.setAttribute('aria-describedby', error.id);
  const saveBtn = /** @type {HTMLButtonElement} */ (h('button', 'small primary', 'Save name'));
  saveBtn.type = 'submit';
  const cancel = /** @type {HTMLButtonElement} */ (h('button', 'small', 'Cancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => closeInline());
  const row = h('div', 'inline-row');
  row.append(input, saveBtn, cancel);
  form.append(lab, row, error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = input.value.trim();
    const problem = nameProblem(name);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    save(name);
    closeInline();
  });
  return form;
}

/**
 * A confirmation: a question, a confirm button and "Cancel".
 * @param {string} question
 * @param {LabelParts} confirmLabel
 * @param {() => void} confirm
 * @returns {HTMLElement}
 */
function confirmBox(question, confirmLabel, confirm) {
  const box = h('div', 'confirm');
  const q = h('span', 'confirm-question', question);
  const yes = /** @type {HTMLButtonElement} */ (h('button', 'small danger'));
  yes.type = 'button';
  setLabel(yes, confirmLabel);
  yes.addEventListener('click', () => {
    confirm();
    closeInline();
  });
  const no = /** @type {HTMLButtonElement} */ (h('button', 'small', 'Cancel'));
  no.type = 'button';
  no.addEventListener('click', () => closeInline());
  box.append(q, ' ', yes, ' ', no);
  return box;
}

/** @param {Inline} it @returns {HTMLElement} */
function createInline(it) {
  switch (it.kind) {
    case 'rename-self':
      return nameForm('rename-self-input', 'New name', (name) => {
        if (session) session.rename(name);
      });
    case 'rename':
      return nameForm('rename-other-input', `New name for ${it.name}`, (name) => {
        if (session) session.moderate('rename', { target: it.id, name });
      });
    case 'remove':
      return confirmBox(`Remove ${it.name}?`, ['Confirm remove', [` ${it.name}`]], () => {
        if (session) session.moderate('remove', { target: it.id });
      });
    case 'end':
    default:
      return confirmBox('End the meeting for everyone?', ['Confirm end meeting'], () => {
        if (session) session.moderate('end_meeting');
      });
  }
}

/** @param {Inline} it @returns {HTMLElement|null} where it goes */
function inlineSlot(it) {
  if (it.kind === 'rename-self') return els.renameSelfSlot;
  if (it.kind === 'end') return els.endSlot;
  for (const li of els.participants.children) {
    if (li.getAttribute('data-key') === it.id) return /** @type {HTMLElement|null} */ (li.querySelector('.p-inline'));
  }
  return null;
}

/** Shows the open inline form where it belongs (creating it once), or none. */
function syncInline() {
  const slot = inline && (view === 'meeting') ? inlineSlot(inline) : null;
  if (!slot) inline = null;
  const key = inline ? `${inline.kind}:${'id' in inline ? inline.id : ''}` : '';
  if (key !== inlineKey || !inlineEl || (slot && inlineEl.parentElement !== slot)) {
    if (inlineEl) inlineEl.remove();
    inlineEl = null;
    inlineKey = key;
    if (inline && slot) {
      inlineEl = createInline(inline);
      slot.append(inlineEl);
    }
  }
  if (focusInline && inlineEl) {
    const first = inlineEl.querySelector('input, button.danger, button');
    if (first instanceof HTMLElement) first.focus();
  }
  focusInline = false;
}

// ---- render -------------------------------------------------------------------------

function render() {
  const s = session;
  if (!s || (view !== 'meeting' && view !== 'waiting')) return;
  const mark = rememberFocus();
  const room = s.room;
  setText(els.roomName, room.name);
  const waiting = view === 'waiting';
  els.tiles.hidden = waiting;
  els.side.hidden = waiting;
  for (const b of [els.mute, els.camera, els.hand]) b.hidden = waiting;
  const me = s.self;
  if (waiting || !me) {
    setText(els.guidelines, room.guidelines || 'The facilitator has not shared guidelines for this group.');
    els.renameSelf.hidden = true;
    els.muteNote.hidden = true;
    els.askUnmute.hidden = true;
    els.fac.hidden = true;
    els.timerBox.hidden = true;
    syncInline();
    restoreFocus(mark);
    return;
  }
  const people = s.participants;
  const admitted = people.filter((p) => p.status !== 'waiting');
  /** @type {ListContext} */
  const ctx = { me, room, hands: s.hands, fac: isFacilitatorRole(me) };
  if (inline && inline.kind !== 'rename-self' && !ctx.fac) inline = null;
  if (inline && inline.kind === 'rename-self' && !(ctx.fac || room.selfRename)) inline = null;

  renderTiles(s, admitted, room, ctx.hands);
  renderParticipants(admitted, ctx);
  renderWaitingList(people.filter((p) => p.status === 'waiting'), ctx);
  renderHands(ctx.hands, admitted);
  renderToolbar(s, ctx);
  renderFacControls(ctx);
  renderTimer();
  renderChat(s, admitted, ctx);
  syncInline();
  restoreFocus(mark);
}

// ---- controls ----------------------------------------------------------------------

els.mute.addEventListener('click', () => {
  if (!session) return;
  session.setMuted(!session.muted);
  render();
});

els.camera.addEventListener('click', () => {
  if (!session) return;
  session.setCamera(!session.cameraOn);
  render();
});

els.hand.addEventListener('click', () => {
  const s = session;
  if (!s) return;
  if (s.hands.includes(s.selfId)) s.lowerHand();
  else s.raiseHand();
});

els.renameSelf.addEventListener('click', () => {
  if (inline && inline.kind === 'rename-self') closeInline();
  else openInline({ kind: 'rename-self' });
});

els.askUnmuteYes.addEventListener('click', () => {
  askUnmuteOpen = false;
  if (session && !session.setMuted(false)) setStatus('No microphone is available.');
  render();
  els.mute.focus();
});

els.askUnmuteNo.addEventListener('click', () => {
  askUnmuteOpen = false;
  render();
  els.mute.focus();
});

els.leave.addEventListener('click', () => {
  const s = session;
  session = null;
  if (s) s.leave();
  endMeeting('You left the meeting.', '');
});

els.rejoin.addEventListener('click', () => {
  location.reload();
});

/**
 * @param {string} action
 * @param {Record<string, unknown>} [fields]
 */
function moderate(action, fields) {
  if (session) session.moderate(action, fields);
}

els.admitAll.addEventListener('click', () => moderate('admit_all'));
els.lock.addEventListener('click', () => moderate(els.lock.textContent === 'Unlock room' ? 'unlock' : 'lock'));
els.nextSpeaker.addEventListener('click', () => moderate('next_speaker'));
els.muteAll.addEventListener('click', () => moderate('mute_all'));
els.chatToggle.addEventListener('click', () => moderate(els.chatToggle.textContent === 'Open chat' ? 'open_chat' : 'close_chat'));
els.suspend.addEventListener('click', () => moderate('suspend'));
els.resume.addEventListener('click', () => moderate('resume'));
els.endMeeting.addEventListener('click', () => {
  if (inline && inline.kind === 'end') closeInline();
  else openInline({ kind: 'end' });
});

els.timerToggle.addEventListener('click', () => {
  const s = session;
  if (!s) return;
  if (els.timerToggle.textContent === 'Stop share timer') {
    s.moderate('stop_timer');
    return;
  }
  const minutes = Number(els.shareMinutes.value);
  let seconds = Number.isFinite(minutes) && minutes > 0 ? Math.round(minutes * 60) : s.room.shareSeconds;
  seconds = Math.min(3600, Math.max(10, seconds));
  s.moderate('start_timer', { seconds, autoMute: els.timerAutoMute.checked });
});
els.shareMinutes.addEventListener('input', () => { shareMinutesEdited = true; });
els.timerAutoMute.addEventListener('change', () => { autoMuteEdited = true; });

const onMode = () => {
  const s = session;
  if (!s) return;
  const mode = els.mode.value === 'moderated' ? 'moderated' : 'open';
  if (mode !== s.room.mode) s.moderate('settings', { settings: { mode } });
};
els.mode.addEventListener('change', onMode);

for (const box of settingBoxes) {
  box.addEventListener('change', () => {
    const key = box.getAttribute('data-setting') || '';
    if (key) moderate('settings', { settings: { [key]: box.checked } });
  });
}

els.setGuidelines.addEventListener('input', () => { guidelinesEdited = true; });
els.saveGuidelines.addEventListener('click', () => {
  const text = els.setGuidelines.value.trim();
  if (Array.from(text).length > 2000) {
    setStatus('Guidelines can be at most 2000 characters.');
    return;
  }
  moderate('settings', { settings: { guidelines: text } });
  guidelinesEdited = false;
  setStatus('Guidelines saved.', 5000);
});

els.chatForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const s = session;
  if (!s) return;
  const text = els.chatText.value.trim();
  if (text === '') {
    els.chatText.focus();
    return;
  }
  if (Array.from(text).length > 500) {
    setStatus('A message can be at most 500 characters.');
    return;
  }
  if (s.sendChat(text, els.chatTo.value || 'room')) els.chatText.value = '';
  else setStatus('The message could not be sent. Please check your connection.');
  els.chatText.focus();
});

els.chatText.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
    e.preventDefault();
    els.chatForm.requestSubmit();
  }
});

// Escape closes an open inline form or confirmation.
els.meeting.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && inline) {
    e.preventDefault();
    closeInline();
  }
});

// Media that was blocked from playing (autoplay rules) gets another chance on
// the next click or key press.
const retryPlayback = () => {
  if (view !== 'meeting') return;
  for (const v of els.tiles.querySelectorAll('video')) {
    const video = /** @type {HTMLVideoElement} */ (v);
    if (video.srcObject && video.paused) play(video);
  }
};
document.addEventListener('click', retryPlayback);
document.addEventListener('keydown', retryPlayback);

// ---- start ----------------------------------------------------------------------

show('prejoin');
const savedName = load(NAME_KEY);
if (savedName && !els.name.value) els.name.value = savedName;
