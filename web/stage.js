// The stage: one tile per admitted person with their video (or their
// initials when the camera is off), the muted, hand and speaking badges,
// and a border while they talk (data-talking="true"). Camera and mute come
// from the server's records, one's own included. The tiles fill the stage
// (layout.js), a page at a time, or one speaker large (Speaker view).

import { els, h, setText, play, hasLiveVideo } from './dom.js';
import { page, render } from './page.js';
import { gridFor, pageSize } from './layout.js';
import { onMenuItem } from './menu.js';

/** @typedef {import('./protocol.js').HearthSession} HearthSession */
/** @typedef {import('./protocol.js').Participant} Participant */
/** @typedef {import('./page.js').ListContext} ListContext */

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
 * Shows a publisher's stream in their tile, if it is there yet.
 * @param {string} id
 * @param {MediaStream} stream
 */
export function attachRemote(id, stream) {
  const video = remoteVideo(id);
  if (!video) return; // renderTiles attaches it when the tile appears
  if (video.srcObject !== stream) video.srcObject = stream;
  play(video);
}

/** @param {string} id  the publisher whose stream went away */
export function detachRemote(id) {
  const video = remoteVideo(id);
  if (video) video.srcObject = null;
}

/** Removes every tile and lets go of their streams. */
export function clearTiles() {
  for (const video of els.tiles.querySelectorAll('video')) video.srcObject = null;
  els.tiles.replaceChildren();
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

/** Grid view or one speaker large (Speaker view). @type {'grid'|'speaker'} */
let mode = 'grid';
/** The page of tiles shown (grid view), from 0. */
let pageIndex = 0;
/** The tiles shown, in order, for the layout. @type {HTMLElement[]} */
let shown = [];

/**
 * The person Speaker view shows: someone talking, else the one called on
 * to speak, else the first other person.
 * @param {Participant[]} people
 * @param {string} selfId
 * @param {ListContext} ctx
 * @returns {string}
 */
function mainSpeaker(people, selfId, ctx) {
  const others = people.filter((p) => p.id !== selfId);
  const talking = others.find((p) => ctx.talking.has(p.id));
  if (talking) return talking.id;
  if (ctx.room.speaker && people.some((p) => p.id === ctx.room.speaker)) return ctx.room.speaker;
  return (others[0] || people[0] || { id: '' }).id;
}

/**
 * @param {HearthSession} s
 * @param {Participant[]} people  admitted participants, as the server says them
 * @param {ListContext} ctx
 */
export function renderTiles(s, people, ctx) {
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
  /** @type {Element|null} */
  let prev = null;
  for (const p of people) {
    const isSelf = p.id === selfId;
    let tile = tileFor(p.id);
    if (!tile) tile = createTile(p, isSelf);
    /** @type {Element|null} */
    const wanted = prev ? prev.nextElementSibling : els.tiles.firstElementChild;
    if (wanted !== tile) els.tiles.insertBefore(tile, wanted);
    prev = tile;

    const video = /** @type {HTMLVideoElement} */ (tile.querySelector('video'));
    const stream = isSelf ? s.localStream : s.remoteStream(p.id) || null;
    if (stream && video.srcObject !== stream) {
      video.srcObject = stream;
      play(video);
    } else if (stream && video.paused) {
      play(video);
    }
    const cameraOn = p.camera && hasLiveVideo(stream);
    video.classList.toggle('is-hidden', !cameraOn);
    const avatar = /** @type {HTMLElement} */ (tile.querySelector('.avatar'));
    avatar.hidden = cameraOn;
    setText(avatar, initials(p.name));
    setText(/** @type {HTMLElement} */ (tile.querySelector('.tile-name')), isSelf ? `${p.name} (you)` : p.name);
    /** @type {HTMLElement} */ (tile.querySelector('.tile-muted')).hidden = !p.muted;
    /** @type {HTMLElement} */ (tile.querySelector('.tile-hand')).hidden = !ctx.hands.includes(p.id);
    /** @type {HTMLElement} */ (tile.querySelector('.tile-speaking')).hidden = ctx.room.speaker !== p.id;
    tile.classList.toggle('is-muted', p.muted);
    tile.classList.toggle('is-speaking', ctx.room.speaker === p.id);
    if (ctx.talking.has(p.id)) tile.setAttribute('data-talking', 'true');
    else tile.removeAttribute('data-talking');
  }
  choosePage(people, selfId, ctx);
}

/**
 * Marks the tiles of this page (or the main speaker) as shown; the others
 * stay in the page, out of sight, so their sound still plays.
 * @param {Participant[]} people
 * @param {string} selfId
 * @param {ListContext} ctx
 */
function choosePage(people, selfId, ctx) {
  const tiles = /** @type {HTMLElement[]} */ ([...els.tiles.children]);
  const box = els.tiles.getBoundingClientRect();
  let pages = 1;
  if (mode === 'speaker') {
    const id = mainSpeaker(people, selfId, ctx);
    shown = tiles.filter((t) => t.getAttribute('data-tile-id') === id);
  } else {
    const per = pageSize(box.width, box.height);
    pages = Math.max(1, Math.ceil(tiles.length / per));
    pageIndex = Math.min(pageIndex, pages - 1);
    shown = tiles.slice(pageIndex * per, pageIndex * per + per);
  }
  for (const t of tiles) t.classList.toggle('off-page', !shown.includes(t));
  els.pager.hidden = pages <= 1;
  setText(els.pageLabel, `Page ${pageIndex + 1} of ${pages}`);
  els.pagePrev.disabled = pageIndex === 0;
  els.pageNext.disabled = pageIndex >= pages - 1;
  setText(els.viewToggle, mode === 'grid' ? 'Speaker view' : 'Grid view');
  layoutTiles();
}

/** Sizes the shown tiles to fill the stage (again on every resize). */
function layoutTiles() {
  const box = els.tiles.getBoundingClientRect();
  if (shown.length === 0 || box.width === 0 || box.height === 0) return;
  const g = gridFor(shown.length, box.width, box.height, 12);
  els.tiles.style.setProperty('--cols', String(g.cols));
  els.tiles.style.setProperty('--tile-w', `${g.width}px`);
  els.tiles.style.setProperty('--tile-h', `${g.height}px`);
}

/**
 * Media that was blocked from playing (autoplay rules) gets another chance
 * on the next click or key press.
 */
export function initStage() {
  new ResizeObserver(() => {
    if (page.view === 'meeting') render();
  }).observe(els.tiles);
  onMenuItem(els.viewToggle, () => {
    mode = mode === 'grid' ? 'speaker' : 'grid';
    render();
  });
  els.pagePrev.addEventListener('click', () => {
    pageIndex = Math.max(0, pageIndex - 1);
    render();
  });
  els.pageNext.addEventListener('click', () => {
    pageIndex++;
    render();
  });
  const retryPlayback = () => {
    if (page.view !== 'meeting') return;
    for (const v of els.tiles.querySelectorAll('video')) {
      const video = /** @type {HTMLVideoElement} */ (v);
      if (video.srcObject && video.paused) play(video);
    }
  };
  document.addEventListener('click', retryPlayback);
  document.addEventListener('keydown', retryPlayback);
}
