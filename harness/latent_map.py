"""The latent map on the page: its plot frame, and latent points in page pixels."""

from __future__ import annotations

import struct
import urllib.request
from typing import Any

import numpy as np

# Set before a page loads, it makes the map log each paint and pointer position
# (cvae/latent_map/assets/main.js).
TEST_FLAG = "window.__cvaeTest = {paints: [], pointer: []};"


def map_frame(page: Any) -> dict[str, float]:
    """The map's plot frame in page pixels and view units (waits until the map has drawn
    its points)."""
    canvas = page.locator(".map-canvas")
    canvas.scroll_into_view_if_needed()
    page.wait_for_selector(".cvae-map[data-points][data-frame]", timeout=120_000)
    box = canvas.bounding_box()
    x0, x1, y0, y1, left, top, w, h = map(
        float, page.locator(".cvae-map").get_attribute("data-frame").split(","))
    return {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "left": box["x"] + left,
            "top": box["y"] + top, "w": w, "h": h}


def to_page(frame: dict, x: float, y: float) -> tuple[float, float]:
    """The page pixel of view point (``x``, ``y``) in a `map_frame`."""
    x, y = float(x), float(y)
    return (frame["left"] + (x - frame["x0"]) / (frame["x1"] - frame["x0"]) * frame["w"],
            frame["top"] + (frame["y1"] - y) / (frame["y1"] - frame["y0"]) * frame["h"])


def point_on_page(page: Any, frame: dict) -> tuple[float, float]:
    """The page pixel of the map's current point."""
    x, y = map(float, page.locator(".cvae-map").get_attribute("data-point").split(","))
    return to_page(frame, x, y)


def grab_point(page: Any, frame: dict) -> tuple[float, float]:
    """Press the mouse on the map's point (a press elsewhere pans the map); returns where."""
    at = point_on_page(page, frame)
    page.mouse.move(*at)
    page.mouse.down()
    return at


# A drag of the map's point: one pointer move per animation frame on an ellipse around
# (cx, cy) (radii rx, ry px, ``speed`` rad/s) for ``seconds``, or until ``count`` digits
# have been painted (0: no such stop). Returns its start and end (page clock, ms), the
# paints logged before it and its animation frames.
CIRCLE_DRAG = """async ([cx, cy, rx, ry, speed, seconds, count]) => {
  const canvas = () => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((h) => h.shadowRoot && h.shadowRoot.querySelector('.map-canvas')).find(Boolean);
  const log = window.__cvaeTest;
  const start = log.paints.length;
  const t0 = performance.now();
  const frames = [];
  while (performance.now() - t0 < seconds * 1000
         && !(count && log.paints.length - start >= count)) {
    frames.push(await new Promise((res) => requestAnimationFrame(res)));
    const a = (performance.now() - t0) / 1000 * speed;
    canvas().dispatchEvent(new PointerEvent('pointermove', {clientX: cx + rx * Math.cos(a),
      clientY: cy + ry * Math.sin(a), pointerId: 1, pointerType: 'mouse', buttons: 1,
      bubbles: true}));
  }
  return {t0, t1: performance.now(), start, frames};
}"""



def as_sent(p: dict) -> tuple[float, float]:
    """A logged map position ``{x, y}`` as the live channel carries it (float32:
    `cvae.live.protocol.HEADER`): a painted decode's echoed point equals exactly the
    pointer position it answers (rounding the double and its float32 echo to a few
    decimals can land on two sides of a step)."""
    return float(np.float32(p["x"])), float(np.float32(p["y"]))


def drag_circle(page: Any, frame: dict, seconds: float, radius: float = 0.3,
                speed: float = 2.0, count: int = 0, centre: tuple[float, float] | None = None,
                clear_log: bool = False) -> tuple[dict, dict]:
    """Press on the map's point and drag it (`CIRCLE_DRAG`, radius a fraction of the plot)
    around ``centre`` (default: where the point was), then release; with ``clear_log``
    the map's paint and pointer logs are emptied once the point is held. Returns the
    drag (``t0``, ``t1``, ``start``, ``frames``) and the map's log after it."""
    at = grab_point(page, frame)
    cx, cy = centre or at
    if clear_log:
        page.evaluate("window.__cvaeTest.paints = []; window.__cvaeTest.pointer = []")
    try:
        run = page.evaluate(CIRCLE_DRAG, [cx, cy, radius * frame["w"], radius * frame["h"],
                                          speed, seconds, count])
        return run, page.evaluate("window.__cvaeTest")
    finally:
        page.mouse.up()


def fetch_points(server: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The map's points file of ``model`` from the running app: view coordinates (n, 2) and
    labels (n,)."""
    with urllib.request.urlopen(f"{server}/cvae/points/{model}") as r:
        data = r.read()
    (n,) = struct.unpack_from("<I", data)
    xy = np.stack([np.frombuffer(data, "<f4", n, 4), np.frombuffer(data, "<f4", n, 4 + 4 * n)],
                  axis=1)
    return xy, np.frombuffer(data, np.uint8, n, 4 + 8 * n)
