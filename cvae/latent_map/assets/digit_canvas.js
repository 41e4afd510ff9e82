// Drawing canvas for "your digit" (st.components.v2 module).
//
// White strokes on black, like MNIST. Each finished stroke sends the whole canvas as a PNG
// data URL in the state value "drawing"; Clear sends null. Python does the MNIST-style
// preprocessing, so a drawing and an uploaded file go through the same code.

const CANVASES = new WeakMap();

function createDrawing(root) {
  const canvas = root.querySelector(".draw-canvas");
  const ctx = canvas.getContext("2d");
  const state = { api: null, drawing: false, strokes: 0, last: null, restored: false };

  function blank() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    state.strokes = 0;
    root.dataset.strokes = "0";
  }
  function at(event) {
    const r = canvas.getBoundingClientRect();
    return [(event.clientX - r.left) * canvas.width / r.width,
            (event.clientY - r.top) * canvas.height / r.height];
  }
  function line(from, to) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = canvas.width / 12;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  }
  function onDown(event) {
    if (event.button > 0) return;
    try { canvas.setPointerCapture(event.pointerId); } catch { /* synthetic or stale pointer */ }
    state.drawing = true;
    state.last = at(event);
    line(state.last, state.last);
    event.preventDefault();
  }
  function onMove(event) {
    if (!state.drawing) return;
    const p = at(event);
    line(state.last, p);
    state.last = p;
  }
  function onUp() {
    if (!state.drawing) return;
    state.drawing = false;
    state.strokes += 1;
    root.dataset.strokes = String(state.strokes);
    state.api?.setStateValue("drawing", canvas.toDataURL("image/png"));
  }
  function onClear() {
    blank();
    state.api?.setStateValue("drawing", null);
  }
  const clear = root.querySelector(".draw-clear");
  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  clear.addEventListener("click", onClear);
  blank();

  state.update = (data) => {
    // A fresh mount of a session that already has a drawing: show it again.
    if (state.restored || !data || typeof data.drawing !== "string") return;
    state.restored = true;
    const img = new Image();
    img.onload = () => { if (state.strokes === 0) ctx.drawImage(img, 0, 0, canvas.width, canvas.height); };
    img.src = data.drawing;
  };
  state.destroy = () => {
    canvas.removeEventListener("pointerdown", onDown);
    canvas.removeEventListener("pointermove", onMove);
    canvas.removeEventListener("pointerup", onUp);
    canvas.removeEventListener("pointercancel", onUp);
    clear.removeEventListener("click", onClear);
    CANVASES.delete(root);
  };
  return state;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".cvae-draw");
  if (!root) return undefined;
  let state = CANVASES.get(root);
  if (!state) {
    state = createDrawing(root);
    CANVASES.set(root, state);
  }
  state.api = { setStateValue };
  state.generation = (state.generation || 0) + 1;
  const generation = state.generation;
  state.update(data);
  return () => { if (state.generation === generation) state.destroy(); };
}
