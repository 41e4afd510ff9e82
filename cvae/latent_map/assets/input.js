// The latent map's input, without the DOM: pointer, wheel and key events become intents,
// a list of {do, ...} that main.js carries out in order. An event here is a plain object
// with the fields used: id (pointerId), type, button, pointerType, px and py (CSS px in the
// canvas), key, shiftKey, deltaY, deltaMode. `s` is the map's state (state.js MapState).
//
// Intents: capture (the pointer: capture, focus, no default, hover hidden, hold cancelled),
// prevent (no default), commit (send the point), dragging {on}, inset (place it), hold
// {px, py} (start the hold timer: hold() when it fires), unhold (cancel it), preview
// {px, py} (the test digit there, if any), unpreview, cursor {grab}, bounds {bounds} (zoom
// or pan; null: the whole view), move {x, y} (the point, view units), announce (the status
// once the point rests), click {px, py} (pick the digit there, else move there and commit),
// warm (load the previews' code), near {dir}, pick {index}, unmark.

import { panBy, pinch, wheelFactor, zoomAt } from "./zoom.js";

export const CLICK_SLOP = 4;   // CSS px a click may move and still be a click
export const HOLD_MS = 400;    // a finger held still this long shows the digit under it
export const KEY_STEP = 0.05;
export const KEY_STEP_BIG = 0.5;
export const KEY_ZOOM = 1.25;
const ZOOM_KEYS = { "+": 1 / KEY_ZOOM, "=": 1 / KEY_ZOOM, "-": KEY_ZOOM, "_": KEY_ZOOM,
  "−": KEY_ZOOM };
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

// The pointers down on the map and the gesture they make: `drag` is null, a pinch
// {kind: "pinch"} or a one-pointer drag {id, px, py, moved, held, kind: "point" | "pan",
// bounds (at its start)}. Dragging empty space pans; dragging the point moves it.
export class Gestures {
  pointers = new Map();  // pointer id -> its last [px, py]
  drag = null;

  down(e, s) {
    if (!s.frame || e.button > 0) return [];
    this.pointers.set(e.id, [e.px, e.py]);
    const out = [{ do: "capture" }];
    if (this.pointers.size >= 2) {  // a second finger: pinch (a point drag so far is kept)
      if (this.drag && this.drag.kind === "point" && this.drag.moved) out.push({ do: "commit" });
      out.push({ do: "dragging", on: false });
      this.drag = { kind: "pinch" };
      return out;
    }
    const kind = s.onPoint(e.px, e.py) ? "point" : "pan";
    this.drag = { id: e.id, px: e.px, py: e.py, moved: false, held: false, kind,
                  bounds: s.bounds() };
    if (kind === "point") out.push({ do: "inset" });
    if (e.pointerType !== "mouse" && kind === "pan") out.push({ do: "hold", px: e.px, py: e.py });
    return out;
  }

  // The hold timer fired: a finger still where it went down previews the digit there.
  hold() {
    const drag = this.drag;
    if (!drag || drag.moved) return [];
    drag.held = true;
    return [{ do: "preview", px: drag.px, py: drag.py }];
  }

  move(e, s) {
    const { px, py } = e;
    const before = this.pointers.get(e.id);
    if (before) this.pointers.set(e.id, [px, py]);
    const drag = this.drag;
    if (!drag) {  // a mouse over the map: preview the digit under it
      if (e.pointerType !== "mouse" || !s.frame) return [];
      return [{ do: "preview", px, py }, { do: "cursor", grab: s.onPoint(px, py) }];
    }
    if (drag.kind === "pinch") {
      const other = [...this.pointers].find(([id]) => id !== e.id);
      if (!before || !other) return [];
      return [{ do: "bounds",
                bounds: pinch(s.bounds(), s.frame.fromPx, before, other[1], [px, py], other[1]) }];
    }
    if (e.id !== drag.id) return [];
    if (!drag.moved && Math.hypot(px - drag.px, py - drag.py) < CLICK_SLOP) return [];
    drag.moved = true;
    const out = [{ do: "unhold" }];
    if (drag.held) {  // a held finger: previews follow it
      out.push({ do: "preview", px, py });
    } else if (drag.kind === "pan") {
      const [[x0, x1], [y0, y1]] = drag.bounds;
      out.push({ do: "bounds", bounds: panBy(drag.bounds,
        -((px - drag.px) / s.frame.width) * (x1 - x0), ((py - drag.py) / s.frame.height) * (y1 - y0)) });
    } else {
      const [x, y] = s.frame.fromPx(px, py);
      out.push({ do: "dragging", on: true }, { do: "move", x, y });
    }
    return out;
  }

  up(e) {  // pointerup or pointercancel
    this.pointers.delete(e.id);
    const out = [{ do: "unhold" }];
    const drag = this.drag;
    if (!drag) return out;
    if (drag.kind === "pinch") {
      if (this.pointers.size === 0) this.drag = null;
      return out;
    }
    if (e.id !== drag.id) return out;
    this.drag = null;
    out.push({ do: "dragging", on: false }, { do: "announce" });
    if (drag.held) return out;  // the preview stays until the next touch
    if (e.type === "pointercancel" && !drag.moved) return out;
    if (!drag.moved) out.push({ do: "click", px: drag.px, py: drag.py });
    else if (drag.kind === "point") out.push({ do: "commit" });
    return out;
  }

  enter(e) { return e.pointerType === "mouse" ? [{ do: "warm" }] : []; }

  leave(e) { return e.pointerType === "mouse" && !this.drag ? [{ do: "unpreview" }] : []; }
}

// The wheel, or a trackpad's scroll and pinch (ctrlKey): zoom about the pointer.
export function wheelIntents(e, s) {
  if (!s.frame) return [];
  const [x, y] = s.frame.fromPx(e.px, e.py);
  return [{ do: "prevent" },
          { do: "bounds", bounds: zoomAt(s.bounds(), x, y, wheelFactor(e.deltaY, e.deltaMode)) }];
}

function keyCommand(key, shiftKey, s) {  // a keydown's zoom, reset or nearest-digit intent
  if (key in ZOOM_KEYS) {
    return { do: "bounds", bounds: zoomAt(s.bounds(), s.point[0], s.point[1], ZOOM_KEYS[key]) };
  }
  if (key === "0") return { do: "bounds", bounds: null };
  if (key === "n" || key === "N") return { do: "near", dir: shiftKey ? -1 : 1 };
  if (key === "Enter" && s.shownNear() >= 0) return { do: "pick", index: s.shownNear() };
  if (key === "Escape") return { do: "unmark" };
  return null;
}

// keydown and keyup: + and − zoom about the point (0 resets), N (shift+N back) steps
// through the digits nearest the point, Enter picks the one shown, Escape drops it; the
// arrows move the point (shift: bigger steps) and their release commits it.
export function keyIntents(e, s) {
  if (!s.frame) return [];
  if (e.type === "keydown") {
    const command = keyCommand(e.key, e.shiftKey, s);
    if (command) return [command, { do: "prevent" }];
  }
  const dir = ARROWS[e.key];
  if (!dir) return [];
  if (e.type === "keyup") return [{ do: "prevent" }, { do: "commit" }];
  const step = e.shiftKey ? KEY_STEP_BIG : KEY_STEP;
  return [{ do: "prevent" }, { do: "unmark" },
          { do: "move", x: s.point[0] + dir[0] * step, y: s.point[1] + dir[1] * step }];
}
