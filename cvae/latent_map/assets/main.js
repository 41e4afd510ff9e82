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
// or the reset button; dragging empty space pans, dragging the point (within GRAB_RADIUS of
// it) moves it, so a drag decodes the exact view position under the pointer at any zoom.
// A test digit under a mouse (or a finger held still for HOLD_MS) shows its picture, index
// and label beside it (hover.js); N (shift+N back) steps through the digits nearest the
// point with the same preview, said in the status, and Enter picks the one shown.
// Layers (layers.js): the prior and posterior ellipses of the view data, and the decoder
// regions (off until its checkbox is ticked), fetched for the visible region.
// Keys pressed in the map stay in it (Streamlit's shortcuts, "r" = rerun, never see them).
// A polite live region says, once the point rests, where it is and what the judge (a
// separate classifier) reads in the decoded digit there (`reading` in the view data).
// With window.__cvaeTest set (tests and benchmarks only), each digit painted is logged
// in window.__cvaeTest.paints as {t, x, y} and each pointer position in .pointer; each hover
// preview painted in .previews as {t, index}, each regions lattice drawn in .regions as
// {t, n, x0, x1, y0, y1}, the ellipses of the last frame in .ellipses and each live-channel
// state in .live as {t, state} (a reconnect may pass in one frame: too quick to poll for).

import { clampToFrame, makeFrame, nearestPoint, parsePoints } from "./geometry.js";
import { drawDigit, drawMap, drawPointsLayer } from "./render.js";
import { createTransport, liveUrl } from "./transport.js";
import { nearestDigits, panBy, pinch, wheelFactor, zoomAt } from "./zoom.js";
// hover.js and layers.js load when first needed (lazyHover, lazyRegions, withLayers), so
// they add nothing to the map's first load.

const PICK_RADIUS = 8;     // CSS px
const CLICK_SLOP = 4;      // CSS px a click may move and still be a click
const KEY_STEP = 0.05;
const KEY_STEP_BIG = 0.5;
const GRAB_RADIUS = 18;    // CSS px from the point within which a drag moves the point
const HOLD_MS = 400;       // a finger held still this long shows the digit under it
const KEY_ZOOM = 1.25;
const NEAR_K = 10;         // the digits N steps through
const STATUS_DELAY_MS = 700;  // the point rests this long before the status speaks
const LIVE_AGAIN_MS = 2500;   // how long "live again" stays up after a reconnect
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

