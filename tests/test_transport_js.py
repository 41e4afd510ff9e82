"""The live channel's reconnect rules (cvae/latent_map/assets/transport.js), run in Node
against a scripted WebSocket and a hand-driven clock: which closes retry, after how long,
what is re-sent, and when it gives up. Skipped without ``node`` (``.ci/run`` installs it
with npm)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from harness.paths import ROOT

TRANSPORT = ROOT / "cvae" / "latent_map" / "assets" / "transport.js"

# A fake browser: sockets the test opens and closes by hand, timers run by `advance(ms)`.
HARNESS = """
const timers = []; let now = 0;
globalThis.setTimeout = (fn, ms) => { timers.push({ at: now + ms, fn }); return timers.length; };
globalThis.clearTimeout = (id) => { if (id && timers[id - 1]) timers[id - 1].fn = null; };
globalThis.performance = { now: () => now };
const listeners = {};
globalThis.document = { baseURI: "http://x/", visibilityState: "visible",
  addEventListener: (t, f) => { listeners[t] = f; }, removeEventListener: () => {} };
globalThis.window = { addEventListener: () => {}, removeEventListener: () => {} };
const sockets = [];
globalThis.WebSocket = class { static OPEN = 1;
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 3; } };
function advance(ms) {
  const end = now + ms;
  for (;;) {
    const due = timers.filter((t) => t.fn && t.at <= end).sort((a, b) => a.at - b.at)[0];
    if (!due) break;
    now = due.at; const fn = due.fn; due.fn = null; fn();
  }
  now = end;
}
const open = (ws) => { ws.readyState = 1; ws.onopen(); };
const close = (ws, code, reason = "") => { ws.readyState = 3; ws.onclose({ code, reason }); };
const { createTransport } = await import(process.argv[1]);
const states = [];
const t = createTransport("ws://x/cvae/live", () => {}, (s, why) => states.push([now, s, why]));
const out = {};
"""

SCENARIOS = {
    # a close after a live connection: reconnect soon, re-send the unanswered position
    "restart": """
t.request("m", 3, 0.5, 0.25); open(sockets[0]);
out.firstSent = sockets[0].sent.length;
close(sockets[0], 1006);
out.stateAfterClose = states.at(-1)[1];
advance(5000);
out.sockets = sockets.length;
open(sockets[1]);
out.resent = sockets[1].sent;
out.finalState = states.at(-1)[1];
""",
    # refused by policy: no more sockets, ever, and the reason is passed on
    "policy": """
t.request("m", 3, 0, 0); open(sockets[0]); close(sockets[0], 1008, "origin not allowed");
advance(120000); t.request("m", 3, 1, 1);
out.sockets = sockets.length; out.last = states.at(-1);
out.requestAccepted = t.request("m", 3, 2, 2);
""",
    # busy: the next attempt waits at least 2 s even though a drag asks for it
    "busy": """
t.request("m", 3, 0, 0); open(sockets[0]); close(sockets[0], 1013);
t.request("m", 3, 1, 1); advance(1900); out.before = sockets.length;
advance(200); out.after = sockets.length;
""",
    # a server that never answers: backoff grows, capped, and the map says unavailable
    "backoff": """
t.request("m", 3, 0, 0);
const gaps = []; let last = 0;
for (let i = 0; i < 9; i += 1) {
  close(sockets.at(-1), 1006);
  const n = sockets.length; while (sockets.length === n) advance(10);
  gaps.push(now - last); last = now;
}
out.gaps = gaps; out.state = states.at(-1)[1];
""",
    # a drag while waiting a long backoff brings the next attempt within 0.6 s
    "kick": """
t.request("m", 3, 0, 0);
for (let i = 0; i < 6; i += 1) {
  close(sockets.at(-1), 1006); const n = sockets.length; while (sockets.length === n) advance(10);
}
close(sockets.at(-1), 1006); const n = sockets.length; const t0 = now;
t.request("m", 3, 1, 1); while (sockets.length === n) advance(10);
out.wait = now - t0;
""",
}


def run(scenario: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    script = HARNESS + SCENARIOS[scenario] + "console.log(JSON.stringify(out));"
    done = subprocess.run([node, "--input-type=module", "-e", script, TRANSPORT.as_uri()],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_closed_channel_reconnects_and_resends_the_unanswered_position():
    out = run("restart")
    assert out["firstSent"] == 1
    assert out["stateAfterClose"] == "reconnecting"
    assert out["sockets"] == 2
    assert [(r["x"], r["y"]) for r in out["resent"]] == [(0.5, 0.25)]
    assert out["finalState"] == "live"


def test_a_policy_close_stops_retrying_and_says_why():
    out = run("policy")
    assert out["sockets"] == 1
    assert out["last"][1:] == ["refused", "origin not allowed"]
    assert out["requestAccepted"] is False


def test_try_again_later_waits_at_least_two_seconds():
    out = run("busy")
    assert (out["before"], out["after"]) == (1, 2)


def test_backoff_grows_with_jitter_up_to_a_cap_and_then_says_unavailable():
    out = run("backoff")
    gaps = out["gaps"]
    assert gaps[0] <= 260 and max(gaps) <= 8010
    assert gaps[5] >= 2000  # 0.25 s doubled five times, at least half of it
    assert out["state"] == "unavailable"


def test_a_drag_brings_a_long_wait_forward():
    assert run("kick")["wait"] <= 610
