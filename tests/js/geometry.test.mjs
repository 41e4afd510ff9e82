// geometry.js and zoom.js: view units <-> canvas pixels, the test digit under a pixel, the
// points file, and zoom and pan of the view bounds.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clampToFrame, makeFrame, MARGIN, nearestPoint, niceStep, parsePoints,
} from "../../cvae/latent_map/assets/geometry.js";
import {
  LIMIT, MIN_SPAN, nearestDigits, panBy, pinch, wheelFactor, zoomAt,
} from "../../cvae/latent_map/assets/zoom.js";

const close = (actual, expected, eps = 1e-9) => {
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} is not ${expected}`);
};
const points = (xs, ys, labels) => ({ xs: Float32Array.from(xs), ys: Float32Array.from(ys),
                                      labels: Uint8Array.from(labels) });

test("the frame maps the view's corners to the plot's and back", () => {
  const f = makeFrame([[-4, 4], [-2, 6]], 448, 442);
  assert.equal(f.width, 448 - MARGIN.left - MARGIN.right);
  assert.equal(f.height, 442 - MARGIN.top - MARGIN.bottom);
  assert.deepEqual(f.toPx(-4, 6), [MARGIN.left, MARGIN.top]);  // y grows upwards
  assert.deepEqual(f.toPx(4, -2), [MARGIN.left + f.width, MARGIN.top + f.height]);
  const [x, y] = f.fromPx(...f.toPx(1.25, 0.5));
  close(x, 1.25);
  close(y, 0.5);
});

test("a frame too small for its margins keeps a one-pixel plot", () => {
  const f = makeFrame([[0, 1], [0, 1]], 10, 10);
  assert.equal(f.width, 1);
  assert.equal(f.height, 1);
});

test("clampToFrame keeps a point within the bounds", () => {
  const f = makeFrame([[-4, 4], [-2, 6]], 1, 1);
  assert.deepEqual(clampToFrame(f, 9, -9), [4, -2]);
  assert.deepEqual(clampToFrame(f, 1, 2), [1, 2]);
});

test("nearestPoint finds the nearest visible digit within the radius", () => {
  const f = makeFrame([[-4, 4], [-4, 4]], 448, 448);
  const pts = points([0, 0.05, 3], [0, 0, 3], [1, 2, 3]);
  const [px, py] = f.toPx(0.04, 0);
  assert.equal(nearestPoint(pts, f, new Set(), px, py, 8), 1);
  assert.equal(nearestPoint(pts, f, new Set([2]), px, py, 8), 0);
  assert.equal(nearestPoint(pts, f, new Set([1, 2]), px, py, 8), -1);  // 3 is far
  const [qx, qy] = f.toPx(2, 2);
  assert.equal(nearestPoint(pts, f, new Set(), qx, qy, 8), -1);
});

test("parsePoints reads the points file and refuses a wrong size", () => {
  const n = 2;
  const buffer = new ArrayBuffer(4 + 9 * n);
  const view = new DataView(buffer);
  view.setUint32(0, n, true);
  [0.5, -1.5].forEach((v, i) => view.setFloat32(4 + 4 * i, v, true));
  [2.25, 3].forEach((v, i) => view.setFloat32(4 + 4 * n + 4 * i, v, true));
  new Uint8Array(buffer, 4 + 8 * n).set([7, 9]);
  const pts = parsePoints(buffer);
  assert.deepEqual([...pts.xs], [0.5, -1.5]);
  assert.deepEqual([...pts.ys], [2.25, 3]);
  assert.deepEqual([...pts.labels], [7, 9]);
  assert.throws(() => parsePoints(buffer.slice(0, buffer.byteLength - 1)), /wrong size/);
});

test("niceStep gives about five round ticks", () => {
  assert.equal(niceStep(8), 2);
  assert.equal(niceStep(10), 2);
  assert.equal(niceStep(3), 0.5);
  close(niceStep(0.3), 0.05);
  assert.equal(niceStep(40), 10);
});

test("zoom keeps the view point under the pointer", () => {
  const [[x0, x1], [y0, y1]] = zoomAt([[-4, 4], [-2, 6]], 1, 3, 0.5);
  close(x1 - x0, 4);
  close(y1 - y0, 4);
  close((1 - x0) / (x1 - x0), 5 / 8);  // 1 stays at 5/8 of the width
  close((3 - y0) / (y1 - y0), 5 / 8);
});

test("zoom stops at the smallest and largest view", () => {
  const [[sx0, sx1]] = zoomAt([[-1, 1], [-1, 1]], 0, 0, 1e-6);
  close(sx1 - sx0, MIN_SPAN);
  assert.deepEqual(zoomAt([[-1, 1], [-1, 1]], 0, 0, 1e6), [[-LIMIT, LIMIT], [-LIMIT, LIMIT]]);
});

test("pan moves the view and stays within the limit", () => {
  assert.deepEqual(panBy([[-4, 4], [-2, 6]], 1.5, -0.5), [[-2.5, 5.5], [-2.5, 5.5]]);
  assert.deepEqual(panBy([[-4, 4], [-2, 6]], 100, 0)[0], [LIMIT - 8, LIMIT]);
});

test("a pinch keeps the view point under the fingers' midpoint there", () => {
  const bounds = [[-4, 4], [-4, 4]];
  const f = makeFrame(bounds, 448, 442);
  const b = pinch(bounds, f.fromPx, [140, 200], [240, 200], [110, 230], [290, 230]);
  const before = f.fromPx(190, 200);
  const after = makeFrame(b, 448, 442).fromPx(200, 230);
  close(after[0], before[0], 1e-9);
  close(after[1], before[1], 1e-9);
  close(b[0][1] - b[0][0], (8 * 100) / 180);
});

test("wheel up zooms in and down zooms out by the same step", () => {
  const zoomIn = wheelFactor(-100);
  const zoomOut = wheelFactor(100);
  assert.ok(zoomIn < 1 && zoomOut > 1);
  close(zoomIn * zoomOut, 1);
  close(wheelFactor(-3, 1), wheelFactor(-48));  // a wheel line is 16 px
});

test("the nearest digits are the nearest visible ones, nearest first", () => {
  const pts = points([0, 1, 0.2, -0.3, 3], [0, 1, 0, 0.1, 3], [1, 2, 3, 3, 4]);
  const f = makeFrame([[-4, 4], [-4, 4]], 448, 442);
  assert.deepEqual(nearestDigits(pts, f, new Set(), 0.05, 0, 3), [0, 2, 3]);
  assert.deepEqual(nearestDigits(pts, f, new Set([3]), 0.05, 0, 3), [0, 1, 4]);
});
