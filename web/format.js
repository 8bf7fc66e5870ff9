// The meeting format's segment (docs/formats.md): above the tiles, the
// current segment's title, its place ("Segment 2 of 6") and its text; for
// members, what they may do now ("Sharing: raise your hand to share");
// for facilitators, Previous segment and Next segment; in the last
// segment, the room's contributions link. Everything drawn here is the
// server's last room record: the server enforces the segment's rules.

import { setText } from './dom.js';
import { page, setStatus } from './page.js';

/** @typedef {import('./page.js').ListContext} ListContext */
/** @typedef {import('./roomstate.js').Segment} Segment */

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return /** @type {T} */ (el);
}

const box = byId('segment');
const title = byId('segment-title');
const place = byId('segment-place');
const hint = byId('segment-hint');
const text = byId('segment-text');
const prev = /** @type {HTMLButtonElement} */ (byId('segment-prev'));
const next = /** @type {HTMLButtonElement} */ (byId('segment-next'));
const contributions = byId('contributions');
const contributionsLink = /** @type {HTMLAnchorElement} */ (byId('contributions-link'));

/** The segment last drawn ("" before any), to announce a change once. */
let shown = '';

export function initFormat() {
  prev.addEventListener('click', () => page.session?.moveSegment('previous'));
  next.addEventListener('click', () => page.session?.moveSegment('next'));
}

/**
 * What a member may do now in seg, in words.
 * @param {Segment} seg
 * @param {ListContext} ctx
 * @returns {string}
 */
export function segmentHint(seg, ctx) {
  switch (seg.speaking) {
    case 'facilitators':
      return `${seg.title}: facilitators are speaking; your microphone stays off`;
    case 'called_on':
      if (ctx.room.speaker === ctx.me.id) return `${seg.title}: you have the floor, unmute to share`;
      if (ctx.hands.includes(ctx.me.id)) return `${seg.title}: your hand is raised; wait to be called on`;
      return `${seg.title}: raise your hand to share`;
    default:
      return `${seg.title}: anyone may unmute and speak`;
  }
}

/** @param {ListContext} ctx */
export function renderFormat(ctx) {
  const f = ctx.room.format;
  box.hidden = !f || page.view !== 'meeting';
  if (!f) {
    shown = '';
    return;
  }
  const n = f.segments.length;
  const i = Math.min(Math.max(ctx.room.segment, 0), n - 1);
  const seg = f.segments[i];
  setText(title, seg.title);
  setText(place, `Segment ${i + 1} of ${n}`);
  setText(text, seg.text);
  text.hidden = seg.text === '';
  let words;
  if (ctx.fac) {
    words = i < n - 1 ? `Next: ${f.segments[i + 1].title}` : 'This is the last segment.';
  } else {
    words = `${segmentHint(seg, ctx)}.${ctx.room.chatOpen ? '' : ' Chat is closed.'}`;
  }
  setText(hint, words);
  prev.hidden = !ctx.fac || i === 0;
  next.hidden = !ctx.fac || i === n - 1;
  const url = ctx.room.contributionsUrl;
  const showLink = i === n - 1 && /^https?:\/\//i.test(url);
  contributions.hidden = !showLink;
  if (showLink && contributionsLink.href !== url) contributionsLink.href = url;
  if (showLink) setText(contributionsLink, url);
  const key = `${i}:${seg.title}`;
  if (shown !== '' && shown !== key) setStatus(ctx.fac ? `Now: ${seg.title}` : `Now: ${words}`);
  shown = key;
}
