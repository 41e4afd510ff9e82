"""Export and the latent-space routes in a real browser: the copy-link button copies the
view's URL, a download button hands out a PNG, the regions route answers on the server."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from cvae.live.regions import decode_regions
from harness.browser import open_app, wait_rendered


def test_export_copy_link_button_copies_the_view_url(server, browser):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin=server.rstrip("/"))
    page = context.new_page()
    try:
        open_app(page, server, "model=tutorial-2d&digit=4&z1=0.75&z2=-0.5")
        wait_rendered(page)
        button = page.get_by_role("button", name="Copy a link to this view")
        button.click()
        page.get_by_role("status").filter(has_text="Link copied").wait_for(timeout=10_000)
        copied = page.evaluate("navigator.clipboard.readText()")
        query = parse_qs(urlsplit(copied).query)
        assert query["model"] == ["tutorial-2d"] and query["digit"] == ["4"]
        assert query["z1"] == ["0.75"] and query["z2"] == ["-0.5"]
    finally:
        context.close()


def test_export_grid_download_is_a_png(server, page):
    open_app(page, server, "model=tutorial-2d&n=5")
    wait_rendered(page)
    button = page.get_by_role("button", name="Download the grid (PNG)")
    with page.expect_download(timeout=60_000) as download:
        button.click()
    picture = Image.open(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert picture.format == "PNG" and picture.size[0] >= 5 * 28
    assert download.value.suggested_filename.endswith(".png")


def test_region_route_answers_on_the_server(server, page):
    r = page.request.get(f"{server.rstrip('/')}/cvae/regions/tutorial-2d"
                         "?digit=2&x0=-3&x1=3&y0=-3&y1=3&n=16")
    assert r.status == 200
    query, labels, confidence = decode_regions(r.body())
    assert query.n == 16 and labels.shape == (16, 16) and labels.max() <= 9
    assert 0 < confidence.min() <= confidence.max() <= 1
    bad = page.request.get(f"{server.rstrip('/')}/cvae/regions/tutorial-2d?digit=2")
    assert bad.status == 400 and "x0 is missing" in bad.text()
