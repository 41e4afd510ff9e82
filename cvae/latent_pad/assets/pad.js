// Latent pad: a 2-D handle over the latent view frame (st.components.v2 module).
//
// Dragging streams positions to decode to Python as the trigger "move" ({x, y, seq}):
// the handle's, led along its velocity (see LEAD), throttled and latest-wins: positions
// that arrive faster than they can be sent are replaced by the newest one. At most MAX_IN_FLIGHT positions are unanswered at a time
// (an answer is a frame with data.ack >= seq; after RESEND_MS without one, the missing
// answers are written off), and sends are at least MIN_INTERVAL_MS apart. Releasing the
// pointer (or an arrow key) commits the point as the state value "commit" ({x, y, at}).
//
// Between frames the digit follows the pointer from the latest frame's atlas: the decodes
// of a k x k grid (spacing h) around the position that frame answered, one tiled PNG. On
// every animation frame of a drag a thumbnail beside the handle shows the atlas cell
// nearest to the handle: a real decode within h/2 of it on both axes (never a blend).
// Outside the atlas it shows the nearest edge cell, dimmed as approximate. The cell
// rounding is cvae/latent_pad/atlas.py's `cell`.
//
// Counters for tests and measurements: data-frames / data-sent / data-previews on the root
// element and window.cvaeLatentPad. `previews` counts only changes of the thumbnail to
// another covered cell's decode (previewLog: the handle and cell point of each); `preview`
// is what the thumbnail shows now; paints / approxPaints count its paintings (in all / as
// approximate).

const MIN_INTERVAL_MS = 30;
// One position in flight: with runner.fastReruns a second one would interrupt the run
// that is drawing the first, wasting it.
const MAX_IN_FLIGHT = 1;
// Long enough that a slow frame is not interrupted by a resend (which would restart it).
const RESEND_MS = 1500;
// A dragged position is sent LEAD round trips ahead along the pointer's velocity (over
// the last TRACK_MS; at most MAX_LEAD_MS ahead), so the atlas of its answer is centred
// about where the pointer is while that atlas is the latest; a pointer at rest for
// SETTLE_MS has its exact position sent.
const LEAD = 1.5;
const TRACK_MS = 100;
const MAX_LEAD_MS = 400;
const SETTLE_MS = 120;
const MARGIN = { left: 44, right: 8, top: 8, bottom: 40 };
const CELL = 28;           // atlas cell size in image pixels
const PREVIEW_GAP = 16;    // CSS px between the handle and the preview thumbnail
const PREVIEW_SIZE = 88;   // its outer size in CSS px (pad.css: 84 px + 2 px borders)
const PREVIEW_LOG = 2000;  // previewLog keeps the latest entries only
const PADS = new WeakMap();

