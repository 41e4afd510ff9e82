// The latent map's state, without the DOM: the view data (from Python), the test digits,
// the canvas size and plot frame, the zoom, the point, the hidden classes, the decoder
// regions lattice and the N-stepping through the digits nearest the point; and what the
// map says about them. main.js draws it (render.js) and changes it on input (input.js).

import { clampToFrame, makeFrame, nearestPoint } from "./geometry.js";
import { nearestDigits } from "./zoom.js";

export const PICK_RADIUS = 8;   // CSS px from a test digit within which a click picks it
export const GRAB_RADIUS = 18;  // CSS px from the point within which a drag moves the point
export const NEAR_K = 10;       // the digits N steps through

export class MapState {
  view = null;        // the component's data (cvae/latent_map/__init__.py: map_data)
  points = null;      // the test digits {xs, ys, labels} of pointsUrl, once loaded
  pointsUrl = null;
  hidden = new Set(); // classes whose test digits are hidden
  size = null;        // [width, height] of the canvas in CSS px
  frame = null;       // geometry.js makeFrame of bounds() in size
  zoom = null;        // the zoomed or panned bounds; null: the view's
  point = [0, 0];     // the point, in view units
  near = [];          // the digits nearest the point, nearest first (N)
  nearAt = -1;        // which of them is shown
  mark = -1;          // the test digit ringed on the map (-1: none)
  regions = null;     // the decoder regions lattice drawn (layers.js), or null

  bounds() { return this.zoom || this.view.bounds; }

  // The plot frame for the current bounds and size (null until both are known).
  refreshFrame() {
    if (this.view && this.size) this.frame = makeFrame(this.bounds(), ...this.size);
    return this.frame;
  }

  setSize(width, height) {
    this.size = [width, height];
    return this.refreshFrame();
  }

  // Zoomed or panned to `bounds` (null: the whole view).
  setZoom(bounds) {
    this.zoom = bounds;
    this.near = [];
    return this.refreshFrame();
  }

  // New view data; the point follows it unless a drag holds it. Says what changed.
  setView(view, dragging) {
    const old = this.view;
    const first = !old;
    const newModel = first || old.model !== view.model || old.plane !== view.plane;
    const change = {
      first, newModel,
      newBounds: JSON.stringify(old && old.bounds) !== JSON.stringify(view.bounds),
      newRegions: newModel || old.digit !== view.digit || old.regions !== view.regions,
      unzoomed: newModel && this.zoom !== null,
    };
    this.view = view;
    if (change.unzoomed) this.zoom = null;
    if (change.newRegions) this.regions = null;
    if (!dragging) this.point = [view.point[0], view.point[1]];
    return change;
  }

  // Whether `url` is a points file other than the one asked last (then it is asked).
  wantPoints(url) {
    if (url === this.pointsUrl) return false;
    this.pointsUrl = url;
    this.points = null;
    return true;
  }

  // The points of `url` arrived; false if another file was asked since.
  setPoints(url, points) {
    if (url !== this.pointsUrl) return false;
    this.points = points;
    return true;
  }

  // Shows or hides the test digits of class `c`; whether they are shown now.
  toggleClass(c) {
    if (this.hidden.has(c)) this.hidden.delete(c); else this.hidden.add(c);
    return !this.hidden.has(c);
  }

  // The point moved to (x, y), kept within the view's bounds.
  moveTo(x, y) {
    this.point = clampToFrame(makeFrame(this.view.bounds, 1, 1), x, y);
    this.near = [];
    return this.point;
  }

  // The visible test digit under canvas pixel (px, py), or -1.
  digitAt(px, py) {
    if (!this.points) return -1;
    return nearestPoint(this.points, this.frame, this.hidden, px, py, PICK_RADIUS);
  }

  // Whether canvas pixel (px, py) is on the point (a drag there moves it).
  onPoint(px, py) {
    const [qx, qy] = this.frame.toPx(this.point[0], this.point[1]);
    return Math.hypot(px - qx, py - qy) <= GRAB_RADIUS;
  }

  // The next (dir 1) or previous (-1) of the digits nearest the point, now marked; -1 if none.
  stepNear(dir) {
    if (!this.points) return -1;
    if (!this.near.length) {
      this.near = nearestDigits(this.points, this.frame, this.hidden, this.point[0],
                                this.point[1], NEAR_K);
      this.nearAt = dir > 0 ? -1 : 0;
    }
    if (!this.near.length) return -1;
    this.nearAt = (this.nearAt + dir + this.near.length) % this.near.length;
    this.mark = this.near[this.nearAt];
    return this.mark;
  }

  // The nearest digit shown by N (Enter picks it), or -1.
  shownNear() {
    return this.near.length && this.nearAt >= 0 ? this.near[this.nearAt] : -1;
  }

  unmark() {
    this.mark = -1;
    this.near = [];
  }
}

// Once the point rests: where it is and, when the view data is of this very point, what
// the judge reads in its decoded digit (`reading`).
export function pointStatus(view, point) {
  const [x, y] = point;
  let text = `Point at ${view.titles[0]} ${x.toFixed(2)}, ${view.titles[1]} ${y.toFixed(2)}.`;
  const here = Math.abs(view.point[0] - x) < 0.005 && Math.abs(view.point[1] - y) < 0.005;
  if (view.reading && here) {
    const article = view.reading[0] === 8 ? "an" : "a";
    text += ` The judge reads the decoded digit as ${article} ${view.reading[0]}`
      + ` (${Math.round(view.reading[1] * 100)}%).`;
  }
  return text;
}

export function nearStatus(index, label, at, count) {
  return `Test digit #${index}, label ${label}: ${at + 1} of ${count} `
    + "nearest the point. Enter picks it.";
}

// The note for live-channel state `state` (transport.js) after `before`: null keeps the
// note as it is; "Live again." is taken down after a while by the caller.
export function liveNote(state, before, reason) {
  const release = "release the point to see its digit.";
  if (state === "live") return before === "idle" ? null : "Live again.";
  if (state === "reconnecting") {
    return `Reconnecting… ${release[0].toUpperCase()}${release.slice(1)}`;
  }
  if (state === "unavailable") return `Live decoding is unavailable here (still trying): ${release}`;
  if (state === "refused") {
    return `Live decoding was refused here${reason ? ` (${reason})` : ""}: ${release}`;
  }
  return "";
}
