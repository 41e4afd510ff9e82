"""The latent map in a real browser: drag, click-to-pick, keyboard, touch, the fallback
without the component, live decoding under a base URL path, and what a slider move sends.

Paints are observed through ``window.__cvaeTest`` (set before the page loads): only then
does the map log each digit it paints and each pointer position.
"""

from __future__ import annotations

import struct
import urllib.request
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from harness.browser import VIEWPORT, open_app, require_chromium, wait_idle
from harness.latent_map import TEST_FLAG, as_sent, map_frame, to_page
from harness.server import running_app

RAF_DRAG = """async ([cx, cy, r, frames, type]) => {
  const canvas = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.map-canvas')).find(Boolean);
  for (let i = 0; i < frames; i += 1) {
    await new Promise((res) => requestAnimationFrame(res));
    const a = i / frames * 2 * Math.PI;
    canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: cx + r * Math.cos(a),
      clientY: cy + r * Math.sin(a), pointerId: 1, pointerType: type, buttons: 1,
      bubbles: true}));
  }
}"""


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def wait_point_in_url(page, old: dict, timeout_ms: float = 60_000) -> dict:
    page.wait_for_function(
        "old => { const q = new URLSearchParams(location.search);"
        " return q.get('z1') !== old[0] || q.get('z2') !== old[1]; }",
        arg=[old.get("z1", [None])[0], old.get("z2", [None])[0]], timeout=timeout_ms)
    wait_idle(page)
    return query(page)


def test_a_drag_shows_exact_decodes_and_its_release_sets_the_sliders(map_page):
    page = map_page
    frame = map_frame(page)
    cx, cy = to_page(frame, 0, 0)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.evaluate(RAF_DRAG, [cx, cy, 0.2 * frame["w"], 90, "mouse"])
    page.wait_for_timeout(500)
    test = page.evaluate("window.__cvaeTest")
    live = [p for p in test["paints"][1:]]
    assert len(live) >= 10, "the digit did not follow the drag"
    sent = {as_sent(p) for p in test["pointer"]}
    for paint in live:  # every painted decode is of a position the pointer was at
        assert as_sent(paint) in sent
    before = query(page)
    page.mouse.up()
    after = wait_point_in_url(page, before)
    x, y = map(float, page.locator(".cvae-map").get_attribute("data-point").split(","))
    assert float(after["z1"][0]) == pytest.approx(x, abs=0.006)
    assert float(after["z2"][0]) == pytest.approx(y, abs=0.006)


def test_a_click_on_a_test_digit_picks_it(map_page, server):
    page = map_page
    frame = map_frame(page)
    with urllib.request.urlopen(f"{server}/cvae/points/tutorial-2d") as r:
        data = r.read()
    (n,) = struct.unpack_from("<I", data)
    xy = np.stack([np.frombuffer(data, "<f4", n, 4), np.frombuffer(data, "<f4", n, 4 + 4 * n)],
                  axis=1)
    index = int(np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1)))
    page.mouse.click(*to_page(frame, *xy[index]))
    page.get_by_text("Picked test digit #").wait_for(timeout=60_000)
    wait_idle(page)
    picked = int(query(page)["pick"][0])
    px, py = to_page(frame, *xy[picked])
    tx, ty = to_page(frame, *xy[index])
    assert np.hypot(px - tx, py - ty) <= 8.0  # the digit under the click (8 px radius)
    assert page.get_by_text("original").count() and page.get_by_text("reconstruction").count()


def test_arrow_keys_move_the_point_and_commit_on_release(map_page):
    page = map_page
    map_frame(page)
    page.locator(".map-canvas").focus()
    before = query(page)
    page.keyboard.press("ArrowRight")
    after = wait_point_in_url(page, before)
    assert float(after["z1"][0]) == pytest.approx(0.05, abs=0.006)
    page.keyboard.press("Shift+ArrowUp")
    after2 = wait_point_in_url(page, after)
    assert float(after2["z2"][0]) == pytest.approx(0.5, abs=0.006)


def test_a_touch_drag_moves_the_point(browser, server):
    context = browser.new_context(viewport=VIEWPORT, has_touch=True)
    page = context.new_page()
    try:
        page.add_init_script(TEST_FLAG)
        open_app(page, server, "model=tutorial-2d&z1=0&z2=0")
        frame = map_frame(page)
        assert page.locator(".map-canvas").evaluate(
            "c => getComputedStyle(c).touchAction") == "none"
        cdp = context.new_cdp_session(page)
        x, y = to_page(frame, 0, 0)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart",
                                              "touchPoints": [{"x": x, "y": y}]})
        for i in range(1, 21):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                  "touchPoints": [{"x": x + 4 * i, "y": y}]})
        before = query(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        after = wait_point_in_url(page, before)
        assert float(after["z1"][0]) > 0.1 and float(after["z2"][0]) == pytest.approx(0, abs=0.02)
    finally:
        context.close()


def test_a_slider_move_sends_no_point_data(map_page):
    page = map_page
    map_frame(page)
    received: list[int] = []

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda payload: received.append(len(payload)))

    page.on("websocket", on_socket)
    open_app(page, page.url.split("?")[0].rstrip("/"), "model=tutorial-2d&z1=0&z2=0")
    map_frame(page)
    page.wait_for_timeout(1000)
    received.clear()
    thumb = page.locator("[data-testid='stSidebar']").get_by_role("slider").first
    thumb.focus()
    before = query(page)
    page.keyboard.press("ArrowRight")
    wait_point_in_url(page, before)
    page.wait_for_timeout(500)
    assert 0 < sum(received) < 10_000, received


def test_without_the_component_sliders_and_scatter_still_work(browser):
    require_chromium()
    with running_app("streamlit-server-nomap.log", env={"CVAE_NO_COMPONENTS": "1"},
                     ready=True) as (base, _):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        try:
            open_app(page, base, "model=tutorial-2d")
            assert page.locator(".cvae-map").count() == 0
            page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot")
            page.get_by_text("The live latent map is off here").wait_for()
            src = page.locator("[data-testid='stImage'] img").first.get_attribute("src")
            thumb = page.locator("[data-testid='stSidebar']").get_by_role("slider").first
            thumb.focus()
            before = query(page)
            page.keyboard.press("ArrowRight")
            wait_point_in_url(page, before)
            page.wait_for_function(
                "old => document.querySelector(\"[data-testid='stImage'] img\")"
                ".getAttribute('src') !== old", arg=src)
        finally:
            context.close()


def test_live_decoding_works_under_a_base_url_path(browser):
    require_chromium()
    env = {"STREAMLIT_SERVER_BASE_URL_PATH": "demo"}
    with running_app("streamlit-server-base.log", env=env, base_path="/demo",
                     ready=True) as (base, _):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        try:
            page.add_init_script(TEST_FLAG)
            open_app(page, base, "model=tutorial-2d&z1=0&z2=0")
            frame = map_frame(page)
            cx, cy = to_page(frame, 0, 0)
            page.mouse.move(cx, cy)
            page.mouse.down()
            page.evaluate(RAF_DRAG, [cx, cy, 0.2 * frame["w"], 30, "mouse"])
            page.wait_for_function("window.__cvaeTest.paints.length > 5", timeout=30_000)
            assert page.locator(".cvae-map").get_attribute("data-live") == "live"
            page.mouse.up()
        finally:
            context.close()
