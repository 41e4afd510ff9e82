"""Test-set ELBO and importance-weighted (IWAE) bound, in nats per digit.

Both use stateless seeds derived from ``(seed, batch index)``, so a figure is reproducible
run to run. For a class-prior model both bound log p(x | y) (the label is given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from cvae.data import Split, binarize
from cvae.model import VAE


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


def iwae_log_px(vae: VAE, split: Split, k: int, seed: int = 0, chunk: int = 4096,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Per-digit IWAE bound log (1/k) sum_k p(x, z_k | y) / q(z_k | x), ``[N]``.

    Decodes about ``chunk`` latent samples per compiled call: image batches of
    ``max(1, chunk // k)`` digits, and for large ``k`` several sample chunks per digit
    whose log-sum-exps are combined exactly.
    """
    per_call = min(k, chunk)
    batch = max(1, chunk // per_call)
    n_chunks = math.ceil(k / per_call)

    @tf.function(input_signature=_signature())
    def log_weights(x: tf.Tensor, y: tf.Tensor, seed_: tf.Tensor) -> tf.Tensor:
        return vae.log_weights(x, y, per_call, seed=seed_)

    out = np.empty(len(split), np.float64)
    n_batches = math.ceil(len(split) / batch)
    for i, x, y in _batches(split, batch):
        lse = np.full(len(y), -np.inf)
        for c in range(n_chunks):
            lw = log_weights(x, y, tf.constant([seed + 7919 * c, i], tf.int32)).numpy()
            used = min(per_call, k - c * per_call)
            lse = np.logaddexp(lse, _logsumexp(lw[:used].astype(np.float64), axis=0))
        out[i * batch: i * batch + len(y)] = lse - math.log(k)
        if progress:
            progress(i + 1, n_batches)
    return out


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis)
    return m + np.log(np.sum(np.exp(a - np.expand_dims(m, axis)), axis=axis))


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


def evaluate(vae: VAE, split: Split, iw_k: int, seed: int = 0,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """ELBO terms and (when ``iw_k`` > 0) the IWAE bound, as a JSON-ready dict."""
    def stage(name: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(name, done, total)) if progress else None

    result: dict[str, Any] = {
        "test_" + k: v for k, v in mean_elbo(vae, split, seed, progress=stage("elbo")).items()}
    if iw_k > 0:
        result["test_iwae"] = float(np.mean(iwae_log_px(vae, split, iw_k, seed,
                                                         progress=stage(f"iwae k={iw_k}"))))
        result["iwae_k"] = iw_k
    result["n_test"] = len(split)
    result["seed"] = seed
    result["bound_on"] = "log p(x | y)" if vae.conditional else "log p(x)"
    return result
