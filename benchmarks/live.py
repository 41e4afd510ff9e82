"""The latent map and the live decode channel in headless Chromium (``--only live``).

* Bytes the Streamlit WebSocket pushes per latent-slider key press, class change and pick
  (Playwright's ``framereceived``; the live channel's socket not counted).
* Key press -> digit painted: keydown to the map's paint of the new digit (its test log
  ``window.__cvaeTest``), for a slider key (a Streamlit rerun) and an arrow key on the map
  (the live channel).
* Hover -> preview painted: a mouse move onto a test digit not hovered before, to the paint
  of its picture (from the digit route); p95 <= 50 ms on localhost.
* A 5 s drag of the point at one pointer move per animation frame, in a circle, with the
  picked digit's ellipses and the decoder-regions layer on: exact decodes painted per
  second, and at every frame the gap between the pointer and the point whose decode is on
  screen, in latent units and in ms (how long ago the pointer was there).
* The key presses and the drag again through a loopback proxy adding 50 ms each way
  (`harness.delay_proxy`: a 100 ms round trip for every byte, WebSockets included, which
  Chromium's emulation leaves alone); ``rtt100_applies_to_websocket`` checks it did.
* A server restart on the same port (default model warmed before ready): from its health
  check on, a 5 s drag; exact decodes painted per second (``restart_paints_per_s``), the
  first one's delay, whether a second reached 50, with no page reload.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import percentiles

FLAG = """window.__cvaeTest = {paints: [], pointer: [], keys: []};
document.addEventListener('keydown', () => window.__cvaeTest.keys.push(performance.now()),
                          true);"""

def _gaps(frames: list[float], pointer: list[dict], paints: list[dict],
          t0: float) -> tuple[list[float], list[float]]:
    """Per animation frame: latent distance pointer <-> shown decode, and ms since the
    pointer was at the shown decode's point."""
    latent, ms = [], []
    pi = qi = 0
    pointer = [p for p in pointer if p["t"] >= t0]
    paints = [p for p in paints if p["t"] >= t0]
    for f in frames[1:]:
        while pi + 1 < len(pointer) and pointer[pi + 1]["t"] <= f:
            pi += 1
        while qi + 1 < len(paints) and paints[qi + 1]["t"] <= f:
            qi += 1
        if not pointer or not paints or paints[qi]["t"] > f or pointer[pi]["t"] > f:
            continue
        cur, shown = pointer[pi], paints[qi]
        latent.append(math.hypot(cur["x"] - shown["x"], cur["y"] - shown["y"]))
        when = [p["t"] for p in pointer[: pi + 1]
                if abs(p["x"] - shown["x"]) < 1e-4 and abs(p["y"] - shown["y"]) < 1e-4]
        ms.append(f - when[-1] if when else float("nan"))
    return latent, [m for m in ms if not math.isnan(m)]


def central_digit(base: str, model: str) -> tuple[float, float]:
    """View point of the test digit nearest to the mean code (from the points route)."""
    import numpy as np

    from harness.latent_map import fetch_points

    xy, _ = fetch_points(base, model)
    index = int(np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1)))
    return float(xy[index, 0]), float(xy[index, 1])


HOVER = """([x, y]) => {
  const canvas = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.map-canvas')).find(Boolean);
  const t0 = performance.now();
  canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: x, clientY: y, pointerId: 1,
    pointerType: 'mouse', bubbles: true}));
  return t0;
}"""


def _hover_to_preview(page: Any, frame: dict, base: str, model: str, count: int) -> list[float]:
    """ms from a mouse move onto a test digit never hovered before to its preview painted."""
    import numpy as np

    from harness.latent_map import fetch_points, to_page

    xy, _ = fetch_points(base, model)
    inside = np.flatnonzero((xy[:, 0] > frame["x0"]) & (xy[:, 0] < frame["x1"])
                            & (xy[:, 1] > frame["y0"]) & (xy[:, 1] < frame["y1"]))
    out = []
    for index in np.random.default_rng(0).choice(inside, count, replace=False):
        before = page.evaluate("(window.__cvaeTest.previews || []).length")
        t0 = page.evaluate(HOVER, list(to_page(frame, *xy[index])))
        page.wait_for_function(f"(window.__cvaeTest.previews || []).length > {before}",
                               timeout=30_000)
        out.append(page.evaluate("window.__cvaeTest.previews.at(-1).t") - t0)
        page.evaluate(HOVER, [frame["left"] - 30, frame["top"]])  # off the map: hidden
    return out


def _circle(page: Any, frame: dict, seconds: float) -> tuple[dict, dict]:
    """Grab the point, drag it ``seconds`` around the view's centre; the drag and its log."""
    from harness.latent_map import drag_circle, to_page

    centre = to_page(frame, (frame["x0"] + frame["x1"]) / 2, (frame["y0"] + frame["y1"]) / 2)
    return drag_circle(page, frame, seconds, centre=centre, clear_log=True)


def _drag(page: Any, frame: dict, seconds: float) -> dict[str, Any]:
    run, log = _circle(page, frame, seconds)
    paints = [p for p in log["paints"] if run["t0"] <= p["t"] <= run["t1"] and p["live"]]
    latent, ms = _gaps(run["frames"], log["pointer"], log["paints"], run["t0"])
    elapsed = (run["t1"] - run["t0"]) / 1000
    return {"drag_exact_decodes_per_s": len(paints) / elapsed,
            "drag_frames_per_s": len(run["frames"]) / elapsed,
            "drag_gap_latent": percentiles(latent), "drag_gap_ms": percentiles(ms)}


