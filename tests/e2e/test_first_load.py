"""First load of the real app: Streamlit's bundle arrives compressed from `streamlit run
app.py` itself, and nothing on a phone's or a laptop's first screen moves while the page
loads (the laptop's sidebar included: `cvae.first_frame`)."""

from __future__ import annotations

import gzip
import re
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cvae.compressed_static import streamlit_bundle

SCREENS = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                     "has_touch": True},
           "laptop": {"viewport": {"width": 1350, "height": 940}}}  # Lighthouse's desktop
SHIFTS = """window.__shifts = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) {
  if (!e.hadRecentInput) window.__shifts.push(e.value); } })
  .observe({type: 'layout-shift', buffered: true});
window.__cvaeTest = {paints: [], pointer: [], keys: []};"""


def get(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as r:
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


@contextmanager
def first_paint(browser, url: str, screen: str) -> Iterator:
    """A fresh visit to ``url`` on ``screen`` (layout shifts recorded from the start), once
    the map has painted its first digit; closed on exit."""
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        page.add_init_script(SHIFTS)
        page.goto(url)
        page.wait_for_function("window.__cvaeTest.paints.length > 0", timeout=180_000)
        yield page
    finally:
        context.close()


def test_main_bundle_is_sent_gzipped_and_decompresses_to_the_file(server):
    _, html = get(f"{server}/")
    name = re.search(rb"static/js/(index\.[\w-]+\.js)", html).group(1).decode()
    original = (streamlit_bundle() / "js" / name).read_bytes()
    deadline = time.monotonic() + 300  # the first start of a Streamlit version compresses
    while True:
        headers, body = get(f"{server}/static/js/{name}", **{"Accept-Encoding": "gzip"})
        if headers.get("content-encoding") == "gzip" or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert headers.get("content-encoding") == "gzip", "the bundle never arrived compressed"
    assert "accept-encoding" in headers["vary"].lower()
    assert "immutable" in headers["cache-control"]
    assert len(body) < len(original) / 2 and gzip.decompress(body) == original

    headers, body = get(f"{server}/static/js/{name}", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and body == original


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_first_screen_does_not_shift_while_loading(server, browser, screen):
    with first_paint(browser, f"{server}/", screen) as page:
        page.wait_for_timeout(2000)  # late images, fonts, the test digits' layer
        shifts = page.evaluate("window.__shifts")
    assert sum(shifts) <= 0.1, f"layout shifts while loading: {shifts}"


ICONS_DRAWN = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('body *')].filter((e) =>
      e.children.length === 0 && e.textContent.trim() &&
      getComputedStyle(e).fontFamily.includes('Material Symbols'))
    .map((e) => ({name: e.textContent.trim(), width: e.getBoundingClientRect().width,
                  size: parseFloat(getComputedStyle(e).fontSize)}));
}"""


def test_every_icon_on_the_page_is_drawn_from_the_cut_icon_font(server, browser):
    """The icon font is cut to the icons Streamlit and the app name (`cvae.font_subsets`):
    each icon the page shows is one it keeps, drawn as one glyph (an icon the font lacked
    would show as its name's letters, several times wider than the font size)."""
    from cvae import font_subsets

    icon_path = next((streamlit_bundle() / "media").glob("MaterialSymbols-Rounded.*.woff2"))
    url = f"{server}/static/media/{icon_path.name}"
    deadline = time.monotonic() + 300  # the compressed copy is made in the background
    while len(body := get(url)[1]) >= icon_path.stat().st_size and time.monotonic() < deadline:
        time.sleep(2)
    kept = font_subsets.icon_names(body)
    assert "download" in kept and len(body) < icon_path.stat().st_size / 20

    with first_paint(browser, f"{server}/?model=cvae-style-2d", "laptop") as page:
        page.get_by_text("How it was made (full config)").click()  # an expander's chevron
        page.wait_for_timeout(1500)
        drawn = page.evaluate(ICONS_DRAWN)
    names = {icon["name"] for icon in drawn}
    assert {"download", "keyboard_double_arrow_left"} <= names  # buttons and the sidebar
    assert names <= kept, f"icons the cut font lacks: {names - kept}"
    wide = [icon for icon in drawn if icon["width"] > 1.6 * icon["size"]]
    assert wide == [], f"icons drawn as letters: {wide}"


MAP_MODULES = """() => performance.getEntriesByType('resource')
  .filter((e) => /cvae\\/static\\/|BidiComponent/.test(e.name))
  .map((e) => ({name: new URL(e.name).pathname + new URL(e.name).search,
                initiator: e.initiatorType, start: e.startTime}))"""


def test_the_map_modules_download_with_the_page_once_each(server, browser):
    """The page's HTML preloads the map's first modules (`cvae.first_frame`): each is
    fetched once, before Streamlit even asks for its custom-component code (not on
    demand when the map mounts, Chromium's initiator "script"), and the map paints."""
    from cvae.latent_map import first_paint_modules

    with first_paint(browser, f"{server}/", "phone") as page:
        fetched = page.evaluate(MAP_MODULES)
    component = [f["start"] for f in fetched if "BidiComponent" in f["name"]]
    assert len(component) == 1, fetched
    for module in first_paint_modules():
        times = [f for f in fetched if f["name"] == f"/{module}"]
        assert len(times) == 1, f"{module} fetched {len(times)} times: {fetched}"
        assert times[0]["initiator"] != "script" and times[0]["start"] < component[0], (
            f"{module} fetched on demand, not preloaded: {fetched}")
