"""Test-set ELBO and importance-weighted (IWAE) bound, in nats per digit.

Both use stateless seeds derived from ``(seed, batch index)``, so a figure is reproducible
run to run. For models that read the label both bound log p(x | y) (the label is given);
for the class-mean-prior model the marginal log p(x) >= logsumexp_y [log p(x | y) + log p(y)]
is measured beside it from the same importance samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from cvae.data import Split, binarize
from cvae.model import VAE
from cvae.recipes import NUM_CLASSES


def _batches(split: Split, batch: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    for i, start in enumerate(range(0, len(split), batch)):
        stop = start + batch
        yield i, binarize(split.images[start:stop]), split.labels[start:stop].astype(np.int32)


def _signature(*extra: tf.TensorSpec) -> list[tf.TensorSpec]:
    return [tf.TensorSpec([None, 28, 28, 1], tf.float32), tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([2], tf.int32), *extra]


def elbo_fn(vae: VAE) -> Callable[..., dict[str, tf.Tensor]]:
    """A compiled ``(x, y, seed) -> per-digit ELBO terms`` for one model."""
    @tf.function(input_signature=_signature())
    def fn(x: tf.Tensor, y: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        terms = vae.elbo_terms(x, y, seed=seed)
        return {k: terms[k] for k in ("elbo", "recon", "kl")}
    return fn


def mean_elbo(vae: VAE, split: Split, seed: int = 0, batch: int = 500,
              progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
    """Mean ELBO, reconstruction log-likelihood and KL over ``split`` (nats per digit)."""
    fn = elbo_fn(vae)
    sums = {"elbo": 0.0, "recon": 0.0, "kl": 0.0}
    n_batches = math.ceil(len(split) / batch)
    for i, x, y in _batches(split, batch):
        out = fn(x, y, tf.constant([seed, i], tf.int32))
        for k in sums:
            sums[k] += float(tf.reduce_sum(out[k]))
        if progress:
            progress(i + 1, n_batches)
    return {k: v / len(split) for k, v in sums.items()}


def _iwae(split: Split, k: int, seed: int, chunk: int, weights: Callable[..., tf.Tensor],
          width: int, progress: Callable[[int, int], None] | None
          ) -> tuple[np.ndarray, np.ndarray]:
    """``log (1/k) sum_k w_k`` per digit and column, ``[N, width]``, from a compiled
    ``weights(x, y, seed) -> [per_call, n, width]`` decoding about ``chunk`` latent samples
    per call (sample chunks' log-sum-exps are combined exactly), and the delta-method
    Monte-Carlo variance of each estimate, ``var(w) / (k mean(w)^2)``."""
    per_call = min(k, chunk)
    batch = max(1, chunk // per_call)
    n_chunks = math.ceil(k / per_call)
    out = np.empty((len(split), width), np.float64)
    var = np.empty((len(split), width), np.float64)
    n_batches = math.ceil(len(split) / batch)
    for i, x, y in _batches(split, batch):
        lse = np.full((len(y), width), -np.inf)
        lse2 = np.full((len(y), width), -np.inf)
        for c in range(n_chunks):
            lw = weights(x, y, tf.constant([seed + 7919 * c, i], tf.int32)).numpy()
            used = lw[: min(per_call, k - c * per_call)].astype(np.float64)
            lse = np.logaddexp(lse, _logsumexp(used, axis=0))
            lse2 = np.logaddexp(lse2, _logsumexp(2.0 * used, axis=0))
        rows = slice(i * batch, i * batch + len(y))
        out[rows] = lse - math.log(k)
        var[rows] = np.maximum(np.exp(lse2 - 2.0 * lse) - 1.0 / k, 0.0)  # (E w^2/E^2 w - 1)/k
        if progress:
            progress(i + 1, n_batches)
    return out, var


def iwae_mc_se(variances: np.ndarray) -> float:
    """Monte-Carlo standard error of the mean of per-digit IWAE estimates."""
    return float(np.sqrt(np.sum(variances)) / len(variances))


def iwae_log_px(vae: VAE, split: Split, k: int, seed: int = 0, chunk: int = 4096,
                progress: Callable[[int, int], None] | None = None,
                with_variance: bool = False) -> Any:
    """Per-digit IWAE bound log (1/k) sum_k p(x, z_k | y) / q(z_k | x), ``[N]`` (and with
    ``with_variance`` each estimate's Monte-Carlo variance, see `iwae_mc_se`)."""
    per_call = min(k, chunk)

    @tf.function(input_signature=_signature())
    def weights(x: tf.Tensor, y: tf.Tensor, seed_: tf.Tensor) -> tf.Tensor:
        return vae.log_weights(x, y, per_call, seed=seed_)[..., None]

    bounds, var = _iwae(split, k, seed, chunk, weights, 1, progress)
    return (bounds[:, 0], var[:, 0]) if with_variance else bounds[:, 0]


def iwae_per_class(vae: VAE, split: Split, k: int, seed: int = 0, chunk: int = 4096,
                   progress: Callable[[int, int], None] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """IWAE bounds on log p(x | y') for every class y', ``[N, 10]``, from shared samples
    (class-mean-prior models), with their Monte-Carlo variances. Column ``y`` equals
    `iwae_log_px` with the same seed."""
    per_call = min(k, chunk)

    @tf.function(input_signature=_signature())
    def weights(x: tf.Tensor, y: tf.Tensor, seed_: tf.Tensor) -> tf.Tensor:
        return vae.class_log_weights(x, per_call, seed=seed_)

    return _iwae(split, k, seed, chunk, weights, NUM_CLASSES, progress)


def marginal_log_px(per_class: np.ndarray) -> np.ndarray:
    """log p(x) >= logsumexp_y [log p(x | y) + log p(y)] with a uniform p(y), ``[N]``."""
    return _logsumexp(per_class, axis=1) - math.log(per_class.shape[1])


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis)
    return m + np.log(np.sum(np.exp(a - np.expand_dims(m, axis)), axis=axis))


CHECK_N = 100  # digits of the recorded IWAE figure the tests re-derive


def posterior_means(vae: VAE, split: Split, batch: int = 500) -> np.ndarray:
    """E_q[z | x] (given the label where the encoder reads it) of every digit ``[N, L]``."""
    fn = tf.function(lambda x, y: vae.posterior(x, y).mean(), input_signature=_signature()[:2])
    return np.concatenate([fn(x, y).numpy() for _, x, y in _batches(split, batch)]
                          ).astype(np.float64)


def active_units(vae: VAE, split: Split) -> dict[str, Any]:
    """Burda et al. (2015)'s active units over ``split``: ``active_units`` (the count of
    dimensions u with Cov_x(E_q[z_u | x]) > 0.01) and ``active_unit_variances`` (that
    statistic per dimension, rounded to 6 decimals), as JSON-ready metrics."""
    from cvae import latent

    variances = latent.unit_variances(posterior_means(vae, split))
    return {"active_units": len(latent.active_units(variances)),
            "active_unit_threshold": latent.ACTIVE_THRESHOLD,
            "active_unit_variances": [round(float(v), 6) for v in variances]}


def keras_progress() -> Callable[[str, int, int], None]:
    """A ``progress(stage, done, total)`` callback drawing one Keras progress bar per stage."""
    import keras

    bars: dict[str, keras.utils.Progbar] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            print(stage, flush=True)
            bars[stage] = keras.utils.Progbar(total, unit_name="batch")
        bars[stage].update(done)

    return progress


def evaluate(vae: VAE, split: Split, iw_k: int, seed: int = 0, iw_n: int | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """ELBO terms over ``split`` and, when ``iw_k`` > 0, the IWAE bound over its first
    ``iw_n`` digits (all by default) with its standard errors, as a JSON-ready dict. For a
    class-mean-prior model also the marginal bound on log p(x) and what the label is worth.
    """
    def stage(name: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(name, done, total)) if progress else None

    result: dict[str, Any] = {
        "test_" + k: v for k, v in mean_elbo(vae, split, seed, progress=stage("elbo")).items()}
    if iw_k > 0:
        sub = Split(split.images[:iw_n], split.labels[:iw_n])
        where = stage(f"iwae k={iw_k} on {len(sub)} digits")
        if vae.recipe.label_only_in_prior:
            table, table_var = iwae_per_class(vae, sub, iw_k, seed, progress=where)
            rows, labels = np.arange(len(sub)), sub.labels.astype(np.int64)
            bounds, var = table[rows, labels], table_var[rows, labels]
            marginal = marginal_log_px(table)
            result["test_iwae_marginal"] = float(np.mean(marginal))
            result["label_worth_nats"] = float(np.mean(bounds - marginal))
        else:
            bounds, var = iwae_log_px(vae, sub, iw_k, seed, progress=where, with_variance=True)
        result["test_iwae"] = float(np.mean(bounds))
        result["iwae_k"] = iw_k
        result["iwae_n"] = len(sub)
        result["iwae_mc_se"] = iwae_mc_se(var)
        result["iwae_data_se"] = float(np.std(bounds, ddof=1) / math.sqrt(len(sub)))
        result["iwae_check"] = {  # re-derived by tests/model/test_shipped_bundles.py
            "n": CHECK_N, "k": iw_k, "seed": seed,
            "mean": float(np.mean(bounds[:CHECK_N])), "mc_se": iwae_mc_se(var[:CHECK_N])}
    result["n_test"] = len(split)
    result["seed"] = seed
    result["bound_on"] = "log p(x | y)" if vae.uses_label else "log p(x)"
    return result
