"""Debian's Chromium driven by Playwright: launching it, opening the app, waiting for it.

Uses Debian's Chromium (``apt-get install -y chromium``, or ``$CVAE_CHROMIUM``) through
Playwright's Python package; Playwright's own browser download is never needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.paths import ARTIFACTS

CHROMIUM = Path(os.environ.get("CVAE_CHROMIUM", "/usr/bin/chromium"))
LAUNCH = {"executable_path": str(CHROMIUM), "args": ["--headless", "--no-sandbox"]}
VIEWPORT = {"width": 1400, "height": 1000}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# An <img> in an st.image block whose caption contains a text, by that text.
_IMAGE_BY_CAPTION = """cap => [...document.querySelectorAll("[data-testid='stImage']")]
    .find(e => e.textContent.includes(cap))?.querySelector('img')"""
# Every image decoded and every Plotly chart drawn: what a person sees once the page settles.
_RENDERED = """() => [...document.images].every(i => i.complete && i.naturalWidth > 0) &&
    [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(
        c => c.querySelector('.js-plotly-plot')?._fullLayout)"""


def chromium_missing() -> str | None:
    """Why the browser cannot run (no Chromium binary), or None when it can."""
    if CHROMIUM.is_file():
        return None
    return (f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(or set CVAE_CHROMIUM) to run the browser tests")


def require_chromium() -> None:
    """In a test: skip without Chromium, or fail when ``CVAE_REQUIRE_E2E=1`` (CI)."""
    message = chromium_missing()
    if message is None:
        return
    import pytest

    if os.environ.get("CVAE_REQUIRE_E2E") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**LAUNCH)
        try:
            yield browser
        finally:
            browser.close()


def open_app(page: Any, base_url: str, query: str = "", timeout_ms: float = 180_000) -> None:
    """Navigate to the app (optionally with ``?query``) and wait until its script is idle
    and the decoded digit is on the page; an exception shown instead fails at once, with
    its text."""
    page.goto(f"{base_url}/{('?' + query) if query else ''}")
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    exception = page.locator("[data-testid='stException']")
    page.get_by_text("Decoded digit").or_(exception).first.wait_for(timeout=timeout_ms)
    if exception.count():
        raise AssertionError(f"the page shows an exception: {exception.first.inner_text()}")
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_idle(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until the app's script (or fragment) run has finished."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_rendered(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until the script is idle, every image has loaded and every Plotly chart is drawn."""
    wait_idle(page, timeout_ms)
    page.wait_for_function(_RENDERED, timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def image_src(page: Any, caption_part: str, timeout_ms: float = 30_000) -> str:
    """The src (``/media/<content hash>.<ext>`` or a ``data:`` URL) of the image whose
    caption contains ``caption_part``, once there is one; the same picture always has the
    same src."""
    handle = page.wait_for_function(
        f"cap => ({_IMAGE_BY_CAPTION})(cap)?.getAttribute('src') || false",
        arg=caption_part, timeout=timeout_ms)
    return str(handle.json_value())


def wait_image_change(page: Any, caption_part: str, old_src: str,
                      timeout_ms: float = 60_000) -> str:
    """Wait until the image captioned with ``caption_part`` shows another picture than
    ``old_src`` and the run that drew it has finished; return the new src."""
    page.wait_for_function(
        f"([cap, old]) => {{ const i = ({_IMAGE_BY_CAPTION})(cap); "
        "return !!i && i.getAttribute('src') !== old; }",
        arg=[caption_part, old_src], timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return image_src(page, caption_part)


def save_screenshot(page: Any, name: str, path: Path | None = None) -> Path:
    """Screenshot the viewport to ``path`` (default tests/artifacts/<name>.png); never raises
    for a page that is already gone, so it is safe in teardown."""
    path = path or ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(path))
    except Exception as exc:  # a teardown screenshot must not mask the test result
        print(f"screenshot {path} failed: {exc}")
    return path
