// Background blur (issue 14; docs/client.md, "Background blur"): with the
// **Blur background** switch on, the camera's picture is blurred in the
// browser before it is previewed or sent, so members can be on camera
// without showing their home. Hearth ships no segmentation model: the
// whole picture is blurred (the fallback), which needs no
// download at all; faces stay recognisable as a shape and a voice. The
// blurred track is a canvas's captureStream(); stopping it stops the
// camera. The switch is on the pre-join page (a switch) and in the
// meeting's More menu; turning it over reopens the camera through
// devices.js, so the preview and the published track follow.

import { els, setText } from './dom.js';
import { videoFilter } from './media.js';
import { refreshCamera } from './devices.js';

/** How strongly the picture is blurred, in CSS pixels of a 640-wide frame. */
const BLUR_PX = 12;
/** Frames a second drawn onto the canvas. */
const FPS = 24;

/** Whether the camera's picture is blurred. */
const blur = { on: false };

/** Wires both switches and the camera's filter. */
export function initBlur() {
  videoFilter.apply = (track) => (blur.on ? blurred(track) : track);
  const flip = () => {
    blur.on = !blur.on;
    renderBlur();
    refreshCamera();
  };
  els.blurSwitch.addEventListener('click', flip);
  els.blurToggle.addEventListener('click', flip);
  renderBlur();
}

function renderBlur() {
  els.blurSwitch.setAttribute('aria-checked', String(blur.on));
  setText(els.blurToggle, blur.on ? 'Stop blurring background' : 'Blur background');
}

/**
 * A track showing camera's picture blurred. Stopping it stops camera;
 * camera ending stops it.
 * @param {MediaStreamTrack} camera
 * @returns {MediaStreamTrack}
 */
function blurred(camera) {
  const { width = 640, height = 360 } = camera.getSettings();
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([camera]);
  video.play().catch(() => {});
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const out = canvas.captureStream(FPS).getVideoTracks()[0];
  const radius = Math.max(4, Math.round((BLUR_PX * width) / 640));
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  const draw = () => {
    if (out.readyState === 'ended') return;
    if (video.readyState >= 2) {
      // Drawn a little larger than the frame, so the blurred edges do
      // not fade into the canvas's transparent border.
      ctx.filter = `blur(${radius}px)`;
      ctx.drawImage(video, -radius, -radius, width + 2 * radius, height + 2 * radius);
    }
    timer = setTimeout(draw, 1000 / FPS);
  };
  draw();
  const stopOut = out.stop.bind(out);
  const stop = () => {
    clearTimeout(timer);
    stopOut();
    camera.stop();
    video.srcObject = null;
  };
  out.stop = stop;
  camera.addEventListener('ended', stop);
  return out;
}