function createMap(root) {
  const canvas = root.querySelector(".map-canvas");
  const digitCanvas = root.querySelector(".map-digit");
  const caption = root.querySelector(".map-digit-caption");
  const status = root.querySelector(".map-status");
  const liveNote = root.querySelector(".map-live");
  const inset = root.querySelector(".map-inset");
  const digitBox = root.querySelector(".map-digit-box");
  const toggles = root.querySelector(".map-toggles");
  const resetButton = root.querySelector(".map-reset");
  const regionsBox = root.querySelector(".map-regions-toggle");
  const legend = root.querySelector(".map-legend");
  const layer = document.createElement("canvas");
  const m = { view: null, points: null, pointsUrl: null, hidden: new Set(), frame: null,
              point: [0, 0], drag: null, dirty: true, layerDirty: true, raf: 0,
              api: null, transport: null, liveState: "idle", generation: 0,
              statusTimer: 0, liveTimer: 0, zoom: null, pointers: new Map(), holdTimer: 0,
              near: [], nearAt: -1, mark: -1, regions: null };
  const test = () => window.__cvaeTest;
  const hover = lazyHover(root.querySelector(".map-hover"), canvas.parentElement, (index) => {
    const t = test();
    if (t) (t.previews = t.previews || []).push({ t: performance.now(), index });
  });
  const regions = lazyRegions((lattice, n) => {
    m.regions = lattice;
    root.dataset.regions = String(n);
    const t = test();
    if (t) {
      (t.regions = t.regions || []).push({ t: performance.now(), n, x0: lattice.x0,
        x1: lattice.x1, y0: lattice.y0, y1: lattice.y1 });
    }
    schedule();
  }, (err) => setStatus(`The decoder regions could not be loaded (${err.message}).`),
  () => Boolean(m.drag));

  function setStatus(text) { status.textContent = text; }
  function setLiveNote(text) {
    clearTimeout(m.liveTimer);
    liveNote.textContent = text;
  }
  function onLive(state, reason) {
    const before = m.liveState;
    m.liveState = state;
    root.dataset.live = state;
    const t = test();
    if (t) (t.live = t.live || []).push({ t: performance.now(), state });
    const release = "release the point to see its digit.";
    if (state === "live") {
      if (before === "idle") return;
      setLiveNote("Live again.");
      m.liveTimer = setTimeout(() => { liveNote.textContent = ""; }, LIVE_AGAIN_MS);
    } else if (state === "reconnecting") {
      setLiveNote(`Reconnecting… ${release[0].toUpperCase()}${release.slice(1)}`);
    } else if (state === "unavailable") {
      setLiveNote(`Live decoding is unavailable here (still trying): ${release}`);
    } else if (state === "refused") {
      setLiveNote(`Live decoding was refused here${reason ? ` (${reason})` : ""}: ${release}`);
    } else {
      setLiveNote("");
    }
  }
  // Once the point rests: where it is and, when the view data is of this very point, what
  // the judge reads in its decoded digit.
  function announce() {
    clearTimeout(m.statusTimer);
    m.statusTimer = setTimeout(() => {
      const v = m.view;
      if (!v || m.drag) return;
      const [x, y] = m.point;
      let text = `Point at ${v.titles[0]} ${x.toFixed(2)}, ${v.titles[1]} ${y.toFixed(2)}.`;
      const here = Math.abs(v.point[0] - x) < 0.005 && Math.abs(v.point[1] - y) < 0.005;
      if (v.reading && here) {
        const article = v.reading[0] === 8 ? "an" : "a";
        text += ` The judge reads the decoded digit as ${article} ${v.reading[0]}`
          + ` (${Math.round(v.reading[1] * 100)}%).`;
      }
      setStatus(text);
    }, STATUS_DELAY_MS);
  }
  function placeInset() {  // the top corner away from the point (bottom if the top is off-screen)
    const [px] = m.frame.toPx(m.point[0], m.point[1]);
    const side = px > m.frame.left + m.frame.width / 2 ? "left" : "right";
    const edge = canvas.getBoundingClientRect().top < 0 ? "bottom" : "top";
    if (inset.dataset.side !== side) inset.dataset.side = side;
    if (inset.dataset.edge !== edge) inset.dataset.edge = edge;
  }
  // At once: an answer is on screen at the next frame. `live`: a live decode (else the
  // committed point's digit, sent with a rerun).
  function paintDigit(grey, x, y, live = true) {
    drawDigit(digitCanvas, grey);
    drawDigit(inset, grey);
    caption.textContent = `p(x | z) at (${x.toFixed(2)}, ${y.toFixed(2)})`;
    const t = test();
    if (t) t.paints.push({ t: performance.now(), x, y, live });
  }
  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(200, Math.min(560, canvas.parentElement.clientWidth));
    const height = width;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    layer.width = canvas.width;
    layer.height = canvas.height;
    m.dpr = dpr;
    m.size = [width, height];
    setFrame();
    // Stacked: the digit wrapped below the map (a narrow screen).
    const below = digitBox.getBoundingClientRect().top >= canvas.getBoundingClientRect().bottom;
    root.dataset.stacked = String(below);
    m.layerDirty = true;
    schedule();
  }
  function bounds() { return m.zoom || m.view.bounds; }
  function setFrame() {
    if (!m.view || !m.size) return;
    m.frame = makeFrame(bounds(), m.size[0], m.size[1]);
    const f = m.frame;  // the plot frame, for tests that aim at a view point
    root.dataset.frame = [f.x0, f.x1, f.y0, f.y1, f.left, f.top, f.width, f.height].join(",");
  }
  function setBounds(b) {  // zoomed or panned to `b` (null: the whole view)
    m.zoom = b;
    resetButton.disabled = !b;
    setFrame();
    m.layerDirty = true;
    m.near = [];
    askRegions();
    schedule();
  }
  function askRegions() {
    if (!regionsBox.checked || !m.view) return;
    const [[x0, x1], [y0, y1]] = bounds();
    const r = (v) => v.toFixed(3);
    regions.ask(`${m.view.regions}&digit=${m.view.digit}&x0=${r(x0)}&x1=${r(x1)}`
      + `&y0=${r(y0)}&y1=${r(y1)}`, m.view.colours);
  }
  function schedule() {
    if (!m.raf) m.raf = requestAnimationFrame(frame);
  }
  function frame() {
    m.raf = 0;
    if (!m.view || !m.frame) return;
    if (m.layerDirty) {
      drawPointsLayer(layer, m.frame, m.points, m.view.colours, m.hidden, m.dpr);
      m.layerDirty = false;
    }
    const drawn = drawMap(canvas, layer, m.frame, m.view, m.point, m.dpr, {
      under: (ctx) => {
        if (regionsBox.checked && withLayers.module) {
          withLayers.module.drawRegions(ctx, m.frame, m.regions);
        }
      },
      over: (ctx) => {
        if (withLayers.module) return withLayers.module.drawEllipses(ctx, m.frame, m.view);
        if ((m.view.ellipses || []).length) withLayers(() => schedule());  // then drawn
        return [];
      },
      mark: m.mark >= 0 && m.points ? [m.points.xs[m.mark], m.points.ys[m.mark]] : null,
    });
    const t = test();
    if (t) t.ellipses = drawn;
  }
  function pointerPos(event) {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }
  function moveTo(x, y) {
    m.point = clampToFrame(makeFrame(m.view.bounds, 1, 1), x, y);
    m.near = [];
    root.dataset.point = `${m.point[0].toFixed(3)},${m.point[1].toFixed(3)}`;
    const t = test();
    if (t) t.pointer.push({ t: performance.now(), x: m.point[0], y: m.point[1] });
    if (!m.transport) {
      m.transport = createTransport(liveUrl(m.view.live), (d) => paintDigit(d.grey, d.x, d.y),
                                    onLive);
    }
    // Ask at once (not at the next frame): the transport keeps the latest position and a
    // few requests in flight, and browsers send pointer moves about once per frame.
    m.transport.request(m.view.model, m.view.digit, m.point[0], m.point[1], m.view.plane);
    if (m.drag) placeInset();
    announce();
    schedule();
  }
  function commit() {
    m.api.setStateValue("commit", { x: m.point[0], y: m.point[1], at: Date.now() });
  }
  function pickOrMove(px, py) {  // a click: pick the test digit under it, else move there
    const index = m.points
      ? nearestPoint(m.points, m.frame, m.hidden, px, py, PICK_RADIUS) : -1;
    if (index >= 0) {
      m.api.setTriggerValue("pick", { index });
      return;
    }
    const [x, y] = m.frame.fromPx(px, py);
    moveTo(x, y);
    commit();
  }
  function showDigitAt(px, py) {  // the preview of the test digit under (px, py), if any
    const index = m.points
      ? nearestPoint(m.points, m.frame, m.hidden, px, py, PICK_RADIUS) : -1;
    if (index >= 0) hover.show(index, m.points.labels[index], px, py); else hover.hide();
  }
  function nearPoint(px, py) {
    const [qx, qy] = m.frame.toPx(m.point[0], m.point[1]);
    return Math.hypot(px - qx, py - qy) <= GRAB_RADIUS;
  }
  function onDown(event) {
    if (!m.frame || event.button > 0) return;
    canvas.setPointerCapture(event.pointerId);
    const [px, py] = pointerPos(event);
    m.pointers.set(event.pointerId, [px, py]);
    canvas.focus({ preventScroll: true });
    event.preventDefault();
    hover.hide();
    clearTimeout(m.holdTimer);
    if (m.pointers.size >= 2) {  // a second finger: pinch (a point drag so far is kept)
      if (m.drag && m.drag.kind === "point" && m.drag.moved) commit();
      root.dataset.dragging = "false";
      m.drag = { kind: "pinch" };
      return;
    }
    const kind = nearPoint(px, py) ? "point" : "pan";
    m.drag = { id: event.pointerId, px, py, moved: false, kind, bounds: bounds() };
    if (kind === "point") placeInset();
    if (event.pointerType !== "mouse" && kind === "pan") {
      m.holdTimer = setTimeout(() => {
        if (m.drag && !m.drag.moved) { m.drag.held = true; showDigitAt(px, py); }
      }, HOLD_MS);
    }
  }
  function onMove(event) {
    const pos = pointerPos(event);
    const before = m.pointers.get(event.pointerId);
    if (before) m.pointers.set(event.pointerId, pos);
    if (!m.drag) {  // a mouse over the map: preview the digit under it
      if (event.pointerType === "mouse" && m.frame) {
        showDigitAt(pos[0], pos[1]);
        canvas.style.cursor = nearPoint(pos[0], pos[1]) ? "grab" : "";
      }
      return;
    }
    if (m.drag.kind === "pinch") {
      const other = [...m.pointers].find(([id]) => id !== event.pointerId);
      if (before && other) {
        setBounds(pinch(bounds(), m.frame.fromPx, before, other[1], pos, other[1]));
      }
      return;
    }
    if (event.pointerId !== m.drag.id) return;
    const [px, py] = pos;
    if (!m.drag.moved && Math.hypot(px - m.drag.px, py - m.drag.py) < CLICK_SLOP) return;
    m.drag.moved = true;
    clearTimeout(m.holdTimer);
    if (m.drag.held) { showDigitAt(px, py); return; }  // a held finger: previews follow it
    if (m.drag.kind === "pan") {
      const [[x0, x1], [y0, y1]] = m.drag.bounds;
      setBounds(panBy(m.drag.bounds, -((px - m.drag.px) / m.frame.width) * (x1 - x0),
                      ((py - m.drag.py) / m.frame.height) * (y1 - y0)));
      return;
    }
    root.dataset.dragging = "true";
    const [x, y] = m.frame.fromPx(px, py);
    moveTo(x, y);
  }
  function onUp(event) {
    m.pointers.delete(event.pointerId);
    clearTimeout(m.holdTimer);
    if (!m.drag) return;
    if (m.drag.kind === "pinch") {
      if (m.pointers.size === 0) m.drag = null;
      return;
    }
    if (event.pointerId !== m.drag.id) return;
    const drag = m.drag;
    m.drag = null;
    root.dataset.dragging = "false";
    announce();
    if (drag.held) return;  // the preview stays until the next touch
    if (event.type === "pointercancel" && !drag.moved) return;
    if (!drag.moved) pickOrMove(drag.px, drag.py);
    else if (drag.kind === "point") commit();
  }
  function onEnter(event) { if (event.pointerType === "mouse") hover.warm(); }
  function onLeave(event) {
    if (event.pointerType === "mouse" && !m.drag) hover.hide();
  }
  function onWheel(event) {  // wheel, or a trackpad's scroll and pinch (ctrlKey)
    if (!m.frame) return;
    event.preventDefault();
    const [x, y] = m.frame.fromPx(...pointerPos(event));
    setBounds(zoomAt(bounds(), x, y, wheelFactor(event.deltaY, event.deltaMode)));
  }
  function stepNear(dir) {  // show the next (dir 1) or previous (-1) digit nearest the point
    if (!m.points) return;
    if (!m.near.length) {
      m.near = nearestDigits(m.points, m.frame, m.hidden, m.point[0], m.point[1], NEAR_K);
      m.nearAt = dir > 0 ? -1 : 0;
    }
    if (!m.near.length) return;
    m.nearAt = (m.nearAt + dir + m.near.length) % m.near.length;
    const index = m.near[m.nearAt];
    const label = m.points.labels[index];
    m.mark = index;
    const [px, py] = m.frame.toPx(m.points.xs[index], m.points.ys[index]);
    hover.show(index, label, px, py);
    clearTimeout(m.statusTimer);
    setStatus(`Test digit #${index}, label ${label}: ${m.nearAt + 1} of ${m.near.length} `
      + "nearest the point. Enter picks it.");
    schedule();
  }
  function onKey(event) {
    const zooms = { "+": 1 / KEY_ZOOM, "=": 1 / KEY_ZOOM, "-": KEY_ZOOM, "_": KEY_ZOOM,
      "−": KEY_ZOOM };
    if (event.type === "keydown" && m.frame) {
      let done = true;
      if (event.key in zooms) setBounds(zoomAt(bounds(), m.point[0], m.point[1], zooms[event.key]));
      else if (event.key === "0") setBounds(null);
      else if (event.key === "n" || event.key === "N") stepNear(event.shiftKey ? -1 : 1);
      else if (event.key === "Enter" && m.near.length && m.nearAt >= 0) {
        m.api.setTriggerValue("pick", { index: m.near[m.nearAt] });
      } else if (event.key === "Escape") { hover.hide(); m.mark = -1; m.near = []; schedule(); }
      else done = false;
      if (done) { event.preventDefault(); return; }
    }
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const dir = dirs[event.key];
    if (!dir || !m.frame) return;
    event.preventDefault();
    if (event.type === "keyup") { commit(); return; }
    hover.hide();
    m.mark = -1;
    const step = event.shiftKey ? KEY_STEP_BIG : KEY_STEP;
    moveTo(m.point[0] + dir[0] * step, m.point[1] + dir[1] * step);
  }
  function buildToggles() {
    const keys = legend.querySelector(".map-legend-keys");
    keys.textContent = "";
    for (let c = 0; c < 10; c += 1) {
      const k = document.createElement("span");
      k.className = "map-legend-key";
      k.textContent = String(c);
      k.style.background = m.view.colours[c];
      k.style.color = m.view.text_colours[c];
      keys.appendChild(k);
    }
    toggles.textContent = "";
    for (let c = 0; c < 10; c += 1) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "map-toggle";
      b.textContent = String(c);
      b.style.setProperty("--class-colour", m.view.colours[c]);
      b.style.setProperty("--class-text", m.view.text_colours[c]);
      b.setAttribute("aria-pressed", String(!m.hidden.has(c)));
      b.title = `show or hide the test digits of class ${c}`;
      b.addEventListener("click", () => {
        if (m.hidden.has(c)) m.hidden.delete(c); else m.hidden.add(c);
        b.setAttribute("aria-pressed", String(!m.hidden.has(c)));
        m.layerDirty = true;
        schedule();
      });
      toggles.appendChild(b);
    }
  }
  const events = [["pointerdown", onDown], ["pointermove", onMove], ["pointerup", onUp],
    ["pointercancel", onUp], ["pointerenter", onEnter], ["pointerleave", onLeave],
    ["keydown", onKey], ["keyup", onKey], ["wheel", onWheel]];
  for (const [type, fn] of events) canvas.addEventListener(type, fn, { passive: false });
  const onReset = () => setBounds(null);
  const onRegions = () => {
    legend.hidden = !regionsBox.checked;
    if (regionsBox.checked) askRegions(); else { regions.stop(); m.regions = null; }
    schedule();
  };
  resetButton.addEventListener("click", onReset);
  regionsBox.addEventListener("change", onRegions);
  // Keys typed in the map are the map's: Streamlit's page shortcuts never hear them.
  const keep = (event) => event.stopPropagation();
  for (const type of ["keydown", "keyup", "keypress"]) root.addEventListener(type, keep);
  const observer = new ResizeObserver(resize);
  observer.observe(root);

  m.update = (view) => {
    const first = !m.view;
    const newBounds = JSON.stringify(m.view && m.view.bounds) !== JSON.stringify(view.bounds);
    const newModel = !m.view || m.view.model !== view.model || m.view.plane !== view.plane;
    const newRegions = first || newModel || m.view.digit !== view.digit
      || m.view.regions !== view.regions;
    m.view = view;
    if (newModel && m.zoom) { m.zoom = null; resetButton.disabled = true; }
    if (newRegions) { m.regions = null; askRegions(); }
    if (first) buildToggles();
    if (!m.drag) {
      m.point = [view.point[0], view.point[1]];
      root.dataset.point = `${m.point[0].toFixed(3)},${m.point[1].toFixed(3)}`;
      if (view.image) paintDigit(base64Bytes(view.image), m.point[0], m.point[1], false);
    }
    if (newBounds || newModel) resize();
    announce();
    if (view.points !== m.pointsUrl) {
      m.pointsUrl = view.points;
      m.points = null;
      loadPoints(view.points).then((pts) => {
        if (m.pointsUrl !== view.points) return;
        m.points = pts;
        root.dataset.points = String(pts.labels.length);
        m.layerDirty = true;
        schedule();
      }).catch((err) => setStatus(`The test digits could not be loaded (${err.message}).`));
    }
    m.layerDirty = m.layerDirty || newBounds;
    schedule();
  };
  m.destroy = () => {
    observer.disconnect();
    clearTimeout(m.statusTimer);
    clearTimeout(m.liveTimer);
    clearTimeout(m.holdTimer);
    regions.stop();
    resetButton.removeEventListener("click", onReset);
    regionsBox.removeEventListener("change", onRegions);
    for (const [type, fn] of events) canvas.removeEventListener(type, fn);
    for (const type of ["keydown", "keyup", "keypress"]) root.removeEventListener(type, keep);
    if (m.transport) m.transport.close();
    MAPS.delete(root);
  };
  return m;
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".cvae-map");
  if (!root || !data) return undefined;
  let m = MAPS.get(root);
  if (!m) {
    m = createMap(root);
    MAPS.set(root, m);
  }
  m.api = { setStateValue, setTriggerValue };
  m.generation += 1;
  const generation = m.generation;
  m.update(data);
  return () => { if (m.generation === generation) m.destroy(); };
}
