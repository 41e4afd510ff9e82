"""The analogy panel of the style model in a real browser: ten digits in one style, and
the strip follows the latent point when a slider moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.browser import (
    image_src,
    open_app,
    require_chromium,
    wait_idle,
    wait_image_change,
)
from harness.server import running_app

ANALOGY = "p(x | z, y) for y = 0…9"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The page with the plain sliders (the panel is the same with the latent map)."""
    require_chromium()
    with running_app("streamlit-server-analogy.log", env={"CVAE_NO_COMPONENTS": "1"},
                     ready=True) as (
            base, _):
        yield base


def test_analogy_strip_shows_ten_digits_and_follows_the_slider(server, page):
    open_app(page, server, "model=cvae-style-2d&digit=8")
    before = image_src(page, ANALOGY)
    size = page.evaluate("""cap => {
        const fig = [...document.querySelectorAll("[data-testid='stImage']")]
            .find(e => e.textContent.includes(cap)).querySelector('img');
        return [fig.naturalWidth, fig.naturalHeight];
    }""", ANALOGY)
    # ten 28x28 digits side by side (2x, 1-pixel gaps): one row, ten columns
    assert size == [(10 * 29 - 1) * 2, 28 * 2], size
    thumb = page.locator("[data-testid='stSidebar'] .st-key-z1").get_by_role("slider")
    thumb.focus()
    for _ in range(40):  # 0.40 to the right
        thumb.press("ArrowRight")
    wait_image_change(page, ANALOGY, before)
    wait_idle(page)
    assert not page.locator("[data-testid='stException']").count()
