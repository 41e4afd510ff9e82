"""Zoom and pan geometry of the latent map (cvae/latent_map/assets/zoom.js), run in Node:
the point under the pointer stays put, pans move by the asked amount, limits hold, a pinch
keeps the view point under the fingers' midpoint there, and the nearest digits are nearest.
Skipped without ``node``."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from harness.paths import ROOT

ZOOM = ROOT / "cvae" / "latent_map" / "assets" / "zoom.js"
GEOMETRY = ROOT / "cvae" / "latent_map" / "assets" / "geometry.js"


def run(body: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    script = (f"const z = await import({json.dumps(ZOOM.as_uri())});\n"
              f"const g = await import({json.dumps(GEOMETRY.as_uri())});\n"
              "const out = {};\n" + body + "\nconsole.log(JSON.stringify(out));")
    done = subprocess.run([node, "--input-type=module", "-e", script],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_zoom_keeps_the_view_point_under_the_pointer():
    out = run("out.b = z.zoomAt([[-4, 4], [-2, 6]], 1, 3, 0.5);")
    (x0, x1), (y0, y1) = out["b"]
    assert (x1 - x0, y1 - y0) == pytest.approx((4, 4))
    assert (1 - x0) / (x1 - x0) == pytest.approx(5 / 8)  # 1 stays at 5/8 of the width
    assert (3 - y0) / (y1 - y0) == pytest.approx(5 / 8)


def test_zoom_stops_at_the_smallest_and_largest_view():
    out = run("out.small = z.zoomAt([[-1, 1], [-1, 1]], 0, 0, 1e-6);"
              "out.big = z.zoomAt([[-1, 1], [-1, 1]], 0, 0, 1e6);"
              "out.min = z.MIN_SPAN; out.limit = z.LIMIT;")
    (sx0, sx1), _ = out["small"]
    assert sx1 - sx0 == pytest.approx(out["min"])
    (bx0, bx1), (by0, by1) = out["big"]
    assert (bx0, bx1, by0, by1) == pytest.approx((-out["limit"], out["limit"]) * 2)


def test_pan_moves_the_view_and_stays_within_the_limit():
    out = run("out.p = z.panBy([[-4, 4], [-2, 6]], 1.5, -0.5);"
              "out.far = z.panBy([[-4, 4], [-2, 6]], 100, 0); out.limit = z.LIMIT;")
    assert out["p"] == [[-2.5, 5.5], [-2.5, 5.5]]
    assert out["far"][0] == [out["limit"] - 8, out["limit"]]


def test_pinch_zoom_keeps_the_point_under_the_fingers():
    out = run("""
const bounds = [[-4, 4], [-4, 4]];
const f = g.makeFrame(bounds, 448, 442);
const a0 = [140, 200], b0 = [240, 200], a1 = [110, 230], b1 = [290, 230];
const b = z.pinch(bounds, f.fromPx, a0, b0, a1, b1);
const before = f.fromPx(190, 200);
const after = g.makeFrame(b, 448, 442).fromPx(200, 230);
out.before = before; out.after = after; out.span = b[0][1] - b[0][0];
""")
    assert out["after"] == pytest.approx(out["before"])
    assert out["span"] == pytest.approx(8 * 100 / 180)


def test_wheel_up_zooms_in_and_down_zooms_out_by_the_same_step():
    out = run("out.in = z.wheelFactor(-100); out.out = z.wheelFactor(100);"
              "out.lines = z.wheelFactor(-3, 1); out.px = z.wheelFactor(-48);")
    assert out["in"] < 1 < out["out"]
    assert out["in"] * out["out"] == pytest.approx(1)
    assert out["lines"] == pytest.approx(out["px"])  # a wheel line is 16 px


def test_hover_keyboard_nearest_digits_are_the_nearest_visible_ones():
    out = run("""
const pts = { xs: Float32Array.from([0, 1, 0.2, -0.3, 3]), ys: Float32Array.from([0, 1, 0, 0.1, 3]),
              labels: Uint8Array.from([1, 2, 3, 3, 4]) };
const f = g.makeFrame([[-4, 4], [-4, 4]], 448, 442);
out.all = z.nearestDigits(pts, f, new Set(), 0.05, 0, 3);
out.hidden = z.nearestDigits(pts, f, new Set([3]), 0.05, 0, 3);
""")
    assert out["all"] == [0, 2, 3]
    assert out["hidden"] == [0, 1, 4]
