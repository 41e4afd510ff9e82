"""The explorer in a real browser, as a person would use it.

Every test works through what a visitor sees and touches: sidebar widgets by their labels,
the keyboard on slider thumbs, a mouse click on a digit in the scatter, links opened in a
fresh browser. Pictures are compared by their src (a ``/media/<content hash>`` address or
a ``data:`` URL), so "the picture changed" means the image bytes changed. Each test leaves
a screenshot in tests/artifacts/. They run against the page without the latent map
(``CVAE_NO_COMPONENTS=1``); the map has its own tests in test_map.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest

from harness.browser import (
    image_src,
    open_app,
    require_chromium,
    save_screenshot,
    wait_idle,
    wait_image_change,
    wait_rendered,
)
from harness.server import running_app

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

DECODED = "p(x | z) at ("          # caption of the decoded digit
CLASS_GRID = "offset by the class"  # caption of the class-mean-shifted grid
LINK_NOTE = "Some settings in this link were ignored"
EXCEPTION = "[data-testid='stException']"

# The test digits of the scatter: the 10 per-class traces (later traces are overlays).
_SCATTER = """() => {
  const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  if (!plot || !plot._fullData) return null;
  const classes = plot._fullData.filter(t => /^[0-9]$/.test(t.name));
  return {
    names: classes.map(t => t.name),
    points: classes.reduce((n, t) => n + t.x.length, 0),
    indices: new Set(classes.flatMap(t => Array.from(t.customdata, c => Number(c[0])))).size,
    labelled: classes.every(t => Array.from(t.customdata).every(c => String(c[1]) === t.name)),
    current: plot._fullData.filter(t => t.name === 'current point')
                           .map(t => [Number(t.x[0]), Number(t.y[0])])[0] ?? null,
  };
}"""

# The test digit a click can hit without ambiguity: the one farthest (in screen pixels)
# from any other marker of the chart, overlays included, away from the plot's edges; with
# its screen position, test index, label and latent coordinates.
_ISOLATED_DIGIT = """() => {
  const plot = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  const L = plot._fullLayout, s = L._size;
  const box = plot.querySelector('.main-svg').getBoundingClientRect();
  const px = (x, y) => [box.left + s.l + L.xaxis.l2p(x), box.top + s.t + L.yaxis.l2p(y)];
  const markers = [], digits = [];
  for (const t of plot._fullData) {
    if (!t.visible || !t.x) continue;
    const isDigit = /^[0-9]$/.test(t.name);
    for (let i = 0; i < t.x.length; i++) {
      const [x, y] = px(t.x[i], t.y[i]);
      markers.push([x, y]);
      if (isDigit) digits.push({x, y, zx: Number(t.x[i]), zy: Number(t.y[i]),
                                index: Number(t.customdata[i][0]),
                                label: Number(t.customdata[i][1])});
    }
  }
  const margin = 25;
  let best = null;
  for (const d of digits) {
    if (d.x < box.left + s.l + margin || d.x > box.left + s.l + s.w - margin ||
        d.y < box.top + s.t + margin || d.y > box.top + s.t + s.h - margin) continue;
    let gap = Infinity;
    for (const [x, y] of markers) {
      const g = Math.hypot(d.x - x, d.y - y);
      if (g > 0 && g < gap) gap = g;
    }
    if (!best || gap > best.gap) best = {...d, gap};
  }
  if (best) {  // what a click there would land on: the plot's drag layer, not a legend over it
    const hit = document.elementFromPoint(best.x, best.y);
    best.hit = hit ? `${hit.tagName}.${hit.getAttribute('class')}` : null;
  }
  return best;
}"""


# --- what the page shows -------------------------------------------------------------------

def sidebar(page: Page) -> Locator:
    return page.locator("[data-testid='stSidebar']")


def slider(page: Page, key: str) -> Locator:
    """The thumb (role=slider) of the sidebar slider with widget key ``key``."""
    return sidebar(page).locator(f".st-key-{key}").get_by_role("slider")


def latent_sliders(page: Page) -> list[Locator]:
    """The two thumbs under "Latent point" (the sliders keyed z1 and z2)."""
    return [slider(page, "z1"), slider(page, "z2")]


def widget_values(page: Page) -> dict[str, str]:
    """What the sidebar shows: model, digit class, z1, z2, grid size and span (as text)."""
    bar = sidebar(page)
    z1, z2 = latent_sliders(page)
    return {
        "model": bar.get_by_role("combobox", name="Model").input_value(),
        "digit": bar.get_by_role("radiogroup", name="Digit class")
                    .locator("label:has(input:checked)").inner_text().strip(),
        "z1": z1.get_attribute("aria-valuetext"),
        "z2": z2.get_attribute("aria-valuetext"),
        "n": slider(page, "n").get_attribute("aria-valuetext"),
        "span": slider(page, "span").get_attribute("aria-valuetext"),
    }


def scatter(page: Page) -> dict:
    page.wait_for_function(f"() => ({_SCATTER})() !== null")
    return page.evaluate(_SCATTER)


def query_of(url: str) -> str:
    return urlsplit(url).query


def assert_no_exception(page: Page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()
    body = page.locator("body").inner_text()
    assert "Traceback" not in body


def dp2(value: float) -> str:
    """A slider value as the page prints it: two decimals, never "-0.00"."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def press(thumb: Locator, key: str, times: int) -> None:
    thumb.focus()
    for _ in range(times):
        thumb.press(key)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """These tests drive the plain widgets: the page without the latent map
    (``CVAE_NO_COMPONENTS=1``: the decoded digit as an image beside the Plotly scatter); the
    map is covered by test_map.py."""
    require_chromium()
    with running_app("streamlit-server-plain.log", env={"CVAE_NO_COMPONENTS": "1"},
                     ready=True) as (base, _):
        yield base


