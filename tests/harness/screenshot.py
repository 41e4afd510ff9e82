"""Render the README screenshot: ``python -m tests.harness.screenshot [--out PATH]``.

Starts ``streamlit run app.py`` on a free loopback port with the shipped weights, opens the
default view in headless Chromium at 1400x1000, waits until the script is idle and the
latent map has drawn its test digits, saves the PNG (default docs/screenshot.png) and stops
the server. Gives up after ``--timeout`` seconds. No test calls this.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from tests.harness.browser import (
    VIEWPORT,
    chromium_missing,
    launch_chromium,
    open_app,
    wait_idle,
    wait_rendered,
)
from tests.harness.latent_map import map_frame
from tests.harness.paths import ROOT, WEIGHTS
from tests.harness.server import running_app

DEFAULT_OUT = ROOT / "docs" / "screenshot.png"
# Two animation frames: the map paints on the frame after its points arrive.
_TWO_FRAMES = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => done(true))))"""


def take_screenshot(out: Path, timeout_s: float = 300.0) -> Path:
    """Screenshot the app's default view (shipped weights, latent map drawn) to ``out``."""
    timeout_ms = timeout_s * 1000
    env = {"CVAE_WEIGHTS": str(WEIGHTS)}  # the shipped bundles, whatever the shell says
    with running_app("screenshot-server.log", env=env, timeout=timeout_s) as (base, _), \
            launch_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        open_app(page, base, timeout_ms=timeout_ms)
        map_frame(page)  # waits until the map has its test digits and plot frame
        page.evaluate(_TWO_FRAMES)
        wait_rendered(page, timeout_ms)
        page.evaluate("window.scrollTo(0, 0)")  # map_frame scrolls the map into view
        page.evaluate(_TWO_FRAMES)
        wait_idle(page, timeout_ms)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        context.close()
    return out


def _give_up(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the screenshot took too long")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.screenshot",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write the PNG (default: docs/screenshot.png)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds before giving up (default: 300)")
    args = parser.parse_args(argv)
    missing = chromium_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, _give_up)  # a backstop over the per-step timeouts
    signal.alarm(int(args.timeout) + 60)
    try:
        out = take_screenshot(args.out, args.timeout)
    finally:
        signal.alarm(0)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
