// input.js: pointer, wheel and key events to the intents main.js carries out, on a real
// map state (state.js) with a 448 x 448 canvas over the view [-4, 4] x [-4, 4].
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CLICK_SLOP, Gestures, KEY_STEP, KEY_STEP_BIG, KEY_ZOOM, keyIntents, wheelIntents,
} from "../../cvae/latent_map/assets/input.js";
import { MapState } from "../../cvae/latent_map/assets/state.js";
import { mapState, VIEW } from "./map_state.mjs";

const BOUNDS = VIEW.bounds;
import { panBy, wheelFactor, zoomAt } from "../../cvae/latent_map/assets/zoom.js";

const kinds = (intents) => intents.map((it) => it.do);
const at = (s, x, y) => s.frame.toPx(x, y);  // the canvas pixel of a view point
const pointer = (id, [px, py], more = {}) => ({ id, px, py, button: 0, pointerType: "mouse",
                                                 type: "pointermove", ...more });

test("nothing happens before the map has a frame, or for a right button", () => {
  const g = new Gestures();
  assert.deepEqual(g.down(pointer(1, [100, 100]), new MapState()), []);
  assert.deepEqual(g.down(pointer(1, [100, 100], { button: 2 }), mapState()), []);
  assert.equal(g.drag, null);
  assert.deepEqual(keyIntents({ type: "keydown", key: "ArrowLeft" }, new MapState()), []);
  assert.deepEqual(wheelIntents({ px: 1, py: 1, deltaY: 100, deltaMode: 0 }, new MapState()), []);
});

test("dragging the point moves it to the pointer and its release commits it", () => {
  const s = mapState();
  const g = new Gestures();
  assert.deepEqual(kinds(g.down(pointer(1, at(s, 1, 1)), s)), ["capture", "inset"]);
  assert.equal(g.drag.kind, "point");
  const moved = g.move(pointer(1, at(s, 2, -1)), s);
  assert.deepEqual(kinds(moved), ["unhold", "dragging", "move"]);
  assert.equal(moved[1].on, true);
  assert.ok(Math.abs(moved[2].x - 2) < 1e-9 && Math.abs(moved[2].y + 1) < 1e-9);
  const up = g.up(pointer(1, at(s, 2, -1), { type: "pointerup" }));
  assert.deepEqual(kinds(up), ["unhold", "dragging", "announce", "commit"]);
  assert.equal(g.drag, null);
});

test("a move within the click slop is still a click: it picks or moves there", () => {
  const s = mapState();
  const g = new Gestures();
  const [px, py] = at(s, -2, -2);  // empty space, away from the point
  g.down(pointer(1, [px, py]), s);
  assert.equal(g.drag.kind, "pan");
  assert.deepEqual(g.move(pointer(1, [px + CLICK_SLOP - 1, py]), s), []);
  const up = g.up(pointer(1, [px, py], { type: "pointerup" }));
  assert.deepEqual(up.at(-1), { do: "click", px, py });
  g.down(pointer(2, [px, py]), s);
  assert.deepEqual(kinds(g.move(pointer(2, [px + CLICK_SLOP, py]), s)), ["unhold", "bounds"]);
});

test("dragging empty space pans the view the other way by the distance dragged", () => {
  const s = mapState();
  const g = new Gestures();
  const [px, py] = at(s, -2, -2);
  g.down(pointer(1, [px, py]), s);
  const moved = g.move(pointer(1, [px + s.frame.width / 4, py]), s);
  assert.deepEqual(kinds(moved), ["unhold", "bounds"]);
  assert.deepEqual(moved[1].bounds, panBy(BOUNDS, -2, 0));
  const up = g.up(pointer(1, [0, 0], { type: "pointerup" }));
  assert.deepEqual(kinds(up), ["unhold", "dragging", "announce"]);  // a pan commits nothing
});

test("a cancelled touch that never moved does nothing", () => {
  const s = mapState();
  const g = new Gestures();
  g.down(pointer(1, at(s, -2, -2), { pointerType: "touch" }), s);
  const up = g.up(pointer(1, [0, 0], { type: "pointercancel" }));
  assert.deepEqual(kinds(up), ["unhold", "dragging", "announce"]);
});

test("a finger held still previews the digit under it; the preview follows it", () => {
  const s = mapState();
  const g = new Gestures();
  const [px, py] = at(s, -2, -2);
  const down = g.down(pointer(1, [px, py], { pointerType: "touch" }), s);
  assert.deepEqual(down.at(-1), { do: "hold", px, py });
  assert.deepEqual(g.hold(), [{ do: "preview", px, py }]);
  const moved = g.move(pointer(1, [px + 20, py], { pointerType: "touch" }), s);
  assert.deepEqual(moved, [{ do: "unhold" }, { do: "preview", px: px + 20, py }]);
  const up = g.up(pointer(1, [px + 20, py], { type: "pointerup" }));
  assert.deepEqual(kinds(up), ["unhold", "dragging", "announce"]);  // no click, no pan
});

test("a hold after the finger moved shows nothing; a mouse never starts one", () => {
  const s = mapState();
  const g = new Gestures();
  const [px, py] = at(s, -2, -2);
  g.down(pointer(1, [px, py], { pointerType: "touch" }), s);
  g.move(pointer(1, [px + 20, py]), s);
  assert.deepEqual(g.hold(), []);
  g.up(pointer(1, [0, 0], { type: "pointerup" }));
  assert.ok(!kinds(g.down(pointer(2, [px, py]), s)).includes("hold"));
});

