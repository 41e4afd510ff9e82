"""The live channel comes back: after the server restarts on the same port, or behind the
repo's nginx after the replica serving the page dies, the page (not reloaded) says it is
reconnecting, then the next drag paints exact decodes again. (How fast
it comes back is measured by ``python -m benchmarks --only live``: ``restart_*``.)"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest

from harness.browser import VIEWPORT, open_app, require_chromium, wait_idle
from harness.latent_map import TEST_FLAG, as_sent, drag_circle, map_frame
from harness.server import SamePortApp

# Streamlit's own page socket: every state it goes through from now on.
WATCH_PAGE_SOCKET = """() => {
  window.__pageStates = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => window.__pageStates.push(app.dataset.testConnectionState))
    .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""
PAGE_BACK = """() => window.__pageStates.some((s) => s !== 'CONNECTED') &&
  document.querySelector("[data-testid='stApp']").dataset.testConnectionState === 'CONNECTED'"""


# Every live-channel state the map has been in (main.js logs them under the test flag).
SAID_RECONNECTING = """() => (window.__cvaeTest.live || [])
  .some((s) => s.state === 'reconnecting')"""


def wait_said_reconnecting(page) -> None:
    """Until the map has said it is reconnecting (a failover may pass through that state
    within one frame, so the log is read rather than the element polled)."""
    try:
        page.wait_for_function(SAID_RECONNECTING, timeout=30_000)
    except Exception as error:
        states = page.evaluate("[window.__cvaeTest.live, window.__pageStates]")
        raise AssertionError(f"never said reconnecting; map, page socket: {states}") from error


def wait_page_back(page) -> None:
    """Until Streamlit's own page socket has dropped, come back and rerun the page (which
    repaints the committed point: not a live decode)."""
    page.wait_for_function(PAGE_BACK, timeout=60_000)
    wait_idle(page)


def drag(page, frame, count: int, seconds: float) -> list[float]:
    """Grab the point and circle around where it was (a turn a second) until ``count``
    digits are painted or ``seconds`` pass; the paint times (ms after the drag began)."""
    run, log = drag_circle(page, frame, seconds, radius=0.2, speed=2 * math.pi, count=count)
    return [p["t"] - run["t0"] for p in log["paints"][run["start"]:]]


def exact(page) -> bool:
    """Every live decode painted (since the log was cleared) is the decode of a position
    the pointer was at (a release's rerun repaints the committed point, at the sliders'
    rounding: not a live decode)."""
    log = page.evaluate("window.__cvaeTest")
    sent = {as_sent(p) for p in log["pointer"]}
    return all(as_sent(p) in sent for p in log["paints"] if p["live"])


def test_reconnect_after_a_server_restart_paints_live_decodes_again(browser):
    require_chromium()
    with SamePortApp("streamlit-server-restart") as app:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.add_init_script(TEST_FLAG)
            open_app(page, app.base)  # the default model: the one a restarted server warms up
            page.evaluate("window.__notReloaded = true")
            frame = map_frame(page)
            assert len(drag(page, frame, 10, 30)) >= 10
            assert page.locator(".cvae-map").get_attribute("data-live") == "live"

            page.evaluate(WATCH_PAGE_SOCKET)
            app.stop()
            page.wait_for_selector(".cvae-map[data-live='reconnecting']", timeout=30_000)
            assert "Reconnecting" in page.locator(".map-live").inner_text()
            app.start()
            back = time.monotonic()
            wait_page_back(page)

            page.evaluate("window.__cvaeTest.paints = []")  # from here on: live decodes only
            paints = drag(page, map_frame(page), 50, 60)
            assert len(paints) >= 50, f"{len(paints)} digits painted after the restart"
            page.wait_for_selector(".cvae-map[data-live='live']", timeout=10_000)
            assert exact(page), "a painted digit is not of a position the pointer was at"
            assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
            print(f"50 live decodes painted {time.monotonic() - back:.1f} s after the "
                  "restarted server said it was ready (the page's own reconnect first)")
        finally:
            context.close()


def test_reconnect_behind_nginx_after_the_serving_replica_dies(browser, tmp_path):
    require_chromium()
    from harness.nginx import NGINX, Stack

    if not Path(NGINX).is_file():
        message = f"no nginx at {NGINX}: apt-get install -y nginx"
        if os.environ.get("CVAE_REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    stack = Stack(tmp_path)
    context = browser.new_context(viewport=VIEWPORT)
    try:
        base = stack.start()
        page = context.new_page()
        page.add_init_script(TEST_FLAG)
        open_app(page, base)
        page.evaluate("window.__notReloaded = true")
        frame = map_frame(page)
        assert len(drag(page, frame, 10, 30)) >= 10
        # The replica this browser is routed to (the route cookie rides along with fetch).
        served = page.evaluate(
            "fetch('_stcore/health').then((r) => r.headers.get('X-Served-By'))")
        assert served in stack.replicas, served

        page.evaluate(WATCH_PAGE_SOCKET)
        stack.kill(served)
        wait_said_reconnecting(page)
        wait_page_back(page)
        page.evaluate("window.__cvaeTest.paints = []")
        paints = drag(page, map_frame(page), 30, 60)
        assert len(paints) >= 30, f"{len(paints)} digits painted after the failover"
        page.wait_for_selector(".cvae-map[data-live='live']", timeout=10_000)
        assert exact(page), "a painted digit is not of a position the pointer was at"
        assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    finally:
        context.close()
        stack.stop()
