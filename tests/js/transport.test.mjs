// transport.js, the live decode channel, against a scripted WebSocket and a hand-driven
// clock: latest position wins, at most 8 requests in flight, which closes reconnect, after
// how long, what is re-sent, and when it gives up.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { backoffMs, createTransport } from "../../cvae/latent_map/assets/transport.js";

const NAMES = ["setTimeout", "clearTimeout", "performance", "document", "window", "WebSocket"];
const saved = {};
let fake;

// A fake browser: sockets the test opens and closes by hand, timers run by advance(ms).
function fakeBrowser() {
  const timers = [];
  const sockets = [];
  const b = { now: 0, sockets, listeners: {} };
  globalThis.setTimeout = (fn, ms) => { timers.push({ at: b.now + ms, fn }); return timers.length; };
  globalThis.clearTimeout = (id) => { if (id && timers[id - 1]) timers[id - 1].fn = null; };
  globalThis.performance = { now: () => b.now };
  globalThis.document = { baseURI: "http://x/", visibilityState: "visible",
    addEventListener: (type, fn) => { b.listeners[type] = fn; }, removeEventListener: () => {} };
  globalThis.window = { addEventListener: () => {}, removeEventListener: () => {} };
  globalThis.WebSocket = class {
    static OPEN = 1;
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
  };
  b.advance = (ms) => {
    const end = b.now + ms;
    for (;;) {
      const due = timers.filter((t) => t.fn && t.at <= end).sort((p, q) => p.at - q.at)[0];
      if (!due) break;
      b.now = due.at;
      const fn = due.fn;
      due.fn = null;
      fn();
    }
    b.now = end;
  };
  b.open = (ws) => { ws.readyState = 1; ws.onopen(); };
  b.close = (ws, code, reason = "") => { ws.readyState = 3; ws.onclose({ code, reason }); };
  b.answer = (ws, seq, x, y) => {  // a decode: header (seq, x, y) and 784 grey levels
    const data = new ArrayBuffer(12 + 784);
    const view = new DataView(data);
    view.setUint32(0, seq, true);
    view.setFloat32(4, x, true);
    view.setFloat32(8, y, true);
    ws.onmessage({ data });
  };
  b.untilNewSocket = () => {
    const n = sockets.length;
    while (sockets.length === n) b.advance(10);
  };
  b.digits = [];
  b.states = [];
  b.t = createTransport("ws://x/cvae/live", (d) => b.digits.push(d),
                        (state, why) => b.states.push([b.now, state, why]));
  return b;
}

beforeEach(() => {
  for (const name of NAMES) saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
  fake = fakeBrowser();
});
afterEach(() => {
  fake.t.close();
  for (const name of NAMES) {
    if (saved[name]) Object.defineProperty(globalThis, name, saved[name]);
    else delete globalThis[name];
  }
});

const lastState = () => fake.states.at(-1);

test("the first request opens the channel and is sent once it is open", () => {
  assert.equal(fake.t.request("m", 3, 0.5, 0.25, "pca"), true);
  assert.equal(fake.sockets.length, 1);
  assert.deepEqual(fake.sockets[0].sent, []);
  fake.open(fake.sockets[0]);
  assert.deepEqual(fake.sockets[0].sent,
                   [{ seq: 1, model: "m", digit: 3, x: 0.5, y: 0.25, plane: "pca" }]);
  assert.deepEqual(lastState().slice(1), ["live", ""]);
});

test("the latest position wins: positions asked while none can be sent are dropped", () => {
  fake.t.request("m", 3, 0, 0);
  fake.t.request("m", 3, 1, 1);
  fake.t.request("m", 3, 2, 2);  // all before the socket opens
  fake.open(fake.sockets[0]);
  assert.deepEqual(fake.sockets[0].sent.map((r) => [r.seq, r.x]), [[1, 2]]);
});

