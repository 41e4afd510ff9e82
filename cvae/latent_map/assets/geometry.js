// Geometry of the latent map: view coordinates <-> canvas pixels, nearest test digit.

export const MARGIN = { left: 40, right: 8, top: 8, bottom: 34 };

// The plot frame for `bounds` [[x0, x1], [y0, y1]] in a canvas of cssWidth x cssHeight.
export function makeFrame(bounds, cssWidth, cssHeight) {
  const [[x0, x1], [y0, y1]] = bounds;
  const w = Math.max(1, cssWidth - MARGIN.left - MARGIN.right);
  const h = Math.max(1, cssHeight - MARGIN.top - MARGIN.bottom);
  return {
    x0, x1, y0, y1, left: MARGIN.left, top: MARGIN.top, width: w, height: h,
    toPx: (x, y) => [MARGIN.left + ((x - x0) / (x1 - x0)) * w,
                     MARGIN.top + ((y1 - y) / (y1 - y0)) * h],
    fromPx: (px, py) => [x0 + ((px - MARGIN.left) / w) * (x1 - x0),
                         y1 - ((py - MARGIN.top) / h) * (y1 - y0)],
  };
}

export function clampToFrame(frame, x, y) {
  return [Math.min(frame.x1, Math.max(frame.x0, x)), Math.min(frame.y1, Math.max(frame.y0, y))];
}

// Index of the visible test digit nearest to pixel (px, py) within `radius` px, or -1.
export function nearestPoint(points, frame, hidden, px, py, radius) {
  let best = -1;
  let bestD = radius * radius;
  const { xs, ys, labels } = points;
  for (let i = 0; i < labels.length; i += 1) {
    if (hidden.has(labels[i])) continue;
    const [qx, qy] = frame.toPx(xs[i], ys[i]);
    const d = (qx - px) ** 2 + (qy - py) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  }
  return best;
}

// Parse the points file: uint32 N, float32 x[N], float32 y[N], uint8 labels[N] (LE).
export function parsePoints(buffer) {
  const view = new DataView(buffer);
  const n = view.getUint32(0, true);
  if (buffer.byteLength !== 4 + 9 * n) throw new Error("points file has the wrong size");
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    xs[i] = view.getFloat32(4 + 4 * i, true);
    ys[i] = view.getFloat32(4 + 4 * n + 4 * i, true);
  }
  return { xs, ys, labels: new Uint8Array(buffer, 4 + 8 * n, n) };
}

export function niceStep(span) {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}
