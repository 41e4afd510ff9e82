// The map's extra layers: posterior and prior ellipses (from the view data's `ellipses`)
// and the decoder-regions tint (fetched from the regions route, cvae/live/regions.py).

import { clipToFrame } from "./render.js";

const STYLE = {  // not colour alone: each ellipse is labelled; 1σ solid, 2σ dashed
  prior: { colour: "rgba(90,90,90,0.55)", width: 1, label: (v) => `prior of ${v.digit}` },
  picked: { colour: "#d62728", width: 2, label: () => "picked q(z|x)" },
  own: { colour: null, width: 2, label: () => "your q(z|x)" },
};
const OUTLINE_STEPS = 72;

// The `sigma` contour of ellipse `e` ({centre, axes, angle}) as canvas pixels.
export function ellipseOutline(e, sigma, frame) {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const out = [];
  for (let k = 0; k <= OUTLINE_STEPS; k += 1) {
    const t = (k / OUTLINE_STEPS) * 2 * Math.PI;
    const lx = sigma * e.axes[0] * Math.cos(t);
    const ly = sigma * e.axes[1] * Math.sin(t);
    out.push(frame.toPx(e.centre[0] + lx * c - ly * s, e.centre[1] + lx * s + ly * c));
  }
  return out;
}

// The view's ellipses, clipped to the plot frame; returns which were drawn ("of" names).
export function drawEllipses(ctx, frame, view) {
  const drawn = [];
  clipToFrame(ctx, frame);
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left";
  for (const e of view.ellipses || []) {
    const style = STYLE[e.of];
    if (!style) continue;
    const colour = style.colour || view.own_colour;
    ctx.strokeStyle = colour;
    ctx.lineWidth = style.width;
    let top = null;
    drawn.push(e.of);
    for (const sigma of e.sigmas) {
      const pts = ellipseOutline(e, sigma, frame);
      ctx.setLineDash(sigma > 1 ? [5, 4] : []);
      ctx.beginPath();
      for (const [px, py] of pts) ctx.lineTo(px, py);
      ctx.stroke();
      top = pts.reduce((a, b) => (b[1] < a[1] ? b : a));
    }
    ctx.setLineDash([]);
    if (top) {
      ctx.fillStyle = e.of === "prior" ? "rgba(70,70,70,0.9)" : colour;
      ctx.fillText(`${style.label(view)} 1σ/2σ`, top[0] + 4, top[1] - 3);
    }
  }
  ctx.restore();
  return drawn;
}

// Parse a regions binary: "CVRG", version 1, n, digit, 0, float32 x0 x1 y0 y1, labels, conf.
export function parseRegions(buffer) {
  const v = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  const n = v.getUint8(5);
  if (magic !== "CVRG" || v.getUint8(4) !== 1 || buffer.byteLength !== 24 + 2 * n * n) {
    throw new Error("not a regions binary of this version");
  }
  return { n, digit: v.getUint8(6), x0: v.getFloat32(8, true), x1: v.getFloat32(12, true),
           y0: v.getFloat32(16, true), y1: v.getFloat32(20, true),
           labels: new Uint8Array(buffer, 24, n * n), conf: new Uint8Array(buffer, 24 + n * n, n * n) };
}

function rgb(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

// The lattice as an n x n offscreen canvas: each cell the judge's class colour, its
// confidence as opacity (at most MAX_ALPHA, so the points stay readable).
const MAX_ALPHA = 0.55;
export function regionsCanvas(regions, colours) {
  const { n, labels, conf } = regions;
  const canvas = document.createElement("canvas");
  canvas.width = n; canvas.height = n;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(n, n);
  const palette = colours.map(rgb);
  for (let i = 0; i < n * n; i += 1) {
    const [r, g, b] = palette[labels[i]] || [128, 128, 128];
    image.data[4 * i] = r; image.data[4 * i + 1] = g; image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = Math.round(conf[i] * MAX_ALPHA);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

export function drawRegions(ctx, frame, layer) {
  if (!layer) return;
  const [ax, ay] = frame.toPx(layer.x0, layer.y1);
  const [bx, by] = frame.toPx(layer.x1, layer.y0);
  clipToFrame(ctx, frame);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(layer.canvas, ax, ay, bx - ax, by - ay);
  ctx.restore();
}

// The regions layer's fetches: ask(url) (debounced) fetches a coarse lattice, then, once
// the view has rested and nothing is being dragged (busy() false: a new fine lattice takes
// a server core for a second or more, which live decodes need), the fine one;
// onLayer(layer, n) hears each lattice drawn.
const COARSE_N = 24;
const FINE_N = 48;
const DEBOUNCE_MS = 200;
const REFINE_MS = 900;
export function createRegions(onLayer, onError, busy) {
  const r = { timer: 0, want: "", colours: null };
  const cache = new Map();  // url -> Promise of parsed regions
  function get(url) {
    if (!cache.has(url)) {
      const got = fetch(new URL(url, document.baseURI)).then((res) => {
        if (!res.ok) return res.text().then((t) => { throw new Error(t); });
        return res.arrayBuffer();
      }).then(parseRegions);
      got.catch(() => cache.delete(url));
      cache.set(url, got);
    }
    return cache.get(url);
  }
  function load(base, n, then) {
    const url = `${base}&n=${n}`;
    get(url).then((regions) => {
      if (r.want !== base) return;
      onLayer({ ...regions, canvas: regionsCanvas(regions, r.colours) }, n);
      if (then) then();
    }).catch((err) => { if (r.want === base) onError(err); });
  }
  r.ask = (base, colours) => {  // base: the regions URL with digit and region, without n
    clearTimeout(r.timer);
    r.want = base;
    r.colours = colours;
    const refine = () => {
      r.timer = setTimeout(() => (busy() ? refine() : load(base, FINE_N)), REFINE_MS);
    };
    r.timer = setTimeout(() => load(base, COARSE_N, refine), DEBOUNCE_MS);
  };
  r.stop = () => { clearTimeout(r.timer); r.want = ""; };
  return r;
}
