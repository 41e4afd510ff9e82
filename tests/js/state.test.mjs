// state.js: the map's state without the DOM, and what the map says about it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  GRAB_RADIUS, liveNote, MapState, nearStatus, pointStatus,
} from "../../cvae/latent_map/assets/state.js";
import { mapState, VIEW } from "./map_state.mjs";

test("new view data says what changed; a drag keeps the point", () => {
  const s = new MapState();
  const first = s.setView(VIEW, false);
  assert.deepEqual(first, { first: true, newModel: true, newBounds: true, newRegions: true,
                            unzoomed: false });
  assert.deepEqual(s.point, [1, 1]);
  s.setSize(448, 448);
  s.setZoom([[0, 1], [0, 1]]);
  const same = s.setView({ ...VIEW, point: [2, 2] }, true);
  assert.deepEqual(same, { first: false, newModel: false, newBounds: false, newRegions: false,
                           unzoomed: false });
  assert.deepEqual(s.point, [1, 1]);
  assert.deepEqual(s.bounds(), [[0, 1], [0, 1]]);
  const digit = s.setView({ ...VIEW, digit: 5 }, false);
  assert.equal(digit.newRegions, true);
  assert.equal(digit.newModel, false);
  const model = s.setView({ ...VIEW, model: "other", bounds: [[-3, 3], [-3, 3]] }, false);
  assert.deepEqual([model.newModel, model.newBounds, model.unzoomed], [true, true, true]);
  assert.equal(s.zoom, null);
});

test("the frame follows the size and the zoom", () => {
  const s = new MapState();
  assert.equal(s.setSize(448, 448), null);  // no view yet
  s.setView(VIEW, false);
  assert.equal(s.refreshFrame().x0, -4);
  const frame = s.setZoom([[0, 2], [-1, 1]]);
  assert.deepEqual([frame.x0, frame.x1, frame.y0, frame.y1], [0, 2, -1, 1]);
});

test("the point moves within the view's bounds, even zoomed", () => {
  const s = mapState();
  s.setZoom([[0, 1], [0, 1]]);
  assert.deepEqual(s.moveTo(9, -9), [4, -4]);
});

test("a points file that arrives after another was asked is dropped", () => {
  const s = mapState();
  assert.equal(s.wantPoints("a"), true);
  assert.equal(s.wantPoints("a"), false);
  assert.equal(s.wantPoints("b"), true);
  assert.equal(s.setPoints("a", { labels: [] }), false);
  assert.equal(s.points, null);
});

test("the digit under a pixel skips hidden classes; the point is grabbed near it", () => {
  const s = mapState({ points: { xs: [1.1, -2], ys: [1, -2], labels: [4, 7] } });
  const [px, py] = s.frame.toPx(1.1, 1);
  assert.equal(s.digitAt(px, py), 0);
  assert.equal(s.toggleClass(4), false);
  assert.equal(s.digitAt(px, py), -1);
  assert.equal(s.toggleClass(4), true);
  const [qx, qy] = s.frame.toPx(1, 1);
  assert.equal(s.onPoint(qx + GRAB_RADIUS, qy), true);
  assert.equal(s.onPoint(qx + GRAB_RADIUS + 1, qy), false);
  assert.equal(new MapState().digitAt(0, 0), -1);  // no points yet
});

test("N steps through the nearest digits, round, and back with shift", () => {
  const s = mapState({ points: { xs: [1.1, 3, 0.8], ys: [1, 3, 1], labels: [4, 7, 2] } });
  assert.equal(s.shownNear(), -1);
  assert.deepEqual([s.stepNear(1), s.stepNear(1), s.stepNear(1), s.stepNear(1)], [0, 2, 1, 0]);
  assert.equal(s.mark, 0);
  assert.equal(s.shownNear(), 0);
  s.unmark();
  assert.deepEqual([s.mark, s.shownNear()], [-1, -1]);
  assert.equal(s.stepNear(-1), 1);  // back: the farthest first
  s.moveTo(0, 0);
  assert.equal(s.shownNear(), -1);  // a moved point has new nearest digits
});

test("the status says where the point is, and the judge's reading only there", () => {
  const view = { ...VIEW, reading: [8, 0.934] };
  assert.equal(pointStatus(view, [1, 1]),
               "Point at z1 1.00, z2 1.00. The judge reads the decoded digit as an 8 (93%).");
  assert.equal(pointStatus(view, [1.5, 1]), "Point at z1 1.50, z2 1.00.");
  assert.match(pointStatus({ ...view, reading: [3, 0.5] }, [1, 1]), /as a 3 \(50%\)/);
  assert.equal(nearStatus(12, 7, 0, 10),
               "Test digit #12, label 7: 1 of 10 nearest the point. Enter picks it.");
});

test("the live note: nothing at the first connection, then what the channel is doing", () => {
  assert.equal(liveNote("live", "idle", ""), null);
  assert.equal(liveNote("live", "reconnecting", ""), "Live again.");
  assert.equal(liveNote("reconnecting", "live", ""),
               "Reconnecting… Release the point to see its digit.");
  assert.match(liveNote("unavailable", "reconnecting", ""), /unavailable here \(still trying\)/);
  assert.equal(liveNote("refused", "live", "origin not allowed"),
               "Live decoding was refused here (origin not allowed): release the point to see its digit.");
  assert.equal(liveNote("paused", "live", ""), "");
});
