"""Traversals (one latent dimension at a time) and the active-unit count of each bundle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cvae import latent as lt
from harness.bundles import shipped_bundles
from harness.paths import WEIGHTS as WEIGHTS_DIR


def test_traversal_row_changes_only_its_dimension():
    code = np.random.default_rng(0).standard_normal(7)
    for dim in range(7):
        row = lt.traversal(code, dim, steps=9, spread=3.0)
        assert row.shape == (9, 7)
        others = np.delete(row, dim, axis=1)
        np.testing.assert_array_equal(others, np.repeat(np.delete(code, dim)[None], 9, 0))
        np.testing.assert_allclose(row[:, dim] - code[dim], np.linspace(-3, 3, 9))


def test_traversal_rejects_a_dimension_out_of_range():
    with pytest.raises(ValueError, match="dim"):
        lt.traversal(np.zeros(3), 3)


def test_traversal_rows_of_a_model_change_only_their_dimension():
    """The service's rows start from the code at the current point (the class centre off
    the view) and the picture of row u is the decode of exactly those codes."""
    from cvae import images
    from cvae.serving import registry

    svc = registry.service("mlp-20d")
    xy, digit = (0.5, -0.25), 4
    code = svc.view.latent_at(digit, xy)
    active, inactive = svc.traversal_order()
    assert sorted(active + inactive) == list(range(20))
    variances = svc.unit_variances
    assert all(variances[a] > 0.01 for a in active)
    assert all(variances[u] <= 0.01 for u in inactive)
    assert list(variances[active]) == sorted(variances[active], reverse=True)
    u = active[0]
    row = svc.traversal_codes(digit, xy, u)
    changed = np.any(row != code[None], axis=0)
    assert changed.tolist() == [d == u for d in range(20)]
    want = images.grid_png(svc.core.decode(row), 1, 9, scale=2, gap=1)
    assert svc.traversal_png(digit, xy, [u]) == want


def test_active_units_count_is_the_variances_over_the_threshold():
    variances = np.array([0.5, 0.001, 0.02, 0.01, 3.0])
    assert lt.active_units(variances).tolist() == [4, 0, 2]  # most active first


@pytest.mark.parametrize("path", shipped_bundles(), ids=lambda p: p.name)
def test_active_units_recorded_match_the_test_split(path, test_split):
    """Re-derived here from the shipped test split, through the serving core's encoder
    (not the code that wrote them): Cov_x(E_q[z_u | x]) per dimension and the count of
    those above 0.01."""
    import cvae
    from cvae.serving.core import ModelCore

    recorded = json.loads((path / "metrics.json").read_text())
    assert "active_units" in recorded, f"run: python -m cvae.cli.evaluate {path} " \
                                       "--active-units --write"
    means, _ = ModelCore(cvae.load(path)).encode(test_split.images, test_split.labels)
    variances = np.var(means.astype(np.float64), axis=0)
    np.testing.assert_allclose(recorded["active_unit_variances"], variances,
                               rtol=1e-3, atol=1e-5)
    assert recorded["active_units"] == int(np.sum(variances > 0.01))


def test_active_units_cli_writes_them_into_a_bundle_that_still_verifies(tmp_path, capsys):
    """--write records the figures through the bundle module: config.json's checksum of
    metrics.json is renewed, every other figure is kept, and the bundle still loads."""
    import shutil

    import cvae
    from cvae.cli import evaluate
    from harness.paths import WEIGHTS

    bundle = tmp_path / "tutorial-2d"
    shutil.copytree(WEIGHTS / "tutorial-2d", bundle)
    before = json.loads((bundle / "metrics.json").read_text())
    for key in [k for k in before if "active" in k]:
        del before[key]
    (bundle / "metrics.json").write_text(json.dumps(before))  # now fails its checksum
    assert evaluate.main([str(bundle), "--active-units", "--write"]) == 2
    assert "checksum" in capsys.readouterr().err
    shutil.copy(WEIGHTS / "tutorial-2d" / "metrics.json", bundle / "metrics.json")
    assert evaluate.main([str(bundle), "--active-units", "--write", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    after = cvae.load(bundle).metrics  # verifies every checksum
    assert after["active_units"] == printed["active_units"] == 2
    assert after["test_elbo"] == before["test_elbo"] and after["history"] == before["history"]


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