function niceStep(span) {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

function createPad(root) {
  const canvas = root.querySelector(".pad-canvas");
  const readout = root.querySelector(".pad-readout");
  const ctx = canvas.getContext("2d");
  const thumb = root.querySelector(".pad-preview");
  const tctx = thumb.getContext("2d");
  const stats = { frames: 0, sent: 0, commits: 0, previews: 0, lastFrameAt: 0,
                  paints: 0, approxPaints: 0, preview: null, previewLog: [] };
  window.cvaeLatentPad = stats;

  const pad = {
    api: null, view: null, generation: 0,
    size: { w: 0, h: 0, plot: null },
    handle: null,        // where the handle is drawn while dragging or awaiting a commit
    dragging: false, committing: null,
    seq: 0, sentAt: -1e9, pending: null, timer: null,
    lastAck: 0, lastFrame: -1, mapCache: { key: null, canvas: null },
    atlas: null, atlasFrame: -1, previewKey: null,
    track: [], rtt: 0, lastSent: null, settleTimer: null,
  };

  // --- geometry ---------------------------------------------------------------------
  function layout() {
    const v = pad.view;
    if (!v) return;
    const [[x0, x1], [y0, y1]] = v.bounds;
    const w = Math.max(160, Math.round(root.clientWidth || 300));
    let plotW = w - MARGIN.left - MARGIN.right;
    let plotH = plotW * (y1 - y0) / (x1 - x0);
    const maxH = 1.25 * w;
    if (plotH > maxH) { plotW *= maxH / plotH; plotH = maxH; }
    const h = Math.round(plotH + MARGIN.top + MARGIN.bottom);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.height = `${h}px`;
    }
    const left = MARGIN.left + (w - MARGIN.left - MARGIN.right - plotW) / 2;
    pad.size = { w, h, dpr, plot: { left, top: MARGIN.top, width: plotW, height: plotH } };
    const style = getComputedStyle(root);
    pad.colours = { text: style.color || "#31333f",
                    primary: style.getPropertyValue("--st-primary-color").trim() || "#4e79a7" };
    root.dataset.plot = [left, MARGIN.top, plotW, plotH].map((n) => n.toFixed(1)).join(",");
  }

  function toPx([x, y]) {
    const [[x0, x1], [y0, y1]] = pad.view.bounds;
    const p = pad.size.plot;
    return [p.left + (x - x0) / (x1 - x0) * p.width, p.top + (y1 - y) / (y1 - y0) * p.height];
  }

  function fromEvent(event) {
    const rect = pad.rect || canvas.getBoundingClientRect();
    const [[x0, x1], [y0, y1]] = pad.view.bounds;
    const p = pad.size.plot;
    const px = event.clientX - rect.left, py = event.clientY - rect.top;
    return clamp({ x: x0 + (px - p.left) / p.width * (x1 - x0),
                   y: y1 - (py - p.top) / p.height * (y1 - y0) });
  }

  function clamp({ x, y }) {
    const [[x0, x1], [y0, y1]] = pad.view.bounds;
    const round = (v) => Math.round(v * 100) / 100;
    return { x: round(Math.min(x1, Math.max(x0, x))), y: round(Math.min(y1, Math.max(y0, y))) };
  }

  // --- drawing ----------------------------------------------------------------------
  function classMap() {
    const m = pad.view.map;
    if (!m) return null;
    const key = `${m.cells}:${m.classes}`;
    if (pad.mapCache.key === key) return pad.mapCache.canvas;
    const off = document.createElement("canvas");
    off.width = off.height = m.cells;
    const octx = off.getContext("2d");
    for (let i = 0; i < m.classes.length; i++) {
      const c = m.classes.charCodeAt(i) - 48;
      if (c < 0 || c > 9) continue;
      octx.fillStyle = pad.view.colours[c];
      octx.fillRect(i % m.cells, Math.floor(i / m.cells), 1, 1);
    }
    pad.mapCache = { key, canvas: off };
    return off;
  }

  function marker(xy, paint) {
    const [px, py] = toPx(xy);
    ctx.save();
    ctx.translate(px, py);
    paint();
    ctx.restore();
  }

  function draw() {
    const v = pad.view;
    if (!v || !pad.size.plot) return;
    const { w, h, dpr, plot: p } = pad.size;
    const [[x0, x1], [y0, y1]] = v.bounds;
    const text = pad.colours.text;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const map = classMap();
    if (map) {
      ctx.save();
      ctx.globalAlpha = 0.22;
      ctx.imageSmoothingEnabled = false;
      // the map covers the model's plot bounds, which the frame may extend
      const [[mx0, mx1], [my0, my1]] = pad.view.map.bounds || pad.view.bounds;
      const [ax, ay] = toPx([mx0, my1]), [bx, by] = toPx([mx1, my0]);
      ctx.drawImage(map, ax, ay, bx - ax, by - ay);
      ctx.restore();
    }
    ctx.strokeStyle = "rgba(128,128,128,0.5)";
    ctx.lineWidth = 1;
    ctx.strokeRect(p.left + 0.5, p.top + 0.5, p.width - 1, p.height - 1);

    // ticks and zero lines
    ctx.font = "11px sans-serif";
    ctx.fillStyle = text;
    const step = niceStep(Math.max(x1 - x0, y1 - y0));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (let t = Math.ceil(x0 / step) * step; t <= x1 + 1e-9; t += step) {
      const [px] = toPx([t, y0]);
      ctx.fillRect(px, p.top + p.height, 1, 4);
      ctx.fillText(+t.toFixed(2), px, p.top + p.height + 5);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let t = Math.ceil(y0 / step) * step; t <= y1 + 1e-9; t += step) {
      const [, py] = toPx([x0, t]);
      ctx.fillRect(p.left - 4, py, 4, 1);
      ctx.fillText(+t.toFixed(2), p.left - 6, py);
    }
    ctx.strokeStyle = "rgba(128,128,128,0.35)";
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    if (x0 < 0 && x1 > 0) { const [px] = toPx([0, 0]); ctx.moveTo(px, p.top); ctx.lineTo(px, p.top + p.height); }
    if (y0 < 0 && y1 > 0) { const [, py] = toPx([0, 0]); ctx.moveTo(p.left, py); ctx.lineTo(p.left + p.width, py); }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.font = "12px sans-serif";
    ctx.fillText(v.titles[0], p.left + p.width / 2, h - 2);
    ctx.save();
    ctx.translate(12, p.top + p.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(v.titles[1], 0, 0);
    ctx.restore();

    // class centres
    v.centres.forEach((c, i) => marker(c, () => {
      const s = i === v.digit ? 8 : 5;
      ctx.beginPath();
      ctx.moveTo(0, -s); ctx.lineTo(s, 0); ctx.lineTo(0, s); ctx.lineTo(-s, 0); ctx.closePath();
      ctx.fillStyle = v.colours[i];
      ctx.fill();
      ctx.strokeStyle = "#222"; ctx.lineWidth = i === v.digit ? 2 : 1;
      ctx.stroke();
      ctx.fillStyle = "#222"; ctx.font = `${i === v.digit ? "bold " : ""}11px sans-serif`;
      ctx.textBaseline = "bottom";
      ctx.fillText(String(i), 0, -s - 1);
    }));

    // your digit
    if (v.own) marker(v.own, () => {
      ctx.beginPath();
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? 4 : 9, a = -Math.PI / 2 + k * Math.PI / 5;
        ctx.lineTo(r * Math.cos(a), r * Math.sin(a));
      }
      ctx.closePath();
      ctx.fillStyle = v.own_colour || "#e377c2"; ctx.fill();
      ctx.strokeStyle = "#222"; ctx.lineWidth = 1; ctx.stroke();
    });

    // committed point (ghost while the handle is elsewhere) and the handle
    const handle = pad.handle || { x: v.point[0], y: v.point[1] };
    if (pad.handle) marker(v.point, () => {
      ctx.strokeStyle = "rgba(17,17,17,0.6)"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(-5, -5); ctx.lineTo(5, 5); ctx.moveTo(5, -5); ctx.lineTo(-5, 5);
      ctx.stroke();
    });
    marker([handle.x, handle.y], () => {
      ctx.beginPath(); ctx.arc(0, 0, pad.dragging ? 9 : 7, 0, 2 * Math.PI);
      ctx.fillStyle = pad.colours.primary;
      ctx.fill();
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 2.5; ctx.stroke();
      ctx.strokeStyle = "#111"; ctx.lineWidth = 1; ctx.stroke();
    });
    paintPreview();
    const shown = pad.handle || { x: v.point[0], y: v.point[1] };
    readout.textContent = `${v.titles[0]} ${shown.x.toFixed(2)} · ${v.titles[1]} ${shown.y.toFixed(2)}`
      + (pad.dragging ? "  (release to keep)" : "");
  }

  // --- atlas preview ----------------------------------------------------------------
  function loadAtlas(atlas, frame) {
    pad.atlasFrame = frame;
    if (!atlas) { pad.atlas = null; return; }
    const img = new Image();
    img.src = atlas.image;
    img.decode().then(() => {
      if (pad.atlasFrame !== frame) return;  // a newer frame came meanwhile
      pad.atlas = { centre: atlas.centre, spacing: atlas.spacing, k: atlas.k, img };
      requestDraw();
    }, () => { /* a broken image: keep the previous atlas */ });
  }

  function paintPreview() {
    const a = pad.atlas, at = pad.handle;
    if (!a || !at) {
      thumb.hidden = true;
      pad.previewKey = null;
      stats.preview = null;
      return;
    }
    const half = (a.k - 1) / 2;
    let col = Math.floor((at.x - a.centre[0]) / a.spacing + 0.5) + half;
    let row = half - Math.floor((at.y - a.centre[1]) / a.spacing + 0.5);
    const covered = row >= 0 && row < a.k && col >= 0 && col < a.k;
    col = Math.min(a.k - 1, Math.max(0, col));
    row = Math.min(a.k - 1, Math.max(0, row));
    const cell = [a.centre[0] + (col - half) * a.spacing, a.centre[1] - (row - half) * a.spacing];
    const key = cell.map((v) => v.toFixed(4)).join(",");  // the decoded point, not the frame
    const entry = { x: at.x, y: at.y, cell, covered, centre: a.centre, spacing: a.spacing, k: a.k };
    if (key !== pad.previewKey) {
      tctx.drawImage(a.img, col * CELL, row * CELL, CELL, CELL, 0, 0, CELL, CELL);
      pad.previewKey = key;
      if (covered) {
        stats.previews += 1;
        root.dataset.previews = String(stats.previews);
        stats.previewLog.push(entry);
        if (stats.previewLog.length > PREVIEW_LOG) stats.previewLog.shift();
      }
    }
    stats.preview = entry;
    stats.paints += 1;
    if (!covered) stats.approxPaints += 1;
    thumb.dataset.approx = String(!covered);
    thumb.hidden = false;
    const [px, py] = toPx([at.x, at.y]);
    let left = px + PREVIEW_GAP, top = py - PREVIEW_GAP - PREVIEW_SIZE;
    if (left + PREVIEW_SIZE > pad.size.w) left = px - PREVIEW_GAP - PREVIEW_SIZE;
    if (top < 0) top = py + PREVIEW_GAP;
    thumb.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  // --- messages ---------------------------------------------------------------------
  function pump() {
    if (pad.timer) { clearTimeout(pad.timer); pad.timer = null; }
    if (!pad.pending || !pad.api) return;
    const now = performance.now();
    const since = now - pad.sentAt;
    let wait = MIN_INTERVAL_MS - since;
    if (pad.seq - pad.lastAck >= MAX_IN_FLIGHT) {
      if (since < RESEND_MS) wait = Math.max(wait, RESEND_MS - since);
      else pad.lastAck = pad.seq;  // those answers are lost (e.g. a superseded rerun)
    }
    if (wait > 0) { pad.timer = setTimeout(pump, wait); return; }
    pad.seq += 1;
    pad.sentAt = now;
    const { x, y } = aim(pad.pending, now);
    pad.pending = null;
    pad.lastSent = { x, y };
    stats.sent += 1;
    root.dataset.sent = String(stats.sent);
    pad.api.setTriggerValue("move", { x, y, seq: pad.seq });
  }

  // Where the pointer will be about when the answer to a position sent now is shown.
  function aim(xy, now) {
    const t = pad.track, lead = LEAD * pad.rtt;
    if (!pad.dragging || t.length < 2 || now - t[t.length - 1].t > TRACK_MS || !lead) return xy;
    const first = t[0], last = t[t.length - 1], dt = last.t - first.t;
    if (dt <= 0) return xy;
    const ms = Math.min(lead, MAX_LEAD_MS);
    return clamp({ x: xy.x + (last.x - first.x) / dt * ms, y: xy.y + (last.y - first.y) / dt * ms });
  }

  function track(xy) {
    const now = performance.now();
    pad.track.push({ t: now, x: xy.x, y: xy.y });
    while (pad.track.length > 2 && now - pad.track[0].t > TRACK_MS) pad.track.shift();
    clearTimeout(pad.settleTimer);
    pad.settleTimer = setTimeout(() => {
      const h = pad.handle, s = pad.lastSent;
      if (!pad.dragging || !h || (s && s.x === h.x && s.y === h.y)) return;
      pad.track = [];
      pad.pending = h;
      pump();
    }, SETTLE_MS);
  }

  function requestDraw() {
    if (pad.frameRequest) return;
    pad.frameRequest = requestAnimationFrame(() => { pad.frameRequest = 0; draw(); });
  }

  function moveTo(xy) {
    pad.handle = xy;
    pad.pending = xy;
    requestDraw();
    pump();
  }

  function commit() {
    if (!pad.handle || !pad.api) return;
    pad.pending = null;
    if (pad.timer) { clearTimeout(pad.timer); pad.timer = null; }
    pad.committing = pad.handle;
    stats.commits += 1;
    pad.api.setStateValue("commit", { x: pad.handle.x, y: pad.handle.y, at: Date.now() });
  }

  // --- input ------------------------------------------------------------------------
  function onDown(event) {
    if (!pad.view || event.button > 0) return;
    try { canvas.setPointerCapture(event.pointerId); } catch { /* synthetic or stale pointer */ }
    pad.dragging = true;
    pad.rect = canvas.getBoundingClientRect();
    root.dataset.dragging = "true";
    pad.track = [];
    const xy = fromEvent(event);
    track(xy);
    moveTo(xy);
    event.preventDefault();
  }
  function onMove(event) {
    if (!pad.dragging) return;
    const xy = fromEvent(event);
    track(xy);
    moveTo(xy);
  }
  function onUp(event) {
    if (!pad.dragging) return;
    pad.dragging = false;
    root.dataset.dragging = "false";
    if (event.type === "pointerup") pad.handle = fromEvent(event);
    pad.rect = null;
    commit();
    draw();
  }
  function onKey(event) {
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const d = dirs[event.key];
    if (!d || !pad.view) return;
    event.preventDefault();
    const [[x0, x1], [y0, y1]] = pad.view.bounds;
    const stepX = event.shiftKey ? (x1 - x0) / 10 : 0.05, stepY = event.shiftKey ? (y1 - y0) / 10 : 0.05;
    const from = pad.handle || { x: pad.view.point[0], y: pad.view.point[1] };
    if (event.type === "keydown") moveTo(clamp({ x: from.x + d[0] * stepX, y: from.y + d[1] * stepY }));
    else commit();
  }

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  canvas.addEventListener("lostpointercapture", onUp);
  canvas.addEventListener("keydown", onKey);
  canvas.addEventListener("keyup", onKey);
  const resize = new ResizeObserver(() => { layout(); draw(); });
  resize.observe(root);

  pad.update = (data) => {
    if (!data || typeof data.frame !== "number" || data.frame <= pad.lastFrame) return;
    pad.lastFrame = data.frame;
    const frameChanged = !pad.view || JSON.stringify(pad.view.bounds) !== JSON.stringify(data.bounds);
    pad.view = data;
    loadAtlas(data.atlas, data.frame);
    if (typeof data.ack === "number") {  // a new frame drawn for a dragged position
      if (data.ack === pad.seq) {
        const rtt = performance.now() - pad.sentAt;
        pad.rtt = pad.rtt ? 0.7 * pad.rtt + 0.3 * rtt : rtt;
      }
      pad.lastAck = Math.max(pad.lastAck, data.ack);
      stats.frames += 1;
      stats.lastFrameAt = performance.now();
      root.dataset.frames = String(stats.frames);
    }
    if (pad.committing && !pad.dragging) {
      const [px, py] = data.point;
      const c = pad.committing;
      // The commit landed once the server's point is the committed one (after clamping);
      // a frame with no live point also means the server has moved on.
      if ((Math.abs(px - c.x) < 0.006 && Math.abs(py - c.y) < 0.006) || data.live === null) {
        pad.committing = null;
        pad.handle = null;
      }
    } else if (!pad.dragging && !pad.committing) {
      pad.handle = null;
    }
    if (frameChanged || !pad.size.plot) layout();
    requestDraw();
    pump();
  };
  pad.destroy = () => {
    resize.disconnect();
    if (pad.timer) clearTimeout(pad.timer);
    clearTimeout(pad.settleTimer);
    for (const [type, fn] of [["pointerdown", onDown], ["pointermove", onMove],
      ["pointerup", onUp], ["pointercancel", onUp], ["lostpointercapture", onUp],
      ["keydown", onKey], ["keyup", onKey]]) canvas.removeEventListener(type, fn);
    PADS.delete(root);
  };
  return pad;
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".cvae-pad");
  if (!root) return undefined;
  let pad = PADS.get(root);
  if (!pad) {
    pad = createPad(root);
    PADS.set(root, pad);
  }
  pad.api = { setStateValue, setTriggerValue };
  pad.generation += 1;
  const generation = pad.generation;
  pad.update(data);
  // Streamlit calls this module again for every new `data`; only the cleanup of the latest
  // call (run when the element unmounts) tears the pad down.
  return () => { if (pad.generation === generation) pad.destroy(); };
}
