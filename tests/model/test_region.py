"""Decoder regions: the judged lattice of a view region, decoded by real models."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name, digit", [("cvae-style-2d", 2), ("tfp-16d", 7),
                                         ("class-prior-2d", 3)])
def test_region_lattice_labels_are_the_judges_labels_of_the_decoded_lattice(name, digit):
    """Each cell, decoded on its own at its centre (off-view components at the class
    centre; drawn as the class by a label-reading decoder) and read by the judge."""
    from cvae.serving import registry

    svc, judge = registry.service(name), registry.judge()
    (x0, x1), (y0, y1), n = (-2.0, 3.0), (-1.5, 2.5), 8
    regions = svc.regions(digit, (x0, x1), (y0, y1), n)
    assert regions.labels.shape == regions.confidence.shape == (n * n,)
    for row in range(n):
        for col in range(n):
            xy = (x0 + (col + 0.5) * (x1 - x0) / n, y1 - (row + 0.5) * (y1 - y0) / n)
            code = svc.view.latent_at(digit, xy)[None]
            image = svc.core.decode(code, digit if svc.label_to_decoder else None)
            odds = judge.probabilities(image)[0]
            cell = row * n + col
            assert regions.labels[cell] == odds.argmax(), (row, col)
            assert regions.confidence[cell] == pytest.approx(odds.max(), abs=1e-4)
    assert svc.regions(digit, (x0, x1), (y0, y1), n) is regions  # cached


def test_region_lattice_of_a_2d_model_blind_to_the_label_is_shared_by_every_class():
    """class-prior-2d's decoder sees z only and its view is the whole latent space: each
    class's regions are the same lattice (computed once), still reported under its class."""
    from cvae.serving import registry

    svc = registry.service("class-prior-2d")
    region = ((-1.0, 1.5), (-2.0, 0.5))
    first, other = svc.regions(1, *region, 8), svc.regions(6, *region, 8)
    assert (first.digit, other.digit) == (1, 6)
    assert other.labels is first.labels and other.confidence is first.confidence
    assert registry.service("cvae-style-2d").regions(1, *region, 8).labels is not (
        registry.service("cvae-style-2d").regions(6, *region, 8).labels)


def test_region_lattices_of_any_size_reuse_one_traced_graph():
    """The decoder and judge graph is traced once: a new lattice never pays for tracing."""
    from cvae.serving import registry

    svc = registry.service("tfp-16d")
    svc.regions(4, (-1.0, 1.0), (-1.0, 1.0), 8)
    traced = svc._judged_decoder.trace_count()
    for n in (9, 24, 33):
        svc.regions(4, (-1.0, 1.2), (-1.0, 1.0), n)
    assert traced == 1 and svc._judged_decoder.trace_count() == traced