test("a second finger pinches; a point dragged so far is committed first", () => {
  const s = mapState();
  const g = new Gestures();
  const touch = (id, pos, type = "pointermove") => pointer(id, pos, { pointerType: "touch", type });
  g.down(touch(1, at(s, 1, 1)), s);
  g.move(touch(1, at(s, 1.5, 1)), s);
  const second = g.down(touch(2, at(s, -2, -2)), s);
  assert.deepEqual(kinds(second), ["capture", "commit", "dragging"]);
  assert.equal(g.drag.kind, "pinch");
  const spread = g.move(touch(2, at(s, -3, -3)), s);
  assert.deepEqual(kinds(spread), ["bounds"]);
  const [[x0, x1]] = spread[0].bounds;
  assert.ok(x1 - x0 < 8, "fingers apart zoom in");
  assert.deepEqual(g.up(touch(2, [0, 0], "pointerup")), [{ do: "unhold" }]);
  assert.equal(g.drag.kind, "pinch");  // until the last finger is up
  g.up(touch(1, [0, 0], "pointerup"));
  assert.equal(g.drag, null);
});

test("a mouse over the map previews the digit under it and shows a grab cursor on the point", () => {
  const s = mapState();
  const g = new Gestures();
  const [px, py] = at(s, 1, 1);
  assert.deepEqual(g.move(pointer(1, [px + 5, py]), s),
                   [{ do: "preview", px: px + 5, py }, { do: "cursor", grab: true }]);
  assert.equal(g.move(pointer(1, [px + 40, py]), s)[1].grab, false);
  assert.deepEqual(g.move(pointer(1, [px, py], { pointerType: "touch" }), s), []);
  assert.deepEqual(g.enter(pointer(1, [0, 0])), [{ do: "warm" }]);
  assert.deepEqual(g.leave(pointer(1, [0, 0])), [{ do: "unpreview" }]);
  assert.deepEqual(g.leave(pointer(1, [0, 0], { pointerType: "touch" })), []);
});

test("the wheel zooms about the view point under the pointer", () => {
  const s = mapState();
  const [px, py] = at(s, 2, -1);
  const out = wheelIntents({ px, py, deltaY: -100, deltaMode: 0 }, s);
  assert.equal(out[0].do, "prevent");
  const expected = zoomAt(BOUNDS, 2, -1, wheelFactor(-100));
  out[1].bounds.flat().forEach((v, i) => assert.ok(Math.abs(v - expected.flat()[i]) < 1e-6));
});

test("arrow keys step the point (shift: bigger steps) and their release commits it", () => {
  const s = mapState();
  const down = keyIntents({ type: "keydown", key: "ArrowLeft", shiftKey: false }, s);
  assert.deepEqual(down, [{ do: "prevent" }, { do: "unmark" }, { do: "move", x: 1 - KEY_STEP, y: 1 }]);
  const big = keyIntents({ type: "keydown", key: "ArrowUp", shiftKey: true }, s);
  assert.deepEqual(big.at(-1), { do: "move", x: 1, y: 1 + KEY_STEP_BIG });
  assert.deepEqual(keyIntents({ type: "keyup", key: "ArrowUp" }, s),
                   [{ do: "prevent" }, { do: "commit" }]);
});

test("+ and − zoom about the point, 0 resets, other keys are left alone", () => {
  const s = mapState();
  const zoomIn = keyIntents({ type: "keydown", key: "+" }, s);
  assert.deepEqual(zoomIn, [{ do: "bounds", bounds: zoomAt(BOUNDS, 1, 1, 1 / KEY_ZOOM) }, { do: "prevent" }]);
  assert.deepEqual(keyIntents({ type: "keydown", key: "−" }, s)[0].bounds, zoomAt(BOUNDS, 1, 1, KEY_ZOOM));
  assert.deepEqual(keyIntents({ type: "keydown", key: "0" }, s)[0], { do: "bounds", bounds: null });
  assert.deepEqual(keyIntents({ type: "keyup", key: "+" }, s), []);
  assert.deepEqual(keyIntents({ type: "keydown", key: "r" }, s), []);
});

test("N steps through the nearest digits, Enter picks the one shown, Escape drops it", () => {
  const s = mapState({ points: { xs: [1.1, 0.5], ys: [1, 1], labels: [4, 7] } });
  assert.deepEqual(keyIntents({ type: "keydown", key: "n" }, s)[0], { do: "near", dir: 1 });
  assert.deepEqual(keyIntents({ type: "keydown", key: "N", shiftKey: true }, s)[0],
                   { do: "near", dir: -1 });
  assert.deepEqual(keyIntents({ type: "keydown", key: "Enter" }, s), []);  // none shown yet
  assert.equal(s.stepNear(1), 0);
  assert.deepEqual(keyIntents({ type: "keydown", key: "Enter" }, s),
                   [{ do: "pick", index: 0 }, { do: "prevent" }]);
  assert.deepEqual(keyIntents({ type: "keydown", key: "Escape" }, s),
                   [{ do: "unmark" }, { do: "prevent" }]);
});