test("at most 8 requests are in flight; an answer frees every one up to its seq", () => {
  fake.t.request("m", 3, 0, 0);
  const ws = fake.sockets[0];
  fake.open(ws);
  for (let i = 1; i <= 10; i += 1) fake.t.request("m", 3, i, i);
  assert.deepEqual(ws.sent.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(ws.sent.at(-1).x, 7);  // 8, 9 and 10 waited: only 10 is kept
  fake.answer(ws, 3, 2, 2);
  assert.equal(fake.digits.length, 1);
  assert.deepEqual([fake.digits[0].seq, fake.digits[0].x, fake.digits[0].grey.length], [3, 2, 784]);
  assert.deepEqual(ws.sent.slice(8).map((r) => [r.seq, r.x]), [[9, 10]]);
  fake.t.request("m", 3, 11, 11);
  fake.t.request("m", 3, 12, 12);
  assert.deepEqual(ws.sent.slice(9).map((r) => [r.seq, r.x]), [[10, 11], [11, 12]]);
});

test("an error frame acknowledges its seq too", () => {
  fake.t.request("m", 3, 0, 0);
  const ws = fake.sockets[0];
  fake.open(ws);
  for (let i = 1; i <= 8; i += 1) fake.t.request("m", 3, i, i);
  assert.equal(ws.sent.length, 8);
  ws.onmessage({ data: JSON.stringify({ seq: 8, error: "busy" }) });
  assert.equal(ws.sent.length, 9);
  assert.equal(ws.sent.at(-1).x, 8);
});

test("a closed channel reconnects and re-sends the unanswered position", () => {
  fake.t.request("m", 3, 0.5, 0.25);
  fake.open(fake.sockets[0]);
  assert.equal(fake.sockets[0].sent.length, 1);
  fake.close(fake.sockets[0], 1006);
  assert.equal(lastState()[1], "reconnecting");
  fake.advance(5000);
  assert.equal(fake.sockets.length, 2);
  fake.open(fake.sockets[1]);
  assert.deepEqual(fake.sockets[1].sent.map((r) => [r.x, r.y]), [[0.5, 0.25]]);
  assert.equal(lastState()[1], "live");
});

test("a policy close stops retrying and says why", () => {
  fake.t.request("m", 3, 0, 0);
  fake.open(fake.sockets[0]);
  fake.close(fake.sockets[0], 1008, "origin not allowed");
  fake.advance(120000);
  fake.t.request("m", 3, 1, 1);
  assert.equal(fake.sockets.length, 1);
  assert.deepEqual(lastState().slice(1), ["refused", "origin not allowed"]);
  assert.equal(fake.t.request("m", 3, 2, 2), false);
});

test("try again later waits at least two seconds, even for a drag", () => {
  fake.t.request("m", 3, 0, 0);
  fake.open(fake.sockets[0]);
  fake.close(fake.sockets[0], 1013);
  fake.t.request("m", 3, 1, 1);
  fake.advance(1900);
  assert.equal(fake.sockets.length, 1);
  fake.advance(200);
  assert.equal(fake.sockets.length, 2);
});

test("backoff grows with jitter up to a cap, then the map says unavailable", () => {
  fake.t.request("m", 3, 0, 0);
  const gaps = [];
  let last = 0;
  for (let i = 0; i < 9; i += 1) {
    fake.close(fake.sockets.at(-1), 1006);
    fake.untilNewSocket();
    gaps.push(fake.now - last);
    last = fake.now;
  }
  assert.ok(gaps[0] <= 260, `first gap ${gaps[0]}`);
  assert.ok(Math.max(...gaps) <= 8010, `gaps ${gaps}`);
  assert.ok(gaps[5] >= 2000, `gaps ${gaps}`);  // 0.25 s doubled five times, at least half
  assert.equal(lastState()[1], "unavailable");
});

test("backoffMs is half the capped step plus a random share of the other half", () => {
  assert.equal(backoffMs(0, () => 0), 125);
  assert.equal(backoffMs(0, () => 1), 250);
  assert.equal(backoffMs(3, () => 0.5), 1500);
  assert.equal(backoffMs(20, () => 1), 8000);
});

test("a drag brings a long wait forward", () => {
  fake.t.request("m", 3, 0, 0);
  for (let i = 0; i < 7; i += 1) {
    fake.close(fake.sockets.at(-1), 1006);
    if (i < 6) fake.untilNewSocket();
  }
  const t0 = fake.now;
  fake.t.request("m", 3, 1, 1);
  fake.untilNewSocket();
  assert.ok(fake.now - t0 <= 610, `waited ${fake.now - t0} ms`);
});

test("a tab hidden long enough closes the channel; shown again, it reopens it", () => {
  fake.t.request("m", 3, 0, 0);
  fake.open(fake.sockets[0]);
  globalThis.document.visibilityState = "hidden";
  fake.listeners.visibilitychange();
  fake.advance(10000);
  assert.equal(fake.sockets[0].readyState, 3);
  assert.equal(lastState()[1], "paused");
  globalThis.document.visibilityState = "visible";
  fake.listeners.visibilitychange();
  assert.equal(fake.sockets.length, 2);
});

test("close stops it for good", () => {
  fake.t.request("m", 3, 0, 0);
  fake.open(fake.sockets[0]);
  fake.t.close();
  assert.equal(fake.sockets[0].readyState, 3);
  fake.advance(60000);
  fake.t.request("m", 3, 1, 1);
  assert.equal(fake.sockets.length, 1);
});
