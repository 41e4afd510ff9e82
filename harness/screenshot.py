"""Render the README screenshots: ``python -m harness.screenshot [--out PATH]
[--latent-out PATH]``.

Starts ``streamlit run app.py`` on a free loopback port with the shipped weights, opens the
default view in headless Chromium at 1400x1000, waits until the script is idle and the
latent map has drawn its test digits, saves the page (default docs/screenshot.png); then
picks the test digit nearest the class mean (its posterior ellipses), turns the decoder
regions on and hovers a digit (its preview), and saves the map alone (default
docs/screenshot-latent.png). Stops the server; gives up after ``--timeout`` seconds. No test
calls this.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

import numpy as np

from cvae.recipes import DEFAULT_RECIPE
from harness.browser import (
    VIEWPORT,
    chromium_missing,
    launch_chromium,
    open_app,
    wait_idle,
    wait_rendered,
)
from harness.latent_map import TEST_FLAG, fetch_points, map_frame, to_page
from harness.paths import ROOT, WEIGHTS
from harness.server import running_app

DEFAULT_OUT = ROOT / "docs" / "screenshot.png"
DEFAULT_LATENT_OUT = ROOT / "docs" / "screenshot-latent.png"
# Two animation frames: the map paints on the frame after its points arrive.
_TWO_FRAMES = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => done(true))))"""


def _latent_features(page, base: str, timeout_ms: float) -> None:
    """Pick the test digit nearest the map's centre (its ellipses), turn the decoder regions
    on and hover another test digit (its preview)."""
    frame = map_frame(page)
    cx, cy = to_page(frame, 0.5 * (frame["x0"] + frame["x1"]), 0.5 * (frame["y0"] + frame["y1"]))
    page.mouse.click(cx + 0.08 * frame["w"], cy - 0.06 * frame["h"])
    page.get_by_text("Picked test digit #").wait_for(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    page.get_by_label("Decoder regions").check()
    page.wait_for_function("(window.__cvaeTest.regions || []).some((r) => r.n >= 48)",
                           timeout=timeout_ms)
    frame = map_frame(page)
    xy, _ = fetch_points(base, DEFAULT_RECIPE)
    spot = np.array([frame["x0"] + 0.3 * (frame["x1"] - frame["x0"]),
                     frame["y0"] + 0.35 * (frame["y1"] - frame["y0"])])
    page.mouse.move(*to_page(frame, *xy[np.argmin(np.linalg.norm(xy - spot, axis=1))]))
    page.wait_for_function("(window.__cvaeTest.previews || []).length > 0", timeout=timeout_ms)
    page.evaluate(_TWO_FRAMES)


def take_screenshot(out: Path, timeout_s: float = 300.0,
                    latent_out: Path | None = None) -> Path:
    """Screenshot the app's default view (shipped weights, latent map drawn) to ``out`` and,
    given ``latent_out``, the map with an ellipse, the decoder regions and a hover preview."""
    timeout_ms = timeout_s * 1000
    env = {"CVAE_WEIGHTS": str(WEIGHTS)}  # the shipped bundles, whatever the shell says
    with running_app("screenshot-server.log", env=env, timeout=timeout_s) as (base, _), \
            launch_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.add_init_script(TEST_FLAG)  # the map logs its regions and previews
        open_app(page, base, timeout_ms=timeout_ms)
        map_frame(page)  # waits until the map has its test digits and plot frame
        page.evaluate(_TWO_FRAMES)
        wait_rendered(page, timeout_ms)
        page.evaluate("window.scrollTo(0, 0)")  # map_frame scrolls the map into view
        page.evaluate(_TWO_FRAMES)
        wait_idle(page, timeout_ms)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        if latent_out is not None:
            _latent_features(page, base, timeout_ms)
            latent_out.parent.mkdir(parents=True, exist_ok=True)
            page.locator(".cvae-map").screenshot(path=str(latent_out))
        context.close()
    return out


def _give_up(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the screenshot took too long")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.screenshot",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write the PNG (default: docs/screenshot.png)")
    parser.add_argument("--latent-out", type=Path, default=DEFAULT_LATENT_OUT,
                        help="where to write the map with its layers (default: "
                             "docs/screenshot-latent.png)")
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
        out = take_screenshot(args.out, args.timeout, args.latent_out)
    finally:
        signal.alarm(0)
    print(f"wrote {out} and {args.latent_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
