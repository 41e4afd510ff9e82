"""The map's plane in a real browser: choosing two latent dimensions retitles the map and
the sliders, and the digit shown while dragging or stepping in that plane is the one the
page decodes there (the live route decodes the page's code of the view point)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
from playwright.sync_api import expect

from cvae import plane as planes
from harness.browser import VIEWPORT, open_app, wait_idle
from harness.latent_map import TEST_FLAG, as_sent, grab_point, map_frame, point_on_page
from tests.e2e.test_map_layers import RAF_DRAG, from_page

DIGIT_GREY = """() => {
  const c = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.map-digit')).find(Boolean);
  const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
  return Array.from({length: 784}, (_, i) => d[4 * i]);
}"""
PAINTED = "live => window.__cvaeTest.paints.some((p) => p.live === live)"


def test_plane_choice_retitles_the_map_and_a_drag_decodes_the_pointer_position(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(TEST_FLAG)
    try:
        open_app(page, server, "model=tfp-16d&digit=3")
        map_frame(page)
        status = page.locator(".map-status")
        expect(status).to_contain_text("Point at PC 1 of the codes", timeout=30_000)

        bar = page.get_by_test_id("stSidebar")
        page.get_by_role("combobox", name="Map plane").click()
        page.get_by_role("option", name="Two latent dimensions").click()
        page.wait_for_function("() => new URLSearchParams(location.search).has('plane')",
                               timeout=60_000)
        wait_idle(page)
        key = parse_qs(urlparse(page.url).query)["plane"][0]
        across, up = planes.parse(key, 16).titles(16)
        expect(status).to_contain_text(f"Point at {across} ", timeout=30_000)
        expect(status).to_contain_text(f", {up} ")
        expect(bar.get_by_text(across, exact=True)).to_be_visible()  # the sliders' labels

        frame = map_frame(page)  # drag the point around: each decode is of a pointer position
        cx, cy = grab_point(page, frame)
        page.evaluate("window.__cvaeTest.paints = []; window.__cvaeTest.pointer = []")
        sent = page.evaluate(RAF_DRAG, [cx, cy, 0.1 * frame["w"], 40])
        page.wait_for_timeout(500)
        test = page.evaluate("window.__cvaeTest")
        page.mouse.up()
        tol = 0.6 * (frame["x1"] - frame["x0"]) / frame["w"]  # under a pixel
        under = [from_page(frame, px, py) for px, py in sent]
        asked = [(p["x"], p["y"]) for p in test["pointer"]]
        assert len(asked) >= 20 and all(
            any(abs(a[0] - u[0]) <= tol and abs(a[1] - u[1]) <= tol for u in under)
            for a in asked), "the drag asked for a point not under the pointer"
        asked_set = {as_sent(p) for p in test["pointer"]}
        assert len(test["paints"]) >= 10
        assert all(as_sent(p) in asked_set for p in test["paints"])

        # A key step decodes live at the new point; its release has the page decode there:
        # the same digit (the live route decodes the page's code of that point of the plane).
        wait_idle(page)
        page.mouse.move(*point_on_page(page, frame))
        page.locator(".map-canvas").focus()
        page.evaluate("window.__cvaeTest.paints = []")
        page.keyboard.down("ArrowRight")
        page.wait_for_function(PAINTED, arg=True, timeout=30_000)
        live = np.array(page.evaluate(DIGIT_GREY))
        page.keyboard.up("ArrowRight")
        page.wait_for_function(PAINTED, arg=False, timeout=60_000)
        wait_idle(page)
        shown = np.array(page.evaluate(DIGIT_GREY))
        assert np.abs(live - shown).max() <= 1 and live.std() > 10
        assert parse_qs(urlparse(page.url).query)["plane"] == [key]
    finally:
        context.close()
