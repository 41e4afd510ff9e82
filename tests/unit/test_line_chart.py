"""The model card's ELBO curve as inline SVG (`cvae.line_chart`)."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET

import pytest

from cvae import line_chart
from harness.paths import WEIGHTS

SVG = "{http://www.w3.org/2000/svg}"


def shipped_history(name: str = "class-prior-2d") -> list[dict[str, float]]:
    return json.loads((WEIGHTS / name / "metrics.json").read_text())["history"]


def test_curve_has_a_point_per_epoch_an_accessible_name_and_a_summary():
    history = shipped_history()
    root = ET.fromstring(line_chart.elbo_svg(history, published=-140.5))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title").text, root.find(f"{SVG}desc").text
    assert "ELBO" in title
    last = history[-1]
    assert f"{last['val_elbo']:.1f} at epoch {last['epoch']}" in desc
    assert "write-up reports -140.5" in desc
    tips = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert len(tips) == len(history)
    assert tips[0] == f"validation ELBO, epoch 1: {history[0]['val_elbo']:.1f}"
    assert len(list(root.iter(f"{SVG}polyline"))) == 2  # train and validation


def test_every_point_lies_inside_the_plot_and_higher_elbo_is_drawn_higher():
    history = shipped_history("tutorial-2d")
    root = ET.fromstring(line_chart.elbo_svg(history))
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    xs = [float(c.get("cx")) for c in root.iter(f"{SVG}circle")]
    assert all(line_chart.TOP <= y <= line_chart.HEIGHT - line_chart.BOTTOM for y in ys)
    assert all(line_chart.LEFT <= x <= line_chart.WIDTH - line_chart.RIGHT for x in xs)
    assert xs == sorted(xs)
    best, worst = (max(range(len(history)), key=lambda i: f(history[i]["val_elbo"]))
                   for f in (lambda v: v, lambda v: -v))
    assert ys[best] < ys[worst]  # SVG y grows downward


@pytest.mark.parametrize(("lo", "hi"), [(-193.2, -135.9), (0.0, 1.0), (3.0, 3.0), (-1e-3, 2e4)])
def test_ticks_cover_the_range_with_round_steps(lo, hi):
    ticks = line_chart.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and 2 <= len(ticks) <= 12


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="no ELBO"):
        line_chart.elbo_svg([{"epoch": 1, "loss": 3.0}])
    with pytest.raises(ValueError, match="one value per epoch"):
        line_chart.line_chart_svg([1, 2], [line_chart.Series("a", [1.0], "#000")], title="t",
                                  summary="s", x_title="x", y_title="y")
    with pytest.raises(ValueError, match="finite"):
        line_chart.nice_ticks(float("nan"), 1.0)
