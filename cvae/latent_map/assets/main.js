// The latent map (st.components.v2 module, loaded by the component's small loader).
//
// Draws the test digits' codes, class means, picked and own digits and the current point
// on a canvas, and the decoded digit beside it. Dragging (mouse, touch, pen) or the arrow
// keys move the point; while it moves the digit shows exact decodes of the pointer's own
// positions from the live channel (transport.js). Release commits the point: state value
// "commit" = {x, y, at}. A click near a test digit picks it: trigger "pick" = {index}.
// On a narrow (stacked) layout the decoded digit sits below the map, off-screen while a
// finger drags: an inset of it then shows in the top corner of the map away from the point.
// Zoom and pan (zoom.js): the wheel, a trackpad or two-finger pinch, + and − (0 resets),
// or the reset button; dragging empty space pans, dragging the point (within GRAB_RADIUS,
// state.js, of it) moves it, so a drag decodes the exact view position under the pointer at
// any zoom. A test digit under a mouse (or a finger held still for HOLD_MS, input.js) shows
// its picture, index and label beside it (hover.js); N (shift+N back) steps through the
// digits nearest the point with the same preview, said in the status, and Enter picks the
// one shown.
// Layers (layers.js): the prior and posterior ellipses of the view data, and the decoder
// regions (off until its checkbox is ticked), fetched for the visible region.
// Keys pressed in the map stay in it (Streamlit's shortcuts, "r" = rerun, never see them).
// A polite live region says, once the point rests, where it is and what the judge (a
// separate classifier) reads in the decoded digit there (`reading` in the view data).
//
// This module wires the map together: its state (state.js), input (input.js: events become
// intents, carried out here by `act`), drawing (render.js) and the live channel
// (transport.js). Every module it imports statically it imports itself, so the browser
// fetches them all at once (none is found only after another has loaded).

import { parsePoints } from "./geometry.js";
import { Gestures, HOLD_MS, keyIntents, wheelIntents } from "./input.js";
import { drawDigit, drawMap, drawPointsLayer } from "./render.js";
import { liveNote, MapState, nearStatus, pointStatus } from "./state.js";
import { createTransport, liveUrl } from "./transport.js";
import "./zoom.js";  // used by input.js and state.js: imported here to be fetched with them
// hover.js and layers.js load when first needed (lazyHover, lazyRegions, withLayers), so
// they add nothing to the map's first load.

// The map's only test hook, one line: with window.__cvaeTest set before the page loads
// (tests/e2e, benchmarks), probe(name, entry) appends {t, ...entry} to window.__cvaeTest[name]
// (paints {x, y, live}, pointer {x, y}, previews {index}, regions {n, x0, x1, y0, y1}, live
// {state}: a reconnect may pass in one frame, too quick to poll for) and probe(name, value,
// true) sets it (ellipses: those drawn in the last frame). Without the flag it does nothing.
const probe = (name, entry, set = false) => { const log = window.__cvaeTest; if (log && set) log[name] = entry; else if (log) (log[name] = log[name] || []).push({ t: performance.now(), ...entry }); };

const STATUS_DELAY_MS = 700;  // the point rests this long before the status speaks
const LIVE_AGAIN_MS = 2500;   // how long "live again" stays up after a reconnect
const KEY_EVENTS = ["keydown", "keyup", "keypress"];
const MAPS = new WeakMap();
const POINTS = new Map();  // points URL -> Promise of parsed points (once per page)