def _press_to_paint(page: Any, locator: Any, presses: int) -> list[float]:
    from harness.browser import wait_idle

    out = []
    for i in range(presses):
        locator.focus()
        before = page.evaluate("window.__cvaeTest.paints.length")
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"window.__cvaeTest.paints.length > {before}", timeout=30_000)
        out.append(page.evaluate("(() => { const t = window.__cvaeTest;"
                                 " return t.paints[t.paints.length - 1].t"
                                 " - t.keys[t.keys.length - 1]; })()"))
        wait_idle(page)
    return out


def _tab(chrome: Any, base: str, received: list[int] | None = None) -> Any:
    """A tab on the app's default model with the map's test log on (and the bytes the
    Streamlit socket receives appended to ``received``), its map drawn."""
    from harness.browser import VIEWPORT, open_app
    from harness.latent_map import map_frame

    page = chrome.new_page(viewport=VIEWPORT)
    page.add_init_script(FLAG)
    if received is not None:
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: received.append(len(payload)))
            if "_stcore/stream" in ws.url else None)
    open_app(page, base, "model=class-prior-2d")
    map_frame(page)
    page.wait_for_timeout(1000)
    return page


def restart(chrome: Any, seconds: float = 5.0) -> dict[str, Any]:
    """The live channel across a server restart on the same port (see the docstring)."""
    from harness.browser import VIEWPORT, open_app
    from harness.latent_map import map_frame
    from harness.server import SamePortApp

    with SamePortApp("benchmark-restart") as app:
        page = chrome.new_page(viewport=VIEWPORT)
        try:
            page.add_init_script(FLAG)
            open_app(page, app.base)  # the default model: the one the restart warms
            page.evaluate("window.__notReloaded = true")
            _drag(page, map_frame(page), 1.0)
            app.stop()
            page.wait_for_selector(".cvae-map[data-live='reconnecting']", timeout=30_000)
            app.start()
            run, log = _circle(page, map_frame(page), seconds)
            reloaded = not page.evaluate("window.__notReloaded === true")
        finally:
            page.close()
    paints = [p["t"] - run["t0"] for p in log["paints"]]
    per_s = [sum(1 for t in paints if k * 1000 <= t < (k + 1) * 1000) for k in range(int(seconds))]
    return {"restart_paints_per_s": per_s,
            "restart_first_paint_ms": min(paints) if paints else None,
            "restart_50_per_s_within_5s": max(per_s, default=0) >= 50,
            "restart_page_reloaded": reloaded}


def run(quick: bool) -> dict[str, Any]:
    """All the live figures (see the module docstring)."""
    from harness.browser import chromium_missing, launch_chromium, wait_idle
    from harness.delay_proxy import DelayProxy
    from harness.latent_map import map_frame, to_page
    from harness.server import running_app

    if chromium_missing():
        return {"skipped": chromium_missing()}
    presses = 10 if quick else 30
    result: dict[str, Any] = {}
    with launch_chromium() as chrome, running_app("benchmark-live-server.log",
                                                  ready=True) as (base, _):
        received: list[int] = []
        page = _tab(chrome, base, received)
        slider = page.locator("[data-testid='stSidebar']").get_by_role("slider").first

        def bytes_of(action: Any) -> int:
            wait_idle(page)
            page.wait_for_timeout(300)
            received.clear()
            action()
            wait_idle(page)
            page.wait_for_timeout(500)
            return sum(received)

        def press() -> None:
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(200)

        slider_bytes = [bytes_of(press) for _ in range(5)]
        result["slider_press_bytes"] = sorted(slider_bytes)[len(slider_bytes) // 2]
        radio = page.locator("[data-testid='stSidebar'] label").filter(has_text="3").first
        result["class_change_bytes"] = bytes_of(lambda: radio.click())
        frame = map_frame(page)

        target = central_digit(base, "class-prior-2d")
        result["pick_bytes"] = bytes_of(lambda: page.mouse.click(*to_page(frame, *target)))
        wait_idle(page)

        result["key_to_paint_ms"] = percentiles(_press_to_paint(page, slider, presses))
        canvas = page.locator(".map-canvas")
        result["map_key_to_paint_ms"] = percentiles(_press_to_paint(page, canvas, presses))
        frame = map_frame(page)
        result["hover_to_preview_ms"] = percentiles(
            _hover_to_preview(page, frame, base, "class-prior-2d", presses * 2))
        page.get_by_label("Decoder regions").check()  # the drag runs with it on, drawn
        page.wait_for_function("(window.__cvaeTest.regions || []).some((r) => r.n === 48)",
                               timeout=120_000)  # (the fine lattice is asked when idle)
        result["drag_with_ellipses"] = page.evaluate("window.__cvaeTest.ellipses || []")
        result.update(_drag(page, frame, 5.0))
        page.wait_for_timeout(1000)
        wait_idle(page)

        # A hosted demo: every byte between the browser and the server 50 ms late each
        # way (a loopback proxy; Chromium's network emulation leaves WebSockets alone).
        with DelayProxy(urlsplit(base).port, one_way_ms=50) as proxy:
            far = _tab(chrome, f"http://127.0.0.1:{proxy.port}")
            far_canvas = far.locator(".map-canvas")
            far_slider = far.locator("[data-testid='stSidebar']").get_by_role("slider").first
            slow = percentiles(_press_to_paint(far, far_canvas, presses))
            result["map_key_to_paint_ms_rtt100"] = slow
            result["key_to_paint_ms_rtt100"] = percentiles(
                _press_to_paint(far, far_slider, presses))
            result.update({f"{k}_rtt100": v
                           for k, v in _drag(far, map_frame(far), 5.0).items()})
            far.close()
        result["rtt100_applies_to_websocket"] = (
            slow["p50"] - result["map_key_to_paint_ms"]["p50"] > 80)
        result.update(restart(chrome))
    return result
