"""The class colours stay apart for colour-blind visitors, and their toggle text reads.

CIEDE2000 is checked against Sharma, Wu & Dalal's (2005) published test pairs first, so the
distances below mean what they say.
"""

from __future__ import annotations

import itertools

import pytest

from cvae import palette
from cvae.figures import CLASS_COLOURS

SHARMA = [  # (L*a*b* 1, L*a*b* 2, published ΔE00)
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert palette.ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert palette.ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_keeps_greys_grey():
    for kind in palette.MACHADO:  # each matrix row sums to 1: a transcription check
        grey = palette.rgb("#808080")
        assert palette.simulate(grey, kind) == pytest.approx(grey, abs=2e-3)


def min_distance(colours, kind: str) -> tuple[float, int, int]:
    seen = [palette.lab(palette.simulate(palette.rgb(c), kind)) for c in colours]
    return min((palette.ciede2000(seen[i], seen[j]), i, j)
               for i, j in itertools.combinations(range(len(colours)), 2))


def test_the_old_palette_collided_for_colour_blind_visitors():
    """Plotly's T10 (the palette before): the check finds the collisions the issue measured."""
    from plotly.colors import qualitative

    t10 = qualitative.T10[:10]
    assert min_distance(t10, "deuteranopia") == pytest.approx((1.25, 2, 4), abs=0.01)
    assert min_distance(t10, "protanopia") == pytest.approx((1.45, 7, 9), abs=0.01)


@pytest.mark.parametrize("kind", sorted(palette.MACHADO))
def test_every_pair_of_class_colours_stays_apart_under_colour_blindness(kind):
    assert len(set(CLASS_COLOURS)) == 10
    distance, i, j = min_distance(CLASS_COLOURS, kind)
    assert distance >= 10, f"classes {i} and {j} are {distance:.1f} apart under {kind}"


def test_toggle_text_reads_on_every_class_colour():
    for c, (colour, text) in enumerate(zip(CLASS_COLOURS, palette.TEXT_ON_CLASS, strict=True)):
        ratio = palette.contrast(text, colour)
        assert ratio >= 4.5, f"class {c}: {text} on {colour} is {ratio:.2f}:1"


def test_a_malformed_colour_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="#rrggbb"):
        palette.rgb("blue")
