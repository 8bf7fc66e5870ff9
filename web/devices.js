// The camera and microphone before the meeting: the Camera and
// Microphone switches, the Camera source and Microphone source pickers,
// the preview and the level meter. Before joining, the switches open and
// close the devices themselves (a switch that is off never opens its
// device); once joined (the waiting room), they say what the server's
// record of this person says and ask the session to change it, like the
// meeting's toolbar.

import { els, h, hasLiveVideo, play, reconcile, setText } from './dom.js';
import { page, setStatus } from './page.js';
import { openTrack } from './media.js';

/** @typedef {'audio'|'video'} Kind */

/** The devices chosen in the pickers ("" for the default). */
const chosen = { audio: '', video: '' };

/** Stops the level meter. @type {(() => void)|null} */
let stopMeter = null;
/** The microphone track the meter listens to. @type {MediaStreamTrack|null} */
let meterTrack = null;
/** Device changes, one after the other (a click waits for the one before). */
let queue = Promise.resolve();

/**
 * Runs a device change after those asked for before it.
 * @param {() => Promise<void>} change
 * @returns {Promise<void>}
 */
function inTurn(change) {
  queue = queue.then(change, change);
  return queue;
}

/** @returns {MediaStream} the local tracks, which the session takes over on joining */
function stream() {
  if (!page.localStream) page.localStream = new MediaStream();
  return page.localStream;
}

/** @param {Kind} kind @returns {MediaStreamTrack[]} */
function live(kind) {
  const tracks = kind === 'audio' ? stream().getAudioTracks() : stream().getVideoTracks();
  return tracks.filter((t) => t.readyState === 'live');
}

/**
 * Before joining: opens the device of kind (the chosen one) or stops it.
 * @param {Kind} kind
 * @param {boolean} on
 * @returns {Promise<boolean>} whether it is as asked
 */
async function setLocal(kind, on) {
  for (const t of live(kind)) {
    t.stop();
    stream().removeTrack(t);
  }
  if (!on) return true;
  const track = await openTrack(kind, chosen[kind]);
  if (!track) return false;
  stream().addTrack(track);
  return true;
}

/** @param {Kind} kind @returns {boolean} whether the switch of kind is on */
function isOn(kind) {
  const s = page.session;
  if (s && s.joined) return kind === 'audio' ? !s.muted : s.cameraOn;
  return live(kind).length > 0;
}

/**
 * Turns the camera or microphone on or off, from a switch.
 * @param {Kind} kind
 */
async function flip(kind) {
  const on = !isOn(kind);
  const s = page.session;
  let ok;
  if (s && s.joined) ok = kind === 'audio' ? await s.setMuted(!on) : await s.setCamera(on);
  else ok = await setLocal(kind, on);
  if (!ok) setStatus(kind === 'audio' ? 'No microphone could be opened. You can still listen.' : 'No camera could be opened. You can still join without it.');
  await listDevices();
  renderDevices();
}

/**
 * Uses another device of kind (from its picker).
 * @param {Kind} kind
 * @param {string} deviceId
 */
async function pick(kind, deviceId) {
  chosen[kind] = deviceId;
  const s = page.session;
  if (s) await s.useDevice(kind, deviceId);
  else if (live(kind).length > 0) await setLocal(kind, true);
  renderDevices();
}

/** Fills the pickers with the devices the browser lists (names appear once one was allowed). */
async function listDevices() {
  const md = navigator.mediaDevices;
  if (!md || typeof md.enumerateDevices !== 'function') return;
  /** @type {MediaDeviceInfo[]} */
  let all = [];
  try {
    all = await md.enumerateDevices();
  } catch {
    return;
  }
  for (const [kind, select, what] of /** @type {const} */ ([['video', els.cameraSource, 'camera'], ['audio', els.micSource, 'microphone']])) {
    const devices = all.filter((d) => d.kind === (kind === 'video' ? 'videoinput' : 'audioinput') && d.deviceId !== 'default');
    const items = [{ key: '', item: { value: '', text: `Default ${what}` } }];
    devices.forEach((d, i) => items.push({ key: d.deviceId, item: { value: d.deviceId, text: d.label || `${what[0].toUpperCase()}${what.slice(1)} ${i + 1}` } }));
    reconcile(select, items, (o) => {
      const opt = /** @type {HTMLOptionElement} */ (h('option'));
      opt.value = o.value;
      return opt;
    }, (opt, o) => setText(opt, o.text));
    const inUse = live(kind)[0];
    const current = chosen[kind] || (inUse && inUse.getSettings().deviceId) || '';
    select.value = items.some((o) => o.item.value === current) ? current : '';
  }
}

/**
 * Opens the camera and microphone for the preview (both switches start
 * on), wires the switches and pickers.
 * @returns {Promise<void>} settles once the devices are opened (or refused)
 */
