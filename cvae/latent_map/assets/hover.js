// Hover previews: a test digit's picture, index and label beside the pointer.
// Pictures are fetched on first hover from the digit route (cvae/live/digits.py: 784 grey
// levels, cached for good by the browser) and kept in a Map for the page's life.

import { drawDigit } from "./render.js";

const DIGIT_PATH = "cvae/digit/";
const PICTURES = new Map();  // index -> Promise of Uint8Array(784)

export function loadDigit(index) {
  if (!PICTURES.has(index)) {
    const url = new URL(`${DIGIT_PATH}${index}`, document.baseURI);
    const got = fetch(url).then((r) => {
      if (!r.ok) throw new Error(`digit ${index}: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((b) => new Uint8Array(b));
    got.catch(() => PICTURES.delete(index));  // a failure is asked again next time
    PICTURES.set(index, got);
  }
  return PICTURES.get(index);
}

// The preview box `el` (a .map-hover with a 28x28 canvas and a caption): show(index, label,
// px, py) fetches and paints it near canvas pixel (px, py); hide() hides it. onPainted(index)
// hears each picture painted.
export function createHover(el, box, onPainted) {
  const canvas = el.querySelector("canvas");
  const text = el.querySelector(".map-hover-text");
  const h = { index: -1 };
  h.show = (index, label, px, py) => {
    const right = px + 120 < box.clientWidth;
    el.style.left = `${right ? px + 14 : px - 106}px`;
    el.style.top = `${Math.max(0, Math.min(box.clientHeight - 120, py - 50))}px`;
    if (h.index === index && !el.hidden) return;
    h.index = index;
    text.textContent = `#${index} · label ${label}`;
    loadDigit(index).then((grey) => {
      if (h.index !== index) return;
      drawDigit(canvas, grey);
      el.hidden = false;
      onPainted(index);
    }).catch(() => { if (h.index === index) h.hide(); });
  };
  h.hide = () => { h.index = -1; el.hidden = true; };
  return h;
}
