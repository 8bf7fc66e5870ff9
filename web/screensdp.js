// Screen share on the wire (docs/protocol.md, "Screen share"): how a
// shared screen is told apart from a camera in SDP. No page access.
//
// - Publishing: the screen goes on a video transceiver of its own; in the
//   offer sent to the server, that section's msid track id is prefixed
//   with SCREEN_TRACK_PREFIX (the browser's own track ids cannot be set),
//   which is how the server knows the track is a screen.
// - Receiving: the server sends a screen in a stream of its own, whose id
//   is the sharer's participant id followed by SCREEN_STREAM_SUFFIX.

/** Starts the msid track id of a published screen. */
export const SCREEN_TRACK_PREFIX = 'screen-';

/** Ends the id of a received screen's stream, after the sharer's id. */
export const SCREEN_STREAM_SUFFIX = '~screen';

/**
 * Returns sdp with the track id of the media section whose mid is mid
 * marked as a screen (a=msid, and a=ssrc ... msid: lines). sdp is
 * returned unchanged when mid is empty or has no section.
 * @param {string} sdp
 * @param {string|null|undefined} mid
 * @returns {string}
 */
export function markScreenSDP(sdp, mid) {
  if (!mid) return sdp;
  const parts = sdp.split(/(?=\r?\nm=)/);
  return parts.map((part) => {
    if (!new RegExp(`\\r?\\na=mid:${escapeRe(mid)}\\r?(\\n|$)`).test(part)) return part;
    const mark = (/** @type {string} */ _m, /** @type {string} */ head, /** @type {string} */ track) =>
      track.startsWith(SCREEN_TRACK_PREFIX) ? head + track : head + SCREEN_TRACK_PREFIX + track;
    return part
      .replace(/(\na=msid:\S+ )(\S+)/g, mark)
      .replace(/(\na=ssrc:\d+ msid:\S+ )(\S+)/g, mark);
  }).join('');
}

/**
 * @param {string} streamId  a received stream's id
 * @returns {string} the sharer's participant id when the stream is a
 *   shared screen, else ""
 */
export function screenSharer(streamId) {
  return streamId.endsWith(SCREEN_STREAM_SUFFIX) ? streamId.slice(0, -SCREEN_STREAM_SUFFIX.length) : '';
}

/** @param {string} s @returns {string} */
function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
