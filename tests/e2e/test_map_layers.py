"""The latent map's hover previews, zoom and pan, ellipses and decoder-regions layer in a
real browser. Observed through ``window.__cvaeTest`` (set before the page loads): the map
then logs each preview painted, each regions lattice drawn and the ellipses of its last
frame, besides each digit painted and each pointer position (see test_map.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cvae.data import load_test_split
from harness.browser import open_app, wait_idle
from harness.latent_map import TEST_FLAG, as_sent, fetch_points, map_frame, to_page

MAP_ROOT = ("[...document.querySelectorAll('[data-testid=\"stBidiComponentIsolated\"]')]"
            ".map((h) => h.shadowRoot && h.shadowRoot.querySelector('.cvae-map'))"
            ".find(Boolean)")

RAF_DRAG = """async ([cx, cy, r, frames]) => {
  const canvas = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.map-canvas')).find(Boolean);
  const sent = [];
  for (let i = 0; i < frames; i += 1) {
    await new Promise((res) => requestAnimationFrame(res));
    const a = i / frames * 2 * Math.PI;
    const p = [cx + r * Math.cos(a), cy + r * Math.sin(a)];
    sent.push(p);
    canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: p[0], clientY: p[1],
      pointerId: 1, pointerType: 'mouse', buttons: 1, bubbles: true}));
  }
  return sent;
}"""


def from_page(frame: dict, px: float, py: float) -> tuple[float, float]:
    """The view point under page pixel (px, py) of a `map_frame`."""
    return (frame["x0"] + (px - frame["left"]) / frame["w"] * (frame["x1"] - frame["x0"]),
            frame["y1"] - (py - frame["top"]) / frame["h"] * (frame["y1"] - frame["y0"]))


def on_screen(frame: dict, xy: np.ndarray) -> np.ndarray:
    px = np.array([to_page(frame, *p) for p in xy])
    return px


def test_hover_shows_the_digit_whose_index_and_label_match_the_points_file(map_page, server):
    page = map_page
    frame = map_frame(page)
    xy, labels = fetch_points(server, "tutorial-2d")
    pix = on_screen(frame, xy)
    index = int(np.argmin(np.linalg.norm(xy - xy.mean(axis=0) - 0.7, axis=1)))
    page.mouse.move(*pix[index])
    page.wait_for_function("(window.__cvaeTest.previews || []).length > 0", timeout=30_000)
    shown = page.evaluate("window.__cvaeTest.previews.at(-1).index")
    # the digit nearest the pointer (ties within a pixel aside)
    assert np.linalg.norm(pix[shown] - pix[index]) <= np.linalg.norm(pix - pix[index], axis=1)[
        np.arange(len(pix)) != index].min() + 1.0 or shown == index
    assert page.locator(".map-hover-text").inner_text() == f"#{shown} · label {labels[shown]}"
    grey = page.locator(".map-hover canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)"
        ".filter((_, i) => i % 4 === 0)")
    split = load_test_split()
    assert np.array_equal(np.array(grey, np.uint8).reshape(28, 28), split.images[shown])
    assert split.labels[shown] == labels[shown]


def test_hover_keyboard_steps_through_the_nearest_digits_and_enter_picks(map_page, server):
    page = map_page
    map_frame(page)
    xy, labels = fetch_points(server, "tutorial-2d")
    page.locator(".map-canvas").focus()
    page.keyboard.press("n")
    page.wait_for_function("(window.__cvaeTest.previews || []).length > 0", timeout=30_000)
    shown = page.evaluate("window.__cvaeTest.previews.at(-1).index")
    assert shown == int(np.argmin(np.linalg.norm(xy, axis=1)))  # the point is at (0, 0)
    status = page.locator(".map-status")
    assert f"Test digit #{shown}, label {labels[shown]}: 1 of 10" in status.inner_text()
    page.keyboard.press("Enter")
    page.get_by_text(f"Picked test digit #{shown}").wait_for(timeout=60_000)


def test_wheel_zoom_changes_the_view_and_a_drag_after_it_decodes_the_pointer_position(map_page):
    page = map_page
    before = map_frame(page)
    cx, cy = to_page(before, 0, 0)
    mx, my = cx + 0.2 * before["w"], cy - 0.1 * before["h"]
    under = from_page(before, mx, my)
    page.mouse.move(mx, my)
    old = page.locator(".cvae-map").get_attribute("data-frame")
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"f => {MAP_ROOT}.dataset.frame !== f", arg=old)
    page.wait_for_timeout(300)
    after = map_frame(page)
    assert after["x1"] - after["x0"] < 0.8 * (before["x1"] - before["x0"])
    px_units = (before["x1"] - before["x0"]) / before["w"]  # view units per page pixel
    assert from_page(after, mx, my) == pytest.approx(under, abs=0.6 * px_units)  # about the pointer
    assert not page.get_by_role("button", name="Reset zoom").is_disabled()

    cx, cy = to_page(after, 0, 0)  # grab the point, then drag it around
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.evaluate("window.__cvaeTest.paints = []; window.__cvaeTest.pointer = []")
    sent = page.evaluate(RAF_DRAG, [cx, cy, 0.15 * after["w"], 40])
    page.wait_for_timeout(500)
    test = page.evaluate("window.__cvaeTest")
    page.mouse.up()
    box = page.locator(".map-canvas").bounding_box()
    expected = {(round(x, 3), round(y, 3)) for x, y in (from_page(after, px, py) for px, py in sent)
                if after["x0"] <= x <= after["x1"]}
    logged = [(round(p["x"], 3), round(p["y"], 3)) for p in test["pointer"]]
    assert box and len(logged) >= 20
    tol = 0.6 * (after["x1"] - after["x0"]) / after["w"]  # under a pixel (page rounding)
    hits = sum(1 for p in logged if any(abs(p[0] - e[0]) <= tol and abs(p[1] - e[1]) <= tol
                                        for e in expected))
    assert hits == len(logged), "a drag after the zoom asked for a point not under the pointer"
    asked = {as_sent(p) for p in test["pointer"]}
    live = test["paints"]
    assert len(live) >= 10
    for paint in live:  # every painted decode is of a position the pointer was at
        assert as_sent(paint) in asked

    page.get_by_role("button", name="Reset zoom").click()
    page.wait_for_timeout(300)
    reset = map_frame(page)
    assert (reset["x0"], reset["x1"]) == pytest.approx((before["x0"], before["x1"]))


def test_pan_by_dragging_empty_space_moves_the_view_not_the_point(map_page):
    page = map_page
    before = map_frame(page)
    point = page.locator(".cvae-map").get_attribute("data-point")
    sx, sy = to_page(before, before["x0"] + 0.1 * (before["x1"] - before["x0"]),
                     before["y0"] + 0.1 * (before["y1"] - before["y0"]))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 60, sy - 30, steps=6)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = map_frame(page)
    dx = 60 / before["w"] * (before["x1"] - before["x0"])
    assert after["x0"] == pytest.approx(before["x0"] - dx, abs=1e-3)
    assert page.locator(".cvae-map").get_attribute("data-point") == point


def test_ellipse_drawn_after_a_pick(map_page, server):
    page = map_page
    frame = map_frame(page)
    page.wait_for_function("(window.__cvaeTest.ellipses || []).includes('prior')")
    assert "picked" not in page.evaluate("window.__cvaeTest.ellipses")
    xy, _ = fetch_points(server, "tutorial-2d")
    index = int(np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1)))
    page.mouse.click(*to_page(frame, *xy[index]))
    page.get_by_text("Picked test digit #").wait_for(timeout=60_000)
    page.wait_for_function("(window.__cvaeTest.ellipses || []).includes('picked')",
                           timeout=30_000)


def test_region_layer_toggled_fetches_and_draws(map_page):
    page = map_page
    frame = map_frame(page)
    wait_idle(page)
    box = page.locator(".map-canvas")
    cx, cy = to_page(frame, frame["x0"] + 0.3 * (frame["x1"] - frame["x0"]),
                     frame["y0"] + 0.3 * (frame["y1"] - frame["y0"]))
    b = box.bounding_box()
    pixel = ("([x, y]) => { const c = [...document.querySelectorAll("
             "'[data-testid=\"stBidiComponentIsolated\"]')].map((h) => h.shadowRoot &&"
             " h.shadowRoot.querySelector('.map-canvas')).find(Boolean);"
             " const d = window.devicePixelRatio || 1;"
             " return Array.from(c.getContext('2d').getImageData(Math.round(x * d),"
             " Math.round(y * d), 1, 1).data); }")
    plain = page.evaluate(pixel, [cx - b["x"], cy - b["y"]])
    assert not page.locator(".map-legend").is_visible()
    with page.expect_response(lambda r: "/cvae/regions/tutorial-2d" in r.url) as got:
        page.get_by_label("Decoder regions").check()
    assert got.value.status == 200 and "n=24" in got.value.url
    page.wait_for_function("(window.__cvaeTest.regions || []).length > 0", timeout=30_000)
    drawn = page.evaluate("window.__cvaeTest.regions[0]")
    assert drawn["x0"] == pytest.approx(frame["x0"], abs=2e-3)
    assert drawn["y1"] == pytest.approx(frame["y1"], abs=2e-3)
    page.wait_for_timeout(200)
    assert page.evaluate(pixel, [cx - b["x"], cy - b["y"]]) != plain  # the map is tinted
    assert page.locator(".map-legend").is_visible()
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -200)  # a zoom asks for the lattice of the new view
    page.wait_for_function("window.__cvaeTest.regions.some((r) => r.x1 - r.x0 < "
                           f"{0.9 * (frame['x1'] - frame['x0'])})", timeout=30_000)


def test_pinch_zoom_with_two_fingers_zooms_the_view(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.add_init_script(TEST_FLAG)
        open_app(page, server, "model=tutorial-2d&z1=0&z2=0")
        before = map_frame(page)
        cx, cy = to_page(before, 0.8, 0.8)  # away from the point: no point drag
        cdp = context.new_cdp_session(page)

        def touch(kind: str, gap: float) -> None:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": cx - gap, "y": cy, "id": 1}, {"x": cx + gap, "y": cy, "id": 2}]})

        touch("touchStart", 20)
        for gap in range(24, 84, 4):
            touch("touchMove", gap)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_timeout(300)
        after = map_frame(page)
        assert after["x1"] - after["x0"] < 0.5 * (before["x1"] - before["x0"])
        assert from_page(after, cx, cy) == pytest.approx(from_page(before, cx, cy), abs=0.05)
        assert page.locator(".cvae-map").get_attribute("data-point") == "0.000,0.000"
    finally:
        context.close()
