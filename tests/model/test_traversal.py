"""Traversals of real models and the active-unit count of each bundle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.bundles import shipped_bundles


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
