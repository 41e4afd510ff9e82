// Zoom and pan of the latent map: pure functions on view bounds [[x0, x1], [y0, y1]].

export const MIN_SPAN = 0.06;  // the smallest side (the regions route takes 0.05 after rounding)
export const LIMIT = 24;       // bounds stay within ±LIMIT (the regions route's range)

function fit(lo, hi) {  // an interval of the same span moved inside ±LIMIT (span capped)
  const span = Math.min(hi - lo, 2 * LIMIT);
  if (lo < -LIMIT) return [-LIMIT, -LIMIT + span];
  if (hi > LIMIT) return [LIMIT - span, LIMIT];
  return [lo, lo + span];
}

// `bounds` scaled by `factor` (< 1 zooms in) about view point (x, y), which stays put.
export function zoomAt(bounds, x, y, factor) {
  const [[x0, x1], [y0, y1]] = bounds;
  const f = Math.max(factor, MIN_SPAN / Math.min(x1 - x0, y1 - y0));
  const sx = Math.min(f, (2 * LIMIT) / (x1 - x0));
  const sy = Math.min(f, (2 * LIMIT) / (y1 - y0));
  const s = Math.min(sx, sy);
  return [fit(x - (x - x0) * s, x + (x1 - x) * s), fit(y - (y - y0) * s, y + (y1 - y) * s)];
}

// `bounds` moved by (dx, dy) view units.
export function panBy(bounds, dx, dy) {
  const [[x0, x1], [y0, y1]] = bounds;
  return [fit(x0 + dx, x1 + dx), fit(y0 + dy, y1 + dy)];
}

// The zoom factor of a wheel event's deltaY (pixels; a trackpad pinch arrives as a wheel
// event with ctrlKey and small deltas): 100 px of wheel = x1.25.
export function wheelFactor(deltaY, deltaMode = 0) {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(Math.max(-200, Math.min(200, px)) * 0.00223);
}

// The zoom of a two-finger pinch from (a0, b0) to (a1, b1) (pixel points): the bounds that
// keep the view point under the fingers' old midpoint under their new one, scaled by the
// change in their distance. `fromPx` maps pixels to view points in `bounds`.
export function pinch(bounds, fromPx, a0, b0, a1, b1) {
  const d0 = Math.hypot(a0[0] - b0[0], a0[1] - b0[1]);
  const d1 = Math.hypot(a1[0] - b1[0], a1[1] - b1[1]);
  const m0 = fromPx((a0[0] + b0[0]) / 2, (a0[1] + b0[1]) / 2);
  const m1 = fromPx((a1[0] + b1[0]) / 2, (a1[1] + b1[1]) / 2);
  const moved = panBy(bounds, m0[0] - m1[0], m0[1] - m1[1]);
  return d0 > 0 && d1 > 0 ? zoomAt(moved, m0[0], m0[1], d0 / d1) : moved;
}

// The `k` visible test digits nearest view point (x, y), nearest first (in pixels of
// `frame`, so a zoomed axis counts as the eye sees it).
export function nearestDigits(points, frame, hidden, x, y, k) {
  const [px, py] = frame.toPx(x, y);
  const best = [];
  const { xs, ys, labels } = points;
  for (let i = 0; i < labels.length; i += 1) {
    if (hidden.has(labels[i])) continue;
    const [qx, qy] = frame.toPx(xs[i], ys[i]);
    const d = (qx - px) ** 2 + (qy - py) ** 2;
    if (best.length < k || d < best[best.length - 1][0]) {
      best.push([d, i]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, i]) => i);
}
