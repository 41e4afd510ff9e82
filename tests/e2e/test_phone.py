"""The page on a phone (390×844, touch): a finger dragging the map keeps the decoded digit
in view and never scrolls the page; the sidebar's controls stay reachable; the desktop keeps
the digit beside the map."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from harness.browser import VIEWPORT, open_app, wait_idle
from harness.latent_map import TEST_FLAG, map_frame, to_page

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}

# Every scroll offset on the page (the window's and any scrolling element's).
SCROLLS = """() => [window.scrollX, window.scrollY,
  ...[...document.querySelectorAll('*')].map((e) => e.scrollTop + e.scrollLeft)]
  .reduce((a, b) => a + b, 0)"""
INSET_MATCHES_DIGIT = """() => {
  const host = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.cvae-map')).find(Boolean);
  return host.querySelector('.map-inset').toDataURL()
    === host.querySelector('.map-digit').toDataURL();
}"""


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.add_init_script(TEST_FLAG)
    open_app(page, server, "model=tutorial-2d&z1=0&z2=0")
    yield page, context
    context.close()


def test_phone_drag_keeps_the_digit_in_the_viewport_and_the_page_still(phone):
    page, context = phone
    frame = map_frame(page)
    root = page.locator(".cvae-map")
    assert root.get_attribute("data-stacked") == "true", "the digit is not below the map here"
    assert page.locator(".map-digit").bounding_box()["y"] > frame["top"] + frame["h"]
    scrolled = page.evaluate(SCROLLS)
    cdp = context.new_cdp_session(page)
    x, y = to_page(frame, 0, 0)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    boxes, matches = [], []
    for i in range(1, 41):  # mostly vertical: the move a page would scroll on
        cdp.send("Input.dispatchTouchEvent", {
            "type": "touchMove", "touchPoints": [{"x": x + 2 * i, "y": y - 4 * i}]})
        page.wait_for_timeout(16)
        if i % 8 == 0:
            boxes.append(page.locator(".map-inset").bounding_box())
            matches.append(page.evaluate(INSET_MATCHES_DIGIT))
    paints = page.evaluate("window.__cvaeTest.paints.length")
    moved_scroll = page.evaluate(SCROLLS)
    before = parse_qs(urlparse(page.url).query)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    assert moved_scroll == scrolled, "the touch drag scrolled the page"
    assert paints > 5, "the digit did not follow the finger"
    assert all(matches), "the inset does not show the decoded digit"
    for box in boxes:
        assert box is not None, "the decoded digit is hidden while dragging"
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
        assert box["width"] >= 64
    page.wait_for_function("old => new URLSearchParams(location.search).get('z2') !== old",
                           arg=before["z2"][0], timeout=60_000)
    wait_idle(page)
    assert page.evaluate(SCROLLS) == scrolled
    assert float(parse_qs(urlparse(page.url).query)["z2"][0]) > 0.1  # it moved up
    assert page.locator(".map-inset").bounding_box() is None  # gone after the release


def test_phone_sidebar_controls_stay_reachable(phone):
    page, _ = phone
    sidebar_slider = page.locator("[data-testid='stSidebar']").get_by_role("slider").first
    opener = page.get_by_test_id("stExpandSidebarButton")
    opener.wait_for()
    box = opener.bounding_box()
    assert box and 0 <= box["x"] < 390 and 0 <= box["y"] < 844
    opener.click()
    sidebar_slider.wait_for(state="visible")
    sidebar_slider.scroll_into_view_if_needed()
    box = sidebar_slider.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and 0 <= box["y"] < 844
    before = parse_qs(urlparse(page.url).query)
    sidebar_slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("old => new URLSearchParams(location.search).get('z1') !== old",
                           arg=before["z1"][0], timeout=60_000)


def test_desktop_keeps_the_digit_beside_the_map_and_no_inset(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        open_app(page, server, "model=tutorial-2d&z1=0&z2=0")
        frame = map_frame(page)
        assert page.locator(".cvae-map").get_attribute("data-stacked") == "false"
        digit = page.locator(".map-digit").bounding_box()
        assert digit["x"] > frame["left"] + frame["w"] and digit["y"] < frame["top"] + frame["h"]
        cx, cy = to_page(frame, 0, 0)
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 30, cy - 30, steps=5)
        assert page.locator(".cvae-map").get_attribute("data-dragging") == "true"
        assert page.locator(".map-inset").bounding_box() is None
        page.mouse.up()
        wait_idle(page)
    finally:
        context.close()
