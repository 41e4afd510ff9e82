// Drawing the latent map and the decoded digit on canvases.

import { niceStep } from "./geometry.js";

// The test digits, one colour per class, into an offscreen layer (redrawn only when the
// points, the hidden classes or the size change).
export function drawPointsLayer(layer, frame, points, colours, hidden, dpr) {
  const ctx = layer.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, layer.width, layer.height);
  if (!points) return;
  clipToFrame(ctx, frame);
  const { xs, ys, labels } = points;
  // frame.toPx written out: 10,000 points, no array per point (a phone's first load).
  const sx = frame.width / (frame.x1 - frame.x0);
  const sy = frame.height / (frame.y1 - frame.y0);
  const left = frame.left - frame.x0 * sx - 1.2;
  const top = frame.top + frame.y1 * sy - 1.2;
  ctx.globalAlpha = 0.55;
  for (let c = 0; c < 10; c += 1) {
    if (hidden.has(c)) continue;
    ctx.fillStyle = colours[c];
    for (let i = 0; i < labels.length; i += 1) {
      if (labels[i] === c) ctx.fillRect(left + xs[i] * sx, top - ys[i] * sy, 2.4, 2.4);
    }
  }
  ctx.globalAlpha = 1;
  ctx.restore();
}

function axes(ctx, frame, titles) {
  ctx.strokeStyle = "rgba(128,128,128,0.6)";
  ctx.fillStyle = "rgba(100,100,100,1)";
  ctx.lineWidth = 1;
  ctx.strokeRect(frame.left, frame.top, frame.width, frame.height);
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  const sx = niceStep(frame.x1 - frame.x0);
  for (let v = Math.ceil(frame.x0 / sx) * sx; v <= frame.x1; v += sx) {
    const [px] = frame.toPx(v, frame.y0);
    ctx.fillText(String(+v.toFixed(2)), px, frame.top + frame.height + 13);
  }
  ctx.textAlign = "right";
  const sy = niceStep(frame.y1 - frame.y0);
  for (let v = Math.ceil(frame.y0 / sy) * sy; v <= frame.y1; v += sy) {
    const [, py] = frame.toPx(frame.x0, v);
    ctx.fillText(String(+v.toFixed(2)), frame.left - 4, py + 4);
  }
  ctx.textAlign = "center";
  ctx.fillText(titles[0], frame.left + frame.width / 2, frame.top + frame.height + 28);
  ctx.save();
  ctx.translate(11, frame.top + frame.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(titles[1], 0, 0);
  ctx.restore();
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let k = 0; k < 10; k += 1) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const rr = k % 2 === 0 ? r : r * 0.45;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
}

// Save the context and clip what follows to the plot frame (the caller restores).
export function clipToFrame(ctx, frame) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(frame.left, frame.top, frame.width, frame.height);
  ctx.clip();
}

// A circle of `radius` px around pixel [px, py] (dashed when `dash` is given).
function ring(ctx, [px, py], radius, colour, width, dash = []) {
  ctx.beginPath();
  ctx.arc(px, py, radius, 0, 2 * Math.PI);
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.stroke();
  ctx.setLineDash([]);
}

// One frame of the map: `layers.under` (in CSS px), the points layer, the axes,
// `layers.over`, class means, picked digit, own digit, `layers.mark` (a view point to ring)
// and the point; marks outside the plot frame are clipped. Returns what `over` returns.
export function drawMap(canvas, layer, frame, view, point, dpr, layers = {}) {
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (layers.under) layers.under(ctx);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(layer, 0, 0);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  axes(ctx, frame, view.titles);
  const drawn = layers.over ? layers.over(ctx) : undefined;
  clipToFrame(ctx, frame);
  ctx.font = "bold 12px sans-serif";
  ctx.textAlign = "center";
  view.centres.forEach(([x, y], c) => {
    const [px, py] = frame.toPx(x, y);
    const r = c === view.digit ? 9 : 5;
    ctx.beginPath();
    ctx.moveTo(px, py - r); ctx.lineTo(px + r, py); ctx.lineTo(px, py + r); ctx.lineTo(px - r, py);
    ctx.closePath();
    ctx.fillStyle = view.colours[c];
    ctx.fill();
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.fillStyle = "#222";
    ctx.fillText(String(c), px, py - r - 3);
  });
  if (view.picked) ring(ctx, frame.toPx(view.picked[0], view.picked[1]), 9, "#d62728", 3);
  if (view.own) {
    const [px, py] = frame.toPx(view.own[0], view.own[1]);
    star(ctx, px, py, 10);
    ctx.fillStyle = view.own_colour;
    ctx.fill();
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  if (layers.mark) ring(ctx, frame.toPx(layers.mark[0], layers.mark[1]), 7, "#111", 2, [3, 2]);
  const [px, py] = frame.toPx(point[0], point[1]);
  ctx.lineWidth = 4;
  ctx.strokeStyle = "#fff";
  for (const pass of [0, 1]) {
    ctx.beginPath();
    ctx.moveTo(px - 7, py - 7); ctx.lineTo(px + 7, py + 7);
    ctx.moveTo(px + 7, py - 7); ctx.lineTo(px - 7, py + 7);
    ctx.stroke();
    if (pass === 0) { ctx.lineWidth = 2; ctx.strokeStyle = "#111"; }
  }
  ctx.restore();
  return drawn;
}

// 784 grey levels (row-major 28 x 28) into the 28 x 28 digit canvas.
export function drawDigit(canvas, grey) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i += 1) {
    const v = grey[i];
    image.data[4 * i] = v; image.data[4 * i + 1] = v; image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
