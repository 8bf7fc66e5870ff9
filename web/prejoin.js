// Before joining: the camera and microphone preview with its level meter,
// and the name form (with a "Passcode" field once the server asks for the
// room's passcode). In the waiting room: the conversation with the
// facilitators, if one of them wrote.

import { els, h, hasLiveVideo, play, reconcile } from './dom.js';
import { page, setStatus, show } from './page.js';

/** @typedef {import('./page.js').View} View */
/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./protocol.js').ChatMessage} ChatMessage */

/** Stops the level meter, while the preview runs. @type {(() => void)|null} */
let stopMeter = null;

/** @param {string} name @returns {string} an error message, or "" if the name is fine */
export function nameProblem(name) {
  if (name.length === 0) return 'Please enter your name.';
  if (Array.from(name).length > 40) return 'Please use at most 40 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Please use only letters, numbers, spaces and punctuation.';
  return '';
}

/**
 * Asks for the camera and microphone, shows the preview and wires the name
 * form: a valid name, once the media question is settled, calls join.
 * @param {string} roomId  the room id from the link ("" when it has none)
 * @param {(name: string) => void} join
 */
export function initPrejoin(roomId, join) {
  const mediaReady = openMedia().then((stream) => {
    page.localStream = stream;
    if (hasLiveVideo(stream)) {
      els.preview.srcObject = stream;
      play(els.preview);
    } else {
      els.preview.classList.add('is-hidden');
      els.previewAvatar.hidden = false;
    }
    if (page.view === 'prejoin' || page.view === 'joining') stopMeter = startMeter(stream);
    return stream;
  });

  els.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (page.view !== 'prejoin') return;
    const name = els.name.value.trim();
    const problem = nameProblem(name);
    showNameError(problem);
    if (problem) {
      els.name.focus();
      return;
    }
    if (passcode && !passcode.field.hidden && passcodeForJoin() === '') {
      showPasscodeError('Please enter the passcode.', true);
      passcode.input.focus();
      return;
    }
    if (!roomId) {
      setStatus('This link has no meeting in it. Please check the link you were given.');
      return;
    }
    show('joining');
    setStatus('Connecting…');
    await mediaReady;
    if (/** @type {View} */ (page.view) !== 'joining') return; // left or failed meanwhile
    join(name);
  });

  els.name.addEventListener('input', () => {
    if (!els.nameError.hidden && nameProblem(els.name.value.trim()) === '') showNameError('');
  });
}

// ---- the room's passcode ----------------------------------------------------------

/** The passcode field, built when the server first asks for it. @type {{field: HTMLElement, input: HTMLInputElement, error: HTMLElement}|null} */
let passcode = null;

/** Builds the "Passcode" field in the name form, before the Join button, once. */
function passcodeBox() {
  if (passcode) return passcode;
  const field = h('div', 'passcode-field');
  const label = /** @type {HTMLLabelElement} */ (h('label', '', 'Passcode'));
  label.htmlFor = 'passcode';
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = 'passcode';
  input.name = 'passcode';
  input.type = 'password';
  input.maxLength = 64;
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('aria-describedby', 'passcode-hint passcode-error');
  const hint = h('p', 'hint', 'The group shares its passcode with its members.');
  hint.id = 'passcode-hint';
  const error = h('p', 'field-error');
  error.id = 'passcode-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  field.append(label, input, hint, error);
  els.form.insertBefore(field, els.join);
  input.addEventListener('input', () => {
    if (input.getAttribute('aria-invalid')) showPasscodeError('', false);
  });
  passcode = { field, input, error };
  return passcode;
}

/** @returns {string} the passcode typed in, trimmed ("" when none was asked for) */
export function passcodeForJoin() {
  return passcode ? passcode.input.value.trim() : '';
}

/**
 * @param {string} message
 * @param {boolean} invalid whether the field's value is at fault
 */
function showPasscodeError(message, invalid) {
  if (!passcode) return;
  passcode.error.textContent = message;
  passcode.error.hidden = message === '';
  if (invalid) passcode.input.setAttribute('aria-invalid', 'true');
  else passcode.input.removeAttribute('aria-invalid');
}

