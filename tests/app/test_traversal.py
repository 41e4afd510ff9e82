"""The traversal panel on the page: active rows by activity, the rest folded."""

from __future__ import annotations

import json

from harness.paths import WEIGHTS as WEIGHTS_DIR


def test_traversal_panel_shows_active_rows_by_activity_and_folds_the_rest():
    from harness.apptest import assert_healthy, run_app

    at = run_app({"model": "mlp-20d", "digit": "4"})
    assert_healthy(at)
    assert not [i for i in at.get("image") for c in i.captions if c.startswith("z")]  # off
    at.toggle(key="traversals_on").set_value(True).run()
    assert_healthy(at)
    captions = [c for i in at.get("image") for c in i.captions if c.startswith("z")]
    recorded = json.loads((WEIGHTS_DIR / "mlp-20d" / "metrics.json").read_text())
    variances = recorded["active_unit_variances"]
    rows = [int(c.split(" ")[0][1:]) - 1 for c in captions]
    assert len(rows) == recorded["active_units"]
    assert [variances[u] for u in rows] == sorted((variances[u] for u in rows), reverse=True)
    folded = [c for i in at.get("image") for c in i.captions if c.startswith("rows top")]
    assert len(folded) == 1 and folded[0].count("z") == 20 - recorded["active_units"]
    assert any("inactive dimensions" in e.label for e in at.expander)
