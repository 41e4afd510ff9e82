// The live decode channel (cvae/live/protocol.py): a WebSocket opened on first use and
// reopened after every close.
// Latest position wins; at most MAX_IN_FLIGHT requests unanswered (an answer with seq s
// acknowledges every request <= s). Enough in flight to cover a ~130 ms round trip at one
// position per frame: with only two, a 100 ms round trip capped the digit at 20 decodes a
// second. The server decodes only the newest request waiting, so more in flight never
// queues decodes there.
//
// Closes: phones sleep, proxies drop idle sockets, servers restart and replicas fail over.
// Any close reconnects with exponential backoff and jitter (a request while waiting brings
// the next attempt forward: someone is dragging) and re-sends the newest position if it
// went unanswered. Close code 1008 (policy: the server refused this page, e.g. its origin)
// stops for good and says why; 1013 (try again later) waits at least BUSY_DELAY_MS.
// A tab hidden for HIDDEN_CLOSE_MS closes its socket; shown again, it reopens it.
// onStatus(state, reason) hears "live", "reconnecting", "unavailable" (never reached yet,
// still trying), "refused" (1008, final) and "paused" (hidden tab).

const MAX_IN_FLIGHT = 8;
const HEADER_BYTES = 12;
const POLICY = 1008;
const TRY_LATER = 1013;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 8000;
const BUSY_DELAY_MS = 2000;
const KICK_MS = 600;           // a request while waiting: next attempt within this
const UNAVAILABLE_AFTER = 4;   // failed first attempts before saying so (still trying)
const HIDDEN_CLOSE_MS = 10000;

export function liveUrl(path) {
  const url = new URL(path, document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

// The delay before reconnect attempt `attempt` (0, 1, ...): half the capped exponential
// step plus a random share of the other half, so clients dropped together spread out.
export function backoffMs(attempt, random = Math.random) {
  const step = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return step / 2 + random() * (step / 2);
}

// The channel: request(model, digit, x, y, plane) asks for the decode at (x, y) of map
// plane `plane` (none: the default), false once the server has refused this page;
// close() stops it for good. onDigit({seq, x, y, grey}) hears each decode.
export function createTransport(url, onDigit, onStatus) {
  const t = { url, onDigit, onStatus, ws: null, seq: 0, acked: 0, pending: null, last: null,
              state: "idle", attempt: 0, timer: 0, due: 0, busy: false, everLive: false,
              refused: false, hidden: false, hideTimer: 0, stopped: false };
  const onVisibility = () => visibility(t);
  const onOnline = () => online(t);
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("online", onOnline);
  return {
    request: (model, digit, x, y, plane) => request(t, { model, digit, x, y, plane }),
    close: () => {
      stop(t);
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("online", onOnline);
    },
  };
}

function setState(t, state, reason = "") {
  if (t.state === state) return;
  t.state = state;
  t.onStatus(state, reason);
}

function open(t) {
  if (t.ws || t.refused || t.stopped || t.hidden || t.timer) return;
  let ws;
  try { ws = new WebSocket(t.url); } catch (err) { refuse(t, err.message); return; }
  ws.binaryType = "arraybuffer";
  t.ws = ws;
  ws.onopen = () => {
    if (t.ws !== ws) return;
    t.attempt = 0;
    t.busy = false;
    t.everLive = true;
    t.acked = t.seq;  // a new connection: nothing of the old one is in flight
    setState(t, "live");
    flush(t);
  };
  ws.onclose = (event) => { if (t.ws === ws) closed(t, event.code, event.reason); };
  ws.onmessage = (event) => { if (t.ws === ws) answer(t, event.data); };
}

function answer(t, data) {
  if (typeof data === "string") {  // an error frame: acknowledges its seq
    try {
      const msg = JSON.parse(data);
      if (typeof msg.seq === "number") t.acked = Math.max(t.acked, msg.seq);
    } catch { /* not JSON: acknowledges nothing */ }
    flush(t);
    return;
  }
  const view = new DataView(data);
  const seq = view.getUint32(0, true);
  t.acked = Math.max(t.acked, seq);
  t.onDigit({ seq, x: view.getFloat32(4, true), y: view.getFloat32(8, true),
              grey: new Uint8Array(data, HEADER_BYTES, 784) });
  flush(t);
}

function closed(t, code, reason) {
  t.ws = null;
  if (t.seq > t.acked && !t.pending) t.pending = t.last;  // unanswered: ask again
  if (code === POLICY) { refuse(t, reason); return; }
  if (t.stopped) return;
  if (t.hidden) { setState(t, "paused"); return; }
  t.busy = code === TRY_LATER;
  const delay = Math.max(t.busy ? BUSY_DELAY_MS : 0, backoffMs(t.attempt));
  t.attempt += 1;
  wait(t, delay);
  const never = !t.everLive && t.attempt >= UNAVAILABLE_AFTER;
  setState(t, never ? "unavailable" : "reconnecting", reason);
}

function wait(t, delay) {
  clearTimeout(t.timer);
  t.due = performance.now() + delay;
  t.timer = setTimeout(() => { t.timer = 0; open(t); }, delay);
}

function refuse(t, reason) {
  t.refused = true;
  clearTimeout(t.timer);
  t.timer = 0;
  setState(t, "refused", reason || "");
}

function flush(t) {
  if (!t.pending || !t.ws || t.ws.readyState !== WebSocket.OPEN) return;
  if (t.seq - t.acked >= MAX_IN_FLIGHT) return;
  t.seq += 1;
  t.last = t.pending;
  t.ws.send(JSON.stringify({ seq: t.seq, ...t.pending }));
  t.pending = null;
}

function visibility(t) {
  t.hidden = document.visibilityState === "hidden";
  clearTimeout(t.hideTimer);
  if (t.hidden) {
    t.hideTimer = setTimeout(() => {
      if (!t.ws) return;
      const ws = t.ws;
      t.ws = null;
      ws.close(1000, "tab hidden");
      closed(t, 1000, "");
    }, HIDDEN_CLOSE_MS);
  } else if (t.everLive && !t.ws && !t.refused) {
    clearTimeout(t.timer);
    t.timer = 0;
    t.attempt = 0;
    open(t);
  }
}

function online(t) {  // the network is back: try now
  if (t.timer && !t.busy) { clearTimeout(t.timer); t.timer = 0; open(t); }
}

function request(t, ask) {
  if (t.refused) return false;
  t.pending = ask;
  if (t.timer && !t.busy && t.due - performance.now() > KICK_MS) wait(t, KICK_MS);
  open(t);
  flush(t);
  return true;
}

function stop(t) {
  t.stopped = true;
  clearTimeout(t.timer);
  clearTimeout(t.hideTimer);
  if (t.ws) { const ws = t.ws; t.ws = null; ws.close(); }
}