/**
 * Handles a join the server refused for the room's passcode
 * (passcode_required, bad_passcode): back to the form, with the
 * "Passcode" field and what to do, so that Join tries again with it.
 * @param {string} code the error code
 * @returns {boolean} whether the refusal was about the passcode
 */
export function askPasscode(code) {
  if (code !== 'passcode_required' && code !== 'bad_passcode') return false;
  const p = passcodeBox();
  p.field.hidden = false;
  show('prejoin');
  setStatus('');
  if (code === 'bad_passcode') {
    showPasscodeError('That passcode is not right. Please check it and try again.', true);
    p.input.select();
  } else {
    showPasscodeError('This meeting needs a passcode. Please enter the passcode you were given.', false);
  }
  p.input.focus();
  return true;
}

/** Ends the preview and its level meter (the meeting shows the camera from now on). */
export function stopPreview() {
  if (stopMeter) stopMeter();
  stopMeter = null;
  els.preview.srcObject = null;
}

/** @param {string} message */
function showNameError(message) {
  els.nameError.textContent = message;
  els.nameError.hidden = message === '';
  if (message) els.name.setAttribute('aria-invalid', 'true');
  else els.name.removeAttribute('aria-invalid');
}

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

// ---- the waiting room's conversation with the facilitators -----------------------

/** @type {{box: HTMLElement, log: HTMLElement, form: HTMLFormElement, input: HTMLInputElement}|null} */
let talk = null;

/** Builds the conversation's section in the waiting screen, once. */
function talkBox() {
  if (talk) return talk;
  const box = h('section', 'waiting-talk');
  box.setAttribute('aria-labelledby', 'waiting-talk-heading');
  const heading = h('h3', '', 'Messages from the facilitators');
  heading.id = 'waiting-talk-heading';
  const log = h('div', 'chat-log');
  log.id = 'waiting-talk-log';
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  const form = /** @type {HTMLFormElement} */ (h('form', 'inline-form'));
  form.noValidate = true;
  const label = /** @type {HTMLLabelElement} */ (h('label', '', 'Reply to the facilitators'));
  label.htmlFor = 'waiting-reply';
  const input = /** @type {HTMLInputElement} */ (h('input'));
  input.id = 'waiting-reply';
  input.type = 'text';
  input.maxLength = 500;
  input.autocomplete = 'off';
  const send = /** @type {HTMLButtonElement} */ (h('button', 'small primary', 'Send reply'));
  send.type = 'submit';
  const row = h('div', 'inline-row');
  row.append(input, send);
  form.append(label, row);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text === '' || !page.session) return;
    if (Array.from(text).length > 500) {
      setStatus('A message can be at most 500 characters.');
      return;
    }
    if (page.session.sendChat(text, 'facilitators')) input.value = '';
    else setStatus('The message could not be sent. Please check your connection.');
    input.focus();
  });
  box.append(heading, log, form);
  box.hidden = true;
  els.waiting.append(box);
  talk = { box, log, form, input };
  return talk;
}

/**
 * Shows what a facilitator wrote to this person while they wait, and
 * their answers; the reply box appears once a facilitator has written
 * (the server allows answers only then, and only to the facilitators).
 * @param {HearthSession} s
 */
export function renderWaitingTalk(s) {
  const messages = s.chat;
  if (messages.length === 0 && !talk) return;
  const t = talkBox();
  const me = s.selfId;
  t.box.hidden = messages.length === 0;
  t.form.hidden = !messages.some((m) => m.to === me && m.from !== me);
  reconcile(t.log, messages.map((m, i) => ({ key: m.id ? `m:${m.id}` : `i:${i}`, item: m })), (/** @type {ChatMessage} */ m) => {
    const line = h('p', 'chat-line');
    line.append(h('span', 'chat-from', m.from === me ? 'You' : m.fromName || 'A facilitator'), ': ', h('span', 'chat-text', m.text));
    return line;
  }, () => {});
}
