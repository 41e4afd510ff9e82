"""Class fidelity: when a visitor picks digit c, how often does the model draw a c?

For each class c the page shows a class grid (`ModelView.class_grid`) and samples from
p(z | c) (`ModelView.prior_samples`); the judge (`cvae.judge`) labels every decoded image.
Fidelity is the share labelled c, averaged over the ten classes. A model that ignores the
label draws the same images for every c, so its fidelity is exactly 10 %.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GRID_N, GRID_SPAN = 15, 0.95   # the page's default class grid
SAMPLES, SAMPLE_SEED = 100, 0  # prior samples per class


def class_fidelity(core: Any, view: Any, judge: Any, grid_n: int = GRID_N,
                   span: float = GRID_SPAN, samples: int = SAMPLES,
                   seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """Per-class and mean shares of the class grids and prior samples the judge calls c."""
    grid_share, sample_share = [], []
    for c in range(10):
        grid = core.decode(view.class_grid(c, grid_n, span), c)
        drawn = core.decode(view.prior_samples(c, samples, seed + c), c)
        grid_share.append(float(np.mean(judge.predict(grid) == c)))
        sample_share.append(float(np.mean(judge.predict(drawn) == c)))
    return {
        "grid": float(np.mean(grid_share)), "samples": float(np.mean(sample_share)),
        "overall": float(np.mean(grid_share + sample_share)),
        "grid_per_class": grid_share, "samples_per_class": sample_share,
        "setting": {"grid_n": grid_n, "grid_span": span, "samples": samples, "seed": seed,
                    "judge": "weights/judge"},
    }


def measure(vae: Any, judge_path: Any = None) -> dict[str, Any]:
    """Class fidelity of a loaded model (`cvae.model.VAE`) on the shipped test split."""
    from cvae import judge as judge_mod
    from cvae.data import load_test_split
    from cvae.explorer import build_view
    from cvae.serving.core import ModelCore

    core = ModelCore(vae)
    view = build_view(core, load_test_split())
    judge = judge_mod.load(judge_path) if judge_path else judge_mod.load()
    return class_fidelity(core, view, judge)
