"""Your own digit, drawn with the mouse on the canvas in a real browser: the page shows what
the model sees, the judge's reading and a star on the map; Clear forgets it."""

from __future__ import annotations

from harness.browser import open_app, wait_idle

SEEN = "what the model sees: your drawing"


def _canvas(page):
    """The drawing canvas (inside the component's shadow root; Playwright pierces it)."""
    return page.locator(".draw-canvas")


def test_a_drawn_one_is_read_as_a_one_and_clear_forgets_it(server, page):
    open_app(page, server, "model=tutorial-2d&digit=1")
    canvas = _canvas(page)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for i in range(1, 21):  # one vertical stroke, top to bottom
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.7 * i / 20))
    page.mouse.up()
    page.get_by_text(SEEN).wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("reads it as a 1").count() == 1
    assert page.get_by_role("button", name="Move the latent point here").count() == 1
    assert not page.locator("[data-testid='stException']").count()

    page.locator(".draw-clear").click()
    page.get_by_text("Nothing yet: draw a digit or upload one.").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text(SEEN).count() == 0
