// Simulcast (docs/architecture.md, "Simulcast and bandwidth"): the camera
// is published in three layers (rids q, h, f: a quarter, half and the
// full 1280x720), so that the server can send each member the layer
// their link and their tile need. No DOM here: media.js uses it.

/** What the camera is opened at: the top layer's size. */
export const CAMERA_SIZE = { width: { ideal: 1280 }, height: { ideal: 720 } };

/**
 * The camera's simulcast encodings, lowest first (RFC 8853 rids).
 * @returns {RTCRtpEncodingParameters[]}
 */
export function cameraEncodings() {
  return [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
  ];
}

/**
 * Asks the browser to keep each layer's size and drop frames instead when
 * the machine is busy (Chromium otherwise shrinks the layers, and a
 * member's large tile gets a small picture).
 * @param {RTCRtpSender} sender
 */
export function keepResolution(sender) {
  try {
    const p = sender.getParameters();
    /** @type {any} */ (p).degradationPreference = 'maintain-resolution';
    sender.setParameters(p).catch(() => {});
  } catch {
    // a browser without setParameters: its own choice
  }
}
