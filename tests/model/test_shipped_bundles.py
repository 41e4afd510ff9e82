"""The bundles committed under weights/: present, reproducible, and sensible."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import cvae
from cvae.bounds import iwae_log_px, iwae_mc_se, iwae_per_class, marginal_log_px, mean_elbo
from cvae.cli import evaluate
from cvae.data import Split
from harness.bundles import shipped_bundles
from harness.paths import ROOT, WEIGHTS

REQUIRED = ("class-prior-2d", "cvae-style-2d", "tutorial-2d", "tutorial-50d", "tfp-16d")


def test_required_bundles_are_shipped():
    names = {p.name for p in shipped_bundles()}
    assert set(REQUIRED) <= names, f"missing bundles: {set(REQUIRED) - names}"


@pytest.mark.parametrize("path", shipped_bundles(), ids=lambda p: p.name)
def test_evaluate_reproduces_the_recorded_elbo(path, capsys):
    assert evaluate.main([str(path), "--iw", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    recorded = json.loads((path / "metrics.json").read_text())
    assert report["recipe"] == path.name
    assert abs(report["test_elbo"] - recorded["test_elbo"]) <= 0.5


@pytest.mark.parametrize("path", shipped_bundles(), ids=lambda p: p.name)
def test_recorded_iwae_is_rederived_within_its_monte_carlo_error(path, test_split):
    """The IWAE figure of every bundle, re-derived on its recorded subset (the first
    ``iwae_check.n`` test digits, k samples) with an independent seed: the two estimates
    must agree within 5 combined Monte-Carlo standard errors. (The standard errors are the
    delta-method ones, which run low for heavy-tailed importance weights: tfp-16d's two
    seeds differed by 4.2 of them, hence 5 rather than the usual 3-4.)"""
    recorded = json.loads((path / "metrics.json").read_text())
    check = recorded["iwae_check"]
    model = cvae.load(path)
    subset = Split(test_split.images[:check["n"]], test_split.labels[:check["n"]])
    bounds, var = iwae_log_px(model, subset, check["k"], seed=check["seed"] + 1,
                              with_variance=True)
    se = float(np.hypot(check["mc_se"], iwae_mc_se(var)))
    assert abs(float(np.mean(bounds)) - check["mean"]) <= 5 * se + 1e-3, (
        float(np.mean(bounds)), check, se)
    assert recorded["test_iwae"] > recorded["test_elbo"]
    assert recorded["iwae_k"] >= 1000


def test_class_prior_marginal_bound_is_below_the_conditional_one(class_prior_2d, test_split):
    """Per digit, log p(x) >= log p(y) + log p(x | y), i.e. the label is worth at most
    log 10 nats; on average the label helps, as recorded."""
    subset = Split(test_split.images[:50], test_split.labels[:50])
    table, _ = iwae_per_class(class_prior_2d, subset, 200, seed=3)
    conditional = table[np.arange(50), subset.labels.astype(int)]
    marginal = marginal_log_px(table)
    gap = conditional - marginal
    assert np.all(gap <= np.log(10) + 1e-9)
    assert gap.mean() > 0
    worth = class_prior_2d.metrics["label_worth_nats"]
    assert 0 < worth < np.log(10)
    assert class_prior_2d.metrics["test_iwae_marginal"] < class_prior_2d.metrics["test_iwae"]


def test_evaluate_cli_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "cvae.cli.evaluate", str(WEIGHTS / "mlp-20d"),
                           "--iw", "2"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ELBO" in proc.stdout and "IWAE k=2" in proc.stdout


def test_evaluate_cli_reports_a_broken_bundle(tmp_path, capsys):
    assert evaluate.main([str(tmp_path / "nothing-here"), "--json"]) == 2
    assert "no such bundle folder" in capsys.readouterr().err


def test_iwae_bound_is_above_the_elbo_and_tightens_with_k(tutorial_2d, test_split):
    subset = Split(test_split.images[:500], test_split.labels[:500])
    elbo = mean_elbo(tutorial_2d, subset, seed=0)["elbo"]
    bounds = {k: float(np.mean(iwae_log_px(tutorial_2d, subset, k, seed=0)))
              for k in (1, 10, 100)}
    assert abs(bounds[1] - elbo) < 1.0  # k = 1 is the ELBO itself (one-sample KL)
    assert elbo < bounds[10] < bounds[100]


def test_class_means_of_the_class_prior_model_are_distinct(class_prior_2d):
    """The learned means spread the classes out; in the shipped model the look-alike classes
    4 and 9 share one mean (0.09 apart: its class-4 grid draws 9s, see its class fidelity),
    every other pair is distinct."""
    means = class_prior_2d.class_means().numpy()
    assert means.shape == (10, 2)
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)
    pairs = [(i, j) for i in range(10) for j in range(i + 1, 10) if gaps[i, j] <= 0.1]
    assert pairs in ([], [(4, 9)]), pairs
    assert gaps.max() > 3.0


def test_class_prior_likelihood_picks_the_right_class_for_most_test_digits(class_prior_2d,
                                                                            test_split):
    """Encoding a test digit and asking which class prior explains it best recovers the
    label far above chance: the learned class means carry the class."""
    from cvae.serving.core import ModelCore

    core = ModelCore(class_prior_2d)
    codes, _ = core.encode(test_split.images[:1000])
    guess = core.class_log_prior(codes).argmax(axis=1)
    assert (guess == test_split.labels[:1000]).mean() > 0.5


def test_bundles_are_loadable_by_the_public_api():
    for path in shipped_bundles():
        model = cvae.load(path)
        assert model.config["recipe"]["name"] == path.name
        assert model.metrics["n_test"] == 10000


@pytest.mark.parametrize("path", shipped_bundles(), ids=lambda p: p.name)
def test_every_models_codes_fit_the_slider_range(path, test_split):
    """The sliders share one range across models (see cvae.explorer.SLIDER_LIMIT); every
    test digit's code and every class centre must be reachable with them."""
    from cvae.explorer import SLIDER_LIMIT, build_view
    from cvae.serving.core import ModelCore

    view = build_view(ModelCore(cvae.load(path)), test_split)
    points = np.concatenate([view.coords, view.centre_coords])
    assert np.abs(points).max() <= SLIDER_LIMIT, np.abs(points).max()