# --- tests ---------------------------------------------------------------------------------

def test_pictures_arrive_as_the_models_own_pngs(server, page):
    """The class grid reaches the browser byte for byte as the model service drew it (no
    lossy re-encoding on the way)."""
    from cvae.serving import registry

    open_app(page, server)
    src = image_src(page, CLASS_GRID)
    assert src.endswith(".png"), src
    sent = page.request.get(urljoin(page.url, src)).body()
    assert sent == registry.service("class-prior-2d").class_grid_png(8, 15, 0.95)


def test_default_view_shows_digit_scatter_and_class_grid(server, page):
    open_app(page, server)
    wait_rendered(page)
    assert_no_exception(page)
    assert page.get_by_text(LINK_NOTE).count() == 0  # a plain visit has nothing to excuse

    for caption in (DECODED, CLASS_GRID):
        picture = page.locator("[data-testid='stImage']").filter(has_text=caption).locator("img")
        picture.wait_for(state="visible", timeout=30_000)  # fails the test if it never shows
        page.wait_for_function("i => i.complete && i.naturalWidth >= 28",
                               arg=picture.element_handle(), timeout=30_000)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    assert chart.is_visible()
    shown = scatter(page)
    assert shown["names"] == [str(d) for d in range(10)]
    assert shown["points"] == 10_000 and shown["indices"] == 10_000
    assert shown["labelled"], "a test digit sits in the trace of another class"
    assert shown["current"] is None, "the scatter carries the point: a slider move re-sends it"

    values = widget_values(page)
    assert values["digit"] == "8" and values["n"] == "15" and values["span"] == "0.95"
    assert f"{DECODED}{values['z1']}, {values['z2']})" in page.locator("body").inner_text()



def test_picking_another_class_changes_the_class_grid(server, page):
    open_app(page, server)
    grid, decoded = image_src(page, CLASS_GRID), image_src(page, DECODED)
    before = widget_values(page)
    assert before["digit"] == "8"

    sidebar(page).get_by_role("radiogroup", name="Digit class").get_by_text(
        "3", exact=True).click()
    assert wait_image_change(page, CLASS_GRID, grid) != grid
    assert page.get_by_text("Class-mean-shifted grid · digit 3").is_visible()
    after = widget_values(page)
    assert after["digit"] == "3"
    # The latent point moves to the class centre, so the decoded digit follows the class.
    assert (after["z1"], after["z2"]) != (before["z1"], before["z2"])
    wait_image_change(page, DECODED, decoded)
    assert_no_exception(page)


def test_moving_a_latent_slider_with_the_keyboard_changes_the_decoded_digit(server, page):
    open_app(page, server)
    z1, z2 = latent_sliders(page)
    x, y = (float(t.get_attribute("aria-valuetext")) for t in (z1, z2))
    before = image_src(page, DECODED)

    press(z1, "ArrowRight", 6)  # 6 steps of 0.01
    x += 0.06
    page.get_by_text(f"{DECODED}{dp2(x)}, {dp2(y)})").wait_for()  # drawn by the server
    wait_idle(page)
    after = image_src(page, DECODED)
    assert after != before
    assert z1.get_attribute("aria-valuetext") == dp2(x)

    press(z2, "ArrowDown", 3)
    y -= 0.03
    page.get_by_text(f"{DECODED}{dp2(x)}, {dp2(y)})").wait_for()
    wait_idle(page)
    assert image_src(page, DECODED) not in (before, after)
    assert_no_exception(page)


