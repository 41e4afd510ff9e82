// The live decode channel (cvae/live/protocol.py): a WebSocket opened on first use.
// Latest position wins; at most MAX_IN_FLIGHT requests unanswered (an answer with seq s
// acknowledges every request <= s). Enough in flight to cover a ~130 ms round trip at one
// position per frame: with only two, a 100 ms round trip capped the digit at 20 decodes a
// second. The server decodes only the newest request waiting, so more in flight never
// queues decodes there.

const MAX_IN_FLIGHT = 8;
const HEADER_BYTES = 12;

export function liveUrl(path) {
  const url = new URL(path, document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export function createTransport(url, onDigit, onStatus) {
  const t = { ws: null, seq: 0, acked: 0, pending: null, failed: false };
  function open() {
    if (t.ws || t.failed) return;
    let ws;
    try { ws = new WebSocket(url); } catch (err) { fail(); return; }
    ws.binaryType = "arraybuffer";
    t.ws = ws;
    ws.onopen = () => { onStatus("live"); flush(); };
    ws.onerror = () => fail();
    ws.onclose = () => { if (t.ws === ws) fail(); };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {  // an error frame: acknowledges its seq
        try {
          const msg = JSON.parse(event.data);
          if (typeof msg.seq === "number") t.acked = Math.max(t.acked, msg.seq);
        } catch (err) { /* ignore */ }
        flush();
        return;
      }
      const view = new DataView(event.data);
      const seq = view.getUint32(0, true);
      t.acked = Math.max(t.acked, seq);
      onDigit({ seq, x: view.getFloat32(4, true), y: view.getFloat32(8, true),
                grey: new Uint8Array(event.data, HEADER_BYTES, 784) });
      flush();
    };
  }
  function fail() {
    t.failed = true;
    t.ws = null;
    onStatus("unavailable");
  }
  function flush() {
    if (!t.pending || !t.ws || t.ws.readyState !== WebSocket.OPEN) return;
    if (t.seq - t.acked >= MAX_IN_FLIGHT) return;
    t.seq += 1;
    t.ws.send(JSON.stringify({ seq: t.seq, ...t.pending }));
    t.pending = null;
  }
  t.request = (model, digit, x, y) => {
    if (t.failed) return false;
    t.pending = { model, digit, x, y };
    open();
    flush();
    return true;
  };
  t.close = () => { if (t.ws) { const ws = t.ws; t.ws = null; ws.close(); } };
  return t;
}
