"""Class fidelity: when a visitor picks digit c, how often does the model draw a c?

For each class c the page shows a class grid (`cvae.latent.shifted_grid` around the class
centre, in the default map plane) and samples from p(z | c) (`cvae.latent.prior_samples`);
the judge (`cvae.judge`) labels every decoded image. Fidelity is the share labelled c,
averaged over the ten classes. A model that ignores the label draws the same images for
every c, so its fidelity is exactly 10 %. Training time: the model itself decodes (no
serving code, no page code).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cvae import latent as lt

SAMPLES, SAMPLE_SEED = 100, 0  # prior samples per class
Decode = Callable[[np.ndarray, int], np.ndarray]  # codes [N, L], class -> probabilities


def class_fidelity(decode: Decode, frame: lt.Frame, centres: np.ndarray, class_mean_prior: bool,
                   judge: Any, grid_n: int = lt.GRID_N[2], span: float = lt.GRID_SPAN[2],
                   samples: int = SAMPLES, seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """Per-class and mean shares of the class grids and prior samples the judge calls c:
    the grid around ``centres[c]`` in ``frame``, samples from N(centres[c], I) for a class
    prior (else N(0, I)), each decoded with label c."""
    grid_share, sample_share = [], []
    latent = centres.shape[1]
    for c in range(10):
        grid = decode(lt.shifted_grid(frame, centres[c], grid_n, span), c)
        drawn = decode(lt.prior_samples(centres[c] if class_mean_prior else None, latent,
                                        samples, seed + c), c)
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
    """Class fidelity of a loaded model (`cvae.model.VAE`) on the shipped test split, in
    the page's default plane (the codes' two leading principal directions) around the
    page's class centres (learned prior means, else the mean code of each class)."""
    from cvae import judge as judge_mod
    from cvae.bounds import posterior_means
    from cvae.data import load_test_split

    split = load_test_split()
    codes = posterior_means(vae, split)
    centres = lt.view_centres(codes, np.asarray(split.labels, np.int64),
                              vae.class_means().numpy().astype(np.float64)
                              if vae.class_mean_prior else None)
    frame = lt.Frame(lt.principal_directions(codes)[:, :2])
    judge = judge_mod.load(judge_path) if judge_path else judge_mod.load()
    return class_fidelity(_decoder(vae), frame, centres, vae.class_mean_prior, judge)


def _decoder(vae: Any, batch: int = 500) -> Decode:
    """The Bernoulli means of p(x | z, c) ``[N, 28, 28]``, in batches."""
    def decode(codes: np.ndarray, c: int) -> np.ndarray:
        parts = []
        for start in range(0, len(codes), batch):
            z = np.asarray(codes[start:start + batch], np.float32)
            parts.append(vae.likelihood(z, np.full(len(z), c)).mean().numpy()[..., 0])
        return np.concatenate(parts)
    return decode