function loadPoints(url) {
  if (!POINTS.has(url)) {
    POINTS.set(url, fetch(new URL(url, document.baseURI)).then((r) => {
      if (!r.ok) throw new Error(`points: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then(parsePoints));
  }
  return POINTS.get(url);
}

// A module imported on first use: use(then) calls then(module), at once once it is loaded;
// use.module is the module, or null until then. A failed import is tried again next use.
function lazyModule(load) {
  let loading = null;
  const use = (then) => {
    if (use.module) return then(use.module);
    loading = loading || load().then((mod) => { use.module = mod; });
    loading.then(() => then(use.module)).catch(() => { loading = null; });
    return undefined;
  };
  use.module = null;
  return use;
}
const withLayers = lazyModule(() => import("./layers.js"));
const withHover = lazyModule(() => import("./hover.js"));

// hover.js's createHover, loaded at the first show (or warm(): a pointer entering the map).
function lazyHover(el, box, onPainted) {
  let real = null;
  let wanted = null;  // the show asked while hover.js loads
  const load = () => withHover((mod) => {
    real = real || mod.createHover(el, box, onPainted);
    if (wanted) real.show(...wanted);
    wanted = null;
  });
  return {
    warm: load,
    show: (...args) => { if (real) real.show(...args); else { wanted = args; load(); } },
    hide: () => { wanted = null; if (real) real.hide(); },
  };
}

// layers.js's createRegions, loaded at the first ask.
function lazyRegions(...args) {
  let real = null;
  let wanted = null;
  return {
    ask: (...ask) => {
      if (real) { real.ask(...ask); return; }
      wanted = ask;
      withLayers((mod) => {
        real = real || mod.createRegions(...args);
        if (wanted) real.ask(...wanted);
        wanted = null;
      });
    },
    stop: () => { wanted = null; if (real) real.stop(); },
  };
}

function base64Bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

function parts(root) {
  const q = (selector) => root.querySelector(selector);
  return { canvas: q(".map-canvas"), digit: q(".map-digit"), caption: q(".map-digit-caption"),
           status: q(".map-status"), liveNote: q(".map-live"), inset: q(".map-inset"),
           digitBox: q(".map-digit-box"), toggles: q(".map-toggles"), reset: q(".map-reset"),
           regionsBox: q(".map-regions-toggle"), legend: q(".map-legend"),
           hover: q(".map-hover") };
}

// One map on `root` (a .cvae-map): mount(api, view) shows the view data with the
// component's api and returns its cleanup.
function createMap(root) {
  const el = parts(root);
  const c = { root, el, state: new MapState(), input: new Gestures(), api: null, generation: 0,
              transport: null, live: "idle", timers: { status: 0, live: 0, hold: 0 },
              paint: { layer: document.createElement("canvas"), dpr: 1, layerDirty: true, raf: 0 },
              hover: null, regions: null };
  c.hover = lazyHover(el.hover, el.canvas.parentElement, (index) => probe("previews", { index }));
  c.regions = lazyRegions((lattice, n) => {
    c.state.regions = lattice;
    root.dataset.regions = String(n);
    probe("regions", { n, x0: lattice.x0, x1: lattice.x1, y0: lattice.y0, y1: lattice.y1 });
    schedule(c);
  }, (err) => setStatus(c, `The decoder regions could not be loaded (${err.message}).`),
  () => Boolean(c.input.drag));
  const unbind = bind(c);
  const destroy = () => {
    for (const timer of Object.values(c.timers)) clearTimeout(timer);
    c.regions.stop();
    unbind();
    if (c.transport) c.transport.close();
    MAPS.delete(root);
  };
  return {
    mount(api, view) {
      c.api = api;
      c.generation += 1;
      const generation = c.generation;
      update(c, view);
      return () => { if (c.generation === generation) destroy(); };
    },
  };
}

// The map's listeners; returns the function that removes them.
function bind(c) {
  const { canvas, reset, regionsBox, legend } = c.el;
  const { input: g, state: s } = c;
  const on = (intents) => (event) => act(c, intents(event), event);
  const pointer = (intents) => on((event) => intents(pointerEvent(c, event)));
  const events = [["pointerdown", pointer((e) => g.down(e, s))],
    ["pointermove", pointer((e) => g.move(e, s))], ["pointerup", pointer((e) => g.up(e))],
    ["pointercancel", pointer((e) => g.up(e))], ["pointerenter", pointer((e) => g.enter(e))],
    ["pointerleave", pointer((e) => g.leave(e))], ["keydown", on((e) => keyIntents(e, s))],
    ["keyup", on((e) => keyIntents(e, s))], ["wheel", pointer((e) => wheelIntents(e, s))]];
  for (const [type, fn] of events) canvas.addEventListener(type, fn, { passive: false });
  const onReset = () => setBounds(c, null);
  const onRegions = () => {
    legend.hidden = !regionsBox.checked;
    if (regionsBox.checked) askRegions(c); else { c.regions.stop(); s.regions = null; }
    schedule(c);
  };
  reset.addEventListener("click", onReset);
  regionsBox.addEventListener("change", onRegions);
  // Keys typed in the map are the map's: Streamlit's page shortcuts never hear them.
  const keep = (event) => event.stopPropagation();
  for (const type of KEY_EVENTS) c.root.addEventListener(type, keep);
  const observer = new ResizeObserver(() => resize(c));
  observer.observe(c.root);
  return () => {
    observer.disconnect();
    reset.removeEventListener("click", onReset);
    regionsBox.removeEventListener("change", onRegions);
    for (const [type, fn] of events) canvas.removeEventListener(type, fn);
    for (const type of KEY_EVENTS) c.root.removeEventListener(type, keep);
  };
}

// A pointer or wheel event as input.js reads it (position in CSS px in the canvas).
function pointerEvent(c, event) {
  const box = c.el.canvas.getBoundingClientRect();
  return { id: event.pointerId, type: event.type, button: event.button,
           pointerType: event.pointerType, px: event.clientX - box.left,
           py: event.clientY - box.top, deltaY: event.deltaY, deltaMode: event.deltaMode };
}

// How each intent of input.js is carried out (`event`: the DOM event it came from).
const ACTS = {
  capture: (c, it, event) => {
    c.el.canvas.setPointerCapture(event.pointerId);
    c.el.canvas.focus({ preventScroll: true });
    event.preventDefault();
    c.hover.hide();
    clearTimeout(c.timers.hold);
  },
  prevent: (c, it, event) => event.preventDefault(),
  commit: (c) => commit(c),
  dragging: (c, it) => { c.root.dataset.dragging = String(it.on); },
  inset: (c) => placeInset(c),
  hold: (c) => { c.timers.hold = setTimeout(() => act(c, c.input.hold(), null), HOLD_MS); },
  unhold: (c) => clearTimeout(c.timers.hold),
  preview: (c, it) => preview(c, it.px, it.py),
  unpreview: (c) => c.hover.hide(),
  cursor: (c, it) => { c.el.canvas.style.cursor = it.grab ? "grab" : ""; },
  bounds: (c, it) => setBounds(c, it.bounds),
  move: (c, it) => moveTo(c, it.x, it.y),
  announce: (c) => announce(c),
  click: (c, it) => pickOrMove(c, it.px, it.py),
  warm: (c) => c.hover.warm(),
  near: (c, it) => stepNear(c, it.dir),
  pick: (c, it) => c.api.setTriggerValue("pick", { index: it.index }),
  unmark: (c) => { c.hover.hide(); c.state.unmark(); schedule(c); },
};

function act(c, intents, event) {
  for (const it of intents) ACTS[it.do](c, it, event);
}

function setStatus(c, text) { c.el.status.textContent = text; }

function onLive(c, state, reason) {
  const before = c.live;
  c.live = state;
  c.root.dataset.live = state;
  probe("live", { state });
  const note = liveNote(state, before, reason);
  if (note === null) return;
  clearTimeout(c.timers.live);
  c.el.liveNote.textContent = note;
  if (state === "live") {
    c.timers.live = setTimeout(() => { c.el.liveNote.textContent = ""; }, LIVE_AGAIN_MS);
  }
}

function announce(c) {  // the status, once the point has rested
  clearTimeout(c.timers.status);
  c.timers.status = setTimeout(() => {
    if (!c.state.view || c.input.drag) return;
    setStatus(c, pointStatus(c.state.view, c.state.point));
  }, STATUS_DELAY_MS);
}

function placeInset(c) {  // the top corner away from the point (bottom if the top is off-screen)
  const { frame, point } = c.state;
  const { inset } = c.el;
  const [px] = frame.toPx(point[0], point[1]);
  const side = px > frame.left + frame.width / 2 ? "left" : "right";
  const edge = c.el.canvas.getBoundingClientRect().top < 0 ? "bottom" : "top";
  if (inset.dataset.side !== side) inset.dataset.side = side;
  if (inset.dataset.edge !== edge) inset.dataset.edge = edge;
}

// At once: an answer is on screen at the next frame. `live`: a live decode (else the
// committed point's digit, sent with a rerun).
function paintDigit(c, grey, x, y, live = true) {
  drawDigit(c.el.digit, grey);
  drawDigit(c.el.inset, grey);
  c.el.caption.textContent = `p(x | z) at (${x.toFixed(2)}, ${y.toFixed(2)})`;
  probe("paints", { x, y, live });
}

function resize(c, force = false) {
  const { canvas } = c.el;
  const { layer } = c.paint;
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(200, Math.min(560, canvas.parentElement.clientWidth));
  const height = width;
  // The page's layout settles in several steps while it loads: a step that leaves the map's
  // size as it was must not reallocate the canvases and redraw the 10,000 points.
  if (!force && c.paint.dpr === dpr && canvas.style.width === `${width}px`) {
    markStacked(c);
    return;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  layer.width = canvas.width;
  layer.height = canvas.height;
  c.paint.dpr = dpr;
  showFrame(c, c.state.setSize(width, height));
  markStacked(c);
  c.paint.layerDirty = true;
  schedule(c);
}

function markStacked(c) {  // whether the digit wrapped below the map (a narrow screen)
  const { canvas, digitBox } = c.el;
  const below = digitBox.getBoundingClientRect().top >= canvas.getBoundingClientRect().bottom;
  c.root.dataset.stacked = String(below);
}

function showFrame(c, f) {  // the plot frame, for tests that aim at a view point
  if (f) c.root.dataset.frame = [f.x0, f.x1, f.y0, f.y1, f.left, f.top, f.width, f.height].join(",");
}

function setBounds(c, bounds) {  // zoomed or panned to `bounds` (null: the whole view)
  const frame = c.state.setZoom(bounds);
  c.el.reset.disabled = !bounds;
  showFrame(c, frame);
  c.paint.layerDirty = true;
  askRegions(c);
  schedule(c);
}

function askRegions(c) {
  const { view } = c.state;
  if (!c.el.regionsBox.checked || !view) return;
  const [[x0, x1], [y0, y1]] = c.state.bounds();
  const r = (v) => v.toFixed(3);
  c.regions.ask(`${view.regions}&digit=${view.digit}&x0=${r(x0)}&x1=${r(x1)}`
    + `&y0=${r(y0)}&y1=${r(y1)}`, view.colours);
}

function schedule(c) {
  if (!c.paint.raf) c.paint.raf = requestAnimationFrame(() => frame(c));
}

function frame(c) {
  const { state: s, paint } = c;
  paint.raf = 0;
  if (!s.view || !s.frame) return;
  if (paint.layerDirty) {
    drawPointsLayer(paint.layer, s.frame, s.points, s.view.colours, s.hidden, paint.dpr);
    paint.layerDirty = false;
  }
  const drawn = drawMap(c.el.canvas, paint.layer, s.frame, s.view, s.point, paint.dpr, {
    under: (ctx) => {
      if (c.el.regionsBox.checked && withLayers.module) {
        withLayers.module.drawRegions(ctx, s.frame, s.regions);
      }
    },
    over: (ctx) => {
      if (withLayers.module) return withLayers.module.drawEllipses(ctx, s.frame, s.view);
      if ((s.view.ellipses || []).length) withLayers(() => schedule(c));  // then drawn
      return [];
    },
    mark: s.mark >= 0 && s.points ? [s.points.xs[s.mark], s.points.ys[s.mark]] : null,
  });
  probe("ellipses", drawn, true);
}

function moveTo(c, x, y) {
  const { view } = c.state;
  const [px, py] = c.state.moveTo(x, y);
  c.root.dataset.point = `${px.toFixed(3)},${py.toFixed(3)}`;
  probe("pointer", { x: px, y: py });
  if (!c.transport) {
    c.transport = createTransport(liveUrl(view.live), (d) => paintDigit(c, d.grey, d.x, d.y),
                                  (state, reason) => onLive(c, state, reason));
  }
  // Ask at once (not at the next frame): the transport keeps the latest position and a
  // few requests in flight, and browsers send pointer moves about once per frame.
  c.transport.request(view.model, view.digit, px, py, view.plane);
  if (c.input.drag) placeInset(c);
  announce(c);
  schedule(c);
}

function commit(c) {
  const [x, y] = c.state.point;
  c.api.setStateValue("commit", { x, y, at: Date.now() });
}

function pickOrMove(c, px, py) {  // a click: pick the test digit under it, else move there
  const index = c.state.digitAt(px, py);
  if (index >= 0) {
    c.api.setTriggerValue("pick", { index });
    return;
  }
  const [x, y] = c.state.frame.fromPx(px, py);
  moveTo(c, x, y);
  commit(c);
}

function preview(c, px, py) {  // the preview of the test digit under (px, py), if any
  const index = c.state.digitAt(px, py);
  if (index >= 0) c.hover.show(index, c.state.points.labels[index], px, py); else c.hover.hide();
}

function stepNear(c, dir) {  // show the next (dir 1) or previous (-1) digit nearest the point
  const s = c.state;
  const index = s.stepNear(dir);
  if (index < 0) return;
  const label = s.points.labels[index];
  const [px, py] = s.frame.toPx(s.points.xs[index], s.points.ys[index]);
  c.hover.show(index, label, px, py);
  clearTimeout(c.timers.status);
  setStatus(c, nearStatus(index, label, s.nearAt, s.near.length));
  schedule(c);
}

function buildToggles(c) {  // the class toggles and the regions legend's keys
  const { colours, text_colours: texts } = c.state.view;
  const keys = c.el.legend.querySelector(".map-legend-keys");
  keys.textContent = "";
  c.el.toggles.textContent = "";
  for (let k = 0; k < 10; k += 1) {
    const key = document.createElement("span");
    key.className = "map-legend-key";
    key.textContent = String(k);
    key.style.background = colours[k];
    key.style.color = texts[k];
    keys.appendChild(key);
  }
  for (let k = 0; k < 10; k += 1) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "map-toggle";
    b.textContent = String(k);
    b.style.setProperty("--class-colour", colours[k]);
    b.style.setProperty("--class-text", texts[k]);
    b.setAttribute("aria-pressed", String(!c.state.hidden.has(k)));
    b.title = `show or hide the test digits of class ${k}`;
    b.addEventListener("click", () => {
      b.setAttribute("aria-pressed", String(c.state.toggleClass(k)));
      c.paint.layerDirty = true;
      schedule(c);
    });
    c.el.toggles.appendChild(b);
  }
}

function showPoints(c, url) {  // load the test digits of `url`, then draw them
  loadPoints(url).then((points) => {
    if (!c.state.setPoints(url, points)) return;
    c.root.dataset.points = String(points.labels.length);
    c.paint.layerDirty = true;
    schedule(c);
  }).catch((err) => setStatus(c, `The test digits could not be loaded (${err.message}).`));
}

function update(c, view) {  // new view data from Python (each rerun)
  const s = c.state;
  const dragging = Boolean(c.input.drag);
  const change = s.setView(view, dragging);
  if (change.unzoomed) c.el.reset.disabled = true;
  if (change.newRegions) askRegions(c);
  if (change.first) buildToggles(c);
  if (!dragging) {
    c.root.dataset.point = `${s.point[0].toFixed(3)},${s.point[1].toFixed(3)}`;
    if (view.image) paintDigit(c, base64Bytes(view.image), s.point[0], s.point[1], false);
  }
  if (change.newBounds || change.newModel) resize(c, true);
  announce(c);
  if (s.wantPoints(view.points)) showPoints(c, view.points);
  c.paint.layerDirty = c.paint.layerDirty || change.newBounds;
  schedule(c);
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".cvae-map");
  if (!root || !data) return undefined;
  let map = MAPS.get(root);
  if (!map) {
    map = createMap(root);
    MAPS.set(root, map);
  }
  return map.mount({ setStateValue, setTriggerValue }, data);
}
