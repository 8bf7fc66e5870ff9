// The tile grid's geometry, without state: how many columns, and how big
// each tile is, so that n tiles fill a stage of a given size as much as
// they can at a ratio between 4:3 and 2:1 (3:4 on narrow stages), close to
// a camera's 16:9.

/**
 * @typedef {Object} Grid
 * @property {number} cols
 * @property {number} width   of one tile, in CSS pixels
 * @property {number} height
 */

/**
 * @param {number} n       tiles to show (at least 1)
 * @param {number} width   of the stage
 * @param {number} height  of the stage
 * @param {number} gap     between tiles
 * @returns {Grid}
 */
export function gridFor(n, width, height, gap) {
  const minRatio = width < 600 ? 3 / 4 : 4 / 3;
  const maxRatio = 2;
  /** @type {Grid} */
  let best = { cols: 1, width: 0, height: 0 };
  let bestArea = -1;
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    const cellW = (width - (cols - 1) * gap) / cols;
    const cellH = (height - (rows - 1) * gap) / rows;
    if (cellW <= 0 || cellH <= 0) continue;
    let w = cellW;
    let h = cellH;
    if (w / h > maxRatio) w = h * maxRatio;
    else if (w / h < minRatio) h = w / minRatio;
    const area = n * w * h;
    if (area > bestArea) {
      bestArea = area;
      best = { cols, width: Math.floor(w), height: Math.floor(h) };
    }
  }
  return best;
}

/**
 * How many tiles one page holds on a stage of this size: enough for tiles
 * of about 180 px wide or more.
 * @param {number} width
 * @param {number} height
 * @returns {number} 4 to 12
 */
export function pageSize(width, height) {
  const fit = Math.floor((width * height) / (180 * 135));
  return Math.max(4, Math.min(12, fit));
}