def test_clicking_a_digit_in_the_scatter_moves_the_point_to_it(server, page):
    open_app(page, server)
    page.locator("[data-testid='stPlotlyChart']").first.scroll_into_view_if_needed()
    scatter(page)
    target = page.evaluate(_ISOLATED_DIGIT)
    assert target and target["gap"] >= 6, f"no digit can be clicked unambiguously: {target}"
    assert "drag" in (target["hit"] or ""), f"something covers the digit: {target}"
    before = image_src(page, DECODED)

    # Hover until the tooltip names the digit (as a person would), then click it.
    page.mouse.move(target["x"], target["y"], steps=5)
    page.wait_for_function(
        "label => document.querySelector("
        "\"[data-testid='stPlotlyChart'] .hoverlayer\")?.textContent.includes(label)",
        arg=f"test digit #{target['index']} ")
    page.mouse.click(target["x"], target["y"])
    picked = page.locator("[data-testid='stMarkdownContainer']").filter(
        has_text=f"Picked test digit #{target['index']}")
    picked.wait_for(timeout=60_000)
    wait_idle(page)
    assert f"Picked test digit #{target['index']} (a {target['label']})" in picked.inner_text()

    values = widget_values(page)
    assert math.isclose(float(values["z1"]), target["zx"], abs_tol=0.011), (values, target)
    assert math.isclose(float(values["z2"]), target["zy"], abs_tol=0.011), (values, target)
    assert image_src(page, DECODED) != before
    assert f"pick={target['index']}" in query_of(page.url)
    assert_no_exception(page)


def test_a_shared_link_reopens_the_same_view(server, page, new_page):
    open_app(page, server)
    bar = sidebar(page)
    # Another model (its first load in this server may take a while).
    decoded = image_src(page, DECODED)
    bar.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name="tutorial-2d", exact=True).click()
    decoded = wait_image_change(page, DECODED, decoded, timeout_ms=180_000)
    assert widget_values(page)["model"] == "tutorial-2d"
    # Another class, then the latent point and the grid settings by keyboard; each time wait
    # for the final value to be drawn by the server, not just for the first repaint.
    bar.get_by_role("radiogroup", name="Digit class").get_by_text("3", exact=True).click()
    decoded = wait_image_change(page, DECODED, decoded)
    x, y = (float(t.get_attribute("aria-valuetext")) for t in latent_sliders(page))
    press(latent_sliders(page)[1], "ArrowUp", 6)
    page.get_by_text(f"{DECODED}{dp2(x)}, {dp2(y + 0.06)})").wait_for()
    press(slider(page, "n"), "ArrowLeft", 3)
    page.get_by_text("12×12 codes at normal quantiles 0.05–0.95").wait_for()
    press(slider(page, "span"), "Home", 1)
    page.get_by_text("12×12 codes at normal quantiles 0.40–0.60").wait_for()
    wait_rendered(page)
    values = widget_values(page)
    assert (values["n"], values["span"]) == ("12", "0.60"), values
    decoded, grid = image_src(page, DECODED), image_src(page, CLASS_GRID)

    link = page.url
    query = query_of(link)
    for key in ("model", "digit", "z1", "z2", "n", "span"):
        assert f"{key}=" in query, f"{key} missing from the shared link {link}"

    other = new_page()  # a fresh browser context: no cookies, no Streamlit session
    open_app(other, server, query)
    wait_rendered(other)
    assert_no_exception(other)
    assert other.get_by_text(LINK_NOTE).count() == 0
    assert widget_values(other) == values
    assert image_src(other, DECODED) == decoded
    assert image_src(other, CLASS_GRID) == grid
    assert query_of(other.url) == query  # the link survives a visit unchanged


def test_a_garbage_link_shows_defaults_and_a_note(server, page, new_page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    garbage = ("model=../../etc/passwd&digit=banana&z1=nan&n=-4"
               "&span=<script>alert(1)</script>")
    open_app(page, server, garbage)
    wait_rendered(page)

    note = page.locator("[data-testid='stAlert']").filter(has_text=LINK_NOTE)
    assert note.count() == 1 and note.is_visible()
    save_screenshot(page, "garbage-link-note")
    text = note.inner_text()
    for field in ("model=../../etc/passwd", "digit=banana", "z1=nan", "n=-4", "span="):
        assert field in text, (field, text)
    assert_no_exception(page)
    assert dialogs == [], "a value from the link ran as script"
    for junk in ("passwd", "banana", "nan", "script"):
        assert junk not in query_of(page.url), page.url  # re-sharing drops the junk

    plain = new_page()
    open_app(plain, server)
    assert widget_values(page) == widget_values(plain)
    assert widget_values(page)["model"] == "class-prior-2d"
    assert image_src(page, DECODED) == image_src(plain, DECODED)
    assert image_src(page, CLASS_GRID) == image_src(plain, CLASS_GRID)

    page.get_by_role("button", name="Dismiss").click()
    note.wait_for(state="detached")
    assert_no_exception(page)

