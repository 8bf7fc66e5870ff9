/*
 * Browser client
 * ==============
 *
 * Hearth's browser client is three static files, embedded in the server
 * binary (web/embed.go) and loaded without a build step:
 *
 * - index.html   the single page, served for /r/<room-id>. It holds the three
 *                views (pre-join, meeting, ended) and a polite live status
 *                region; no inline script or style (the page's CSP forbids it).
 * - protocol.js  HearthSession: the signaling WebSocket (docs/protocol.md),
 *                the room's participant list kept in event order, and the two
 *                peer connections ("pub": we offer our microphone and camera;
 *                "sub": the server offers everyone else's media). It never
 *                touches the page and reports everything as events.
 * - ui.js        this file: camera/microphone preview and level meter, the
 *                name form, the tile grid, the participants list, the toolbar,
 *                and the identity token kept in sessionStorage per room so a
 *                reload in the same tab comes back as the same participant.
 * - app.css      the styles.
 *
 * The room id is the last segment of the page path; a facilitator link adds
 * the key in the fragment (#f=<key>), which is sent only inside `join`.
 * Names are shown on the page but never written to the console.
 */

import { HearthSession, wsURL } from './protocol.js';

/** @typedef {import('./protocol.js').Participant} Participant */

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
  tiles: $('tiles'),
  participants: $('participants'),
  mute: /** @type {HTMLButtonElement} */ ($('mute')),
  camera: /** @type {HTMLButtonElement} */ ($('camera')),
  leave: /** @type {HTMLButtonElement} */ ($('leave')),
  ended: $('ended'),
  endedMessage: $('ended-message'),
  endedDetail: $('ended-detail'),
  rejoin: /** @type {HTMLButtonElement} */ ($('rejoin')),
};

/** @type {MediaStream|null} */
let localStream = null;
/** @type {HearthSession|null} */
let session = null;
/** @type {'prejoin'|'joining'|'meeting'|'ended'} */
let view = 'prejoin';
/** @type {(() => void)|null} */
let stopMeter = null;

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

/** @param {'prejoin'|'joining'|'meeting'|'ended'} next */
function show(next) {
  view = next;
  els.prejoin.hidden = !(next === 'prejoin' || next === 'joining');
  els.meeting.hidden = next !== 'meeting';
  els.ended.hidden = next !== 'ended';
  els.join.disabled = next === 'joining';
  els.name.readOnly = next === 'joining';
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
  const mine = (/** @type {(e: any) => void} */ fn) => (/** @type {Event} */ e) => {
    if (session === s) fn(e);
  };

  s.addEventListener('welcome', mine((e) => {
    const { identity, room } = e.detail;
    if (identity) store(IDENTITY_KEY, identity);
    store(NAME_KEY, name);
    els.roomName.textContent = room && room.name ? room.name : '';
    if (view !== 'meeting') enterMeeting();
    setStatus('You joined the meeting.', 5000);
    render();
  }));
  s.addEventListener('participants', mine(() => render()));
  s.addEventListener('streamadded', mine((e) => {
    attachRemote(e.detail.participantId, e.detail.stream);
    render();
  }));
  s.addEventListener('streamremoved', mine((e) => {
    const video = remoteVideo(e.detail.participantId);
    if (video) video.srcObject = null;
    render();
  }));
  s.addEventListener('identityrejected', mine(() => store(IDENTITY_KEY, null)));
  s.addEventListener('reconnecting', mine(() => setStatus('Reconnecting to the meeting…')));
  s.addEventListener('servererror', mine((e) => {
    const { message, beforeWelcome } = e.detail;
    setStatus(message);
    if (beforeWelcome && view === 'joining') {
      s.close();
      session = null;
      show('prejoin');
      els.join.focus();
    }
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
    if (byeReason === 'shutdown') {
      endMeeting('The meeting server is shutting down.', 'The meeting has ended for now. You can try to rejoin in a moment.');
    } else if (byeReason === 'left') {
      endMeeting('You left the meeting.', '');
    } else {
      endMeeting('The connection to the meeting was lost.', 'Check your internet connection, then rejoin.');
    }
  }));
  s.connect();
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
 */
function endMeeting(title, detail) {
  if (stopMeter) stopMeter();
  stopMeter = null;
  for (const video of els.tiles.querySelectorAll('video')) video.srcObject = null;
  els.tiles.replaceChildren();
  els.participants.replaceChildren();
  els.preview.srcObject = null;
  if (localStream) for (const t of localStream.getTracks()) t.stop();
  show('ended');
  setStatus('');
  els.endedMessage.textContent = title;
  els.endedDetail.textContent = detail;
  els.endedDetail.hidden = detail === '';
  els.endedMessage.focus();
}

// ---- meeting: tiles, list, toolbar -------------------------------------------

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
  label.append(name, muted);
  tile.append(video, avatar, label);
  return tile;
}

function render() {
  const s = session;
  if (!s || view !== 'meeting') return;
  const people = s.participants;
  const selfId = s.selfId;

  // Tiles, keyed by participant id, in room order.
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
    avatar.textContent = initials(p.name);
    /** @type {HTMLElement} */ (tile.querySelector('.tile-name')).textContent = isSelf ? `${p.name} (you)` : p.name;
    /** @type {HTMLElement} */ (tile.querySelector('.tile-muted')).hidden = !p.muted;
    tile.classList.toggle('is-muted', p.muted);
  }

  // Participants list.
  const items = people.map((p) => {
    const li = h('li', 'participant');
    li.setAttribute('data-entry-id', p.id);
    li.append(h('span', 'p-name', p.name));
    if (p.id === selfId) li.append(' ', h('span', 'p-you', '(you)'));
    if (p.role === 'facilitator') li.append(' ', h('span', 'badge p-role', 'facilitator'));
    if (p.muted) li.append(' ', h('span', 'badge p-muted', 'muted'));
    return li;
  });
  els.participants.replaceChildren(...items);

  // Toolbar.
  els.mute.textContent = s.muted ? 'Unmute' : 'Mute';
  els.mute.disabled = !s.hasAudio;
  els.camera.textContent = s.cameraOn ? 'Stop camera' : 'Start camera';
  els.camera.disabled = !s.hasVideo;
}

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

els.leave.addEventListener('click', () => {
  const s = session;
  session = null;
  if (s) s.leave();
  endMeeting('You left the meeting.', '');
});

els.rejoin.addEventListener('click', () => {
  location.reload();
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
