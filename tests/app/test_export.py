"""Export: the download buttons are on the page."""

from __future__ import annotations


def test_export_buttons_are_on_the_page():
    """Every export the page offers, and the copy-link button."""
    from harness.apptest import assert_healthy, run_app

    at = run_app({"model": "cvae-style-2d"})
    assert_healthy(at)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Download the grid (PNG)", "Download the manifold (PNG)",
            "Download the samples (PNG)", "Download the morph (PNG)",
            "Download the morph as a GIF",
            "Download the analogy as a GIF"} <= labels, labels
    assert any("cvae-copy-link" in h.proto.body for h in at.get("html"))