export function initDevices() {
  els.cameraSwitch.addEventListener('click', () => inTurn(() => flip('video')));
  els.micSwitch.addEventListener('click', () => inTurn(() => flip('audio')));
  els.cameraSource.addEventListener('change', () => inTurn(() => pick('video', els.cameraSource.value)));
  els.micSource.addEventListener('change', () => inTurn(() => pick('audio', els.micSource.value)));
  const md = navigator.mediaDevices;
  if (md && typeof md.addEventListener === 'function') md.addEventListener('devicechange', () => listDevices());
  if (!md || typeof md.getUserMedia !== 'function') {
    els.mediaNote.textContent =
      'This browser cannot use a camera or microphone here (it needs a secure https:// link). You can still join to listen and watch.';
    els.cameraSwitch.disabled = true;
    els.micSwitch.disabled = true;
    renderDevices();
    return Promise.resolve();
  }
  return inTurn(async () => {
    await Promise.all([setLocal('video', true), setLocal('audio', true)]);
    await listDevices();
    renderDevices();
  });
}

/**
 * Opens the camera again, if it is open, as it is chosen (blur.js: the
 * background blur was turned on or off): the preview and, once joined,
 * the published track show the new picture.
 * @returns {Promise<void>}
 */
export function refreshCamera() {
  return inTurn(() => pick('video', chosen.video));
}

/** @returns {Promise<void>} settles when the device changes asked for so far are done */
export function devicesSettled() {
  return queue;
}

/**
 * Passes the pickers' choices to a new session, for devices opened
 * later; those already open are the chosen ones.
 * @param {import('./protocol.js').HearthSession} s
 */
export function handDevicesTo(s) {
  for (const kind of /** @type {const} */ (['audio', 'video'])) {
    if (chosen[kind] && live(kind).length === 0) s.useDevice(kind, chosen[kind]);
  }
}

/** Draws the switches, the note, the preview and the meter from the tracks (or the server's record). */
export function renderDevices() {
  const cam = isOn('video');
  const mic = isOn('audio');
  els.cameraSwitch.setAttribute('aria-checked', String(cam));
  els.micSwitch.setAttribute('aria-checked', String(mic));
  const joined = !!(page.session && page.session.joined);
  let note;
  if (cam && mic) note = 'Your camera and microphone are on. Only you can see this preview.';
  else if (cam) note = 'Your camera is on and your microphone is off: you will join to listen.';
  else if (mic) note = 'Your camera is off: others will see your initials. Your microphone is on.';
  else note = 'Your camera and microphone are off: you will join to listen and watch.';
  if (joined && mic) note += ' Others hear you once you are let in.';
  setText(els.mediaNote, note);

  const s = stream();
  const showVideo = hasLiveVideo(s) && live('video').some((t) => t.enabled);
  if (showVideo) {
    if (els.preview.srcObject !== s) els.preview.srcObject = s;
    play(els.preview);
  } else if (els.preview.srcObject) {
    els.preview.srcObject = null;
  }
  els.preview.classList.toggle('is-hidden', !showVideo);
  els.previewAvatar.hidden = showVideo;

  const want = page.view !== 'meeting' && page.view !== 'ended' ? live('audio')[0] || null : null;
  if (want !== meterTrack) {
    if (stopMeter) stopMeter();
    stopMeter = null;
    meterTrack = want;
    if (want) stopMeter = startMeter(new MediaStream([want]));
  }
}

/**
 * Puts the camera and microphone panel where the view shows it: beside the
 * name form before joining, in the waiting screen while waiting.
 */
export function placeDevices() {
  const home = page.view === 'waiting' ? els.waitingMedia : els.prejoinGrid;
  if (els.mediaSetup.parentElement !== home) home.prepend(els.mediaSetup);
  renderDevices();
}

/** Ends the preview and its level meter (the meeting shows the camera in its tile). */
export function stopPreview() {
  if (stopMeter) stopMeter();
  stopMeter = null;
  meterTrack = null;
  els.preview.srcObject = null;
}

/** Stops every local track (the meeting ended for this person). */
export function releaseDevices() {
  stopPreview();
  for (const t of stream().getTracks()) t.stop();
}

/**
 * Drives the "Microphone level" meter from an AnalyserNode.
 * @param {MediaStream} s  a stream with one microphone track
 * @returns {() => void} stops the meter
 */
function startMeter(s) {
  const meter = els.micLevel;
  meter.value = 0;
  const AC = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (!AC) return () => {};
  /** @type {AudioContext} */
  let ctx;
  try {
    ctx = new AC();
  } catch {
    return () => {};
  }
  const source = ctx.createMediaStreamSource(s);
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
