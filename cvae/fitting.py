"""Training through ``keras.Model.fit``: progress bar, XLA, resumable state for free.

`Trainer` wraps a `VAE`'s network with the recipe's objective; `ProgressRecorder` keeps the
per-epoch ELBO history and, per epoch, `N_FIXED` samples decoded from fixed latent points
(the tutorial's GIF, as data; the page shows them 2 x 8) in the resumable state folder next
to the output bundle. ``python -m cvae.train`` (`cvae.cli.train`) drives them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from cvae.images import to_uint8
from cvae.model import VAE
from cvae.recipes import NUM_CLASSES

N_FIXED = 16  # samples per progress grid (one per class first, then 0-5 again)


class Trainer(keras.Model):
    """``fit()``-able wrapper: minimises the recipe's loss and reports the test ELBO."""

    def __init__(self, vae: VAE, seed: int = 0) -> None:
        super().__init__(name="trainer")
        self.vae = vae
        self.net = vae.net
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, self.elbo_tracker, self.kl_tracker]

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.net(x, training=training)

    def _step_terms(self, data: Any, training: bool) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        x, y = data[0], data[1]
        seed = tf.cast(self.seed_generator.next(), tf.int32)
        terms = self.vae.elbo_terms(x, y, seed=seed, training=training)
        beta = self.vae.recipe.kl_weight
        if self.vae.recipe.reconstruction == "mse":
            per_digit = terms["sq_error"] + beta * terms["kl"]
        else:
            per_digit = beta * terms["kl"] - terms["recon"]
        return tf.reduce_mean(per_digit), terms

    def _report(self, loss: tf.Tensor, terms: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        self.loss_tracker.update_state(loss)
        self.elbo_tracker.update_state(terms["elbo"])
        self.kl_tracker.update_state(terms["kl"])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        variables = self.net.trainable_variables
        with tf.GradientTape() as tape:
            loss, terms = self._step_terms(data, training=True)
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return self._report(loss, terms)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        loss, terms = self._step_terms(data, training=False)
        return self._report(loss, terms)


def fixed_latents(vae: VAE, seed: int = 1234) -> tuple[np.ndarray, np.ndarray]:
    """Fixed standard-normal offsets and labels for the progress grids.

    Grid point i decodes prior(y_i).mean() + eps_i, so class-prior models show one
    sample per class around their (moving) learned means.
    """
    eps = np.random.default_rng(seed).standard_normal((N_FIXED, vae.latent)).astype(np.float32)
    labels = (np.arange(N_FIXED) % NUM_CLASSES).astype(np.int32)
    return eps, labels


def decode_to_uint8(vae: VAE, z: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Bernoulli means of p(x | z, y) as uint8 images ``[N, 28, 28]``."""
    return to_uint8(vae.likelihood(z, y).mean().numpy()[..., 0])


class ProgressRecorder(keras.callbacks.Callback):
    """Per-epoch history and sample grids, persisted in ``state_dir`` for resumption, and
    the weights of the epoch with the best validation ELBO (``best.weights.h5``)."""

    def __init__(self, vae: VAE, state_dir: Path) -> None:
        super().__init__()
        self.vae = vae
        self.state_dir = Path(state_dir)
        self.eps, self.labels = fixed_latents(vae)
        self.history: list[dict[str, float]] = []
        self.samples: list[np.ndarray] = []
        self._load()

    @property
    def _files(self) -> tuple[Path, Path]:
        return self.state_dir / "history.json", self.state_dir / "samples.npy"

    def _load(self) -> None:
        hist, samples = self._files
        if hist.is_file() and samples.is_file():
            self.history = json.loads(hist.read_text())
            self.samples = list(np.load(samples, allow_pickle=False))

    def _save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        hist, samples = self._files
        tmp_h, tmp_s = hist.with_suffix(".tmp"), samples.with_name("samples.tmp.npy")
        tmp_h.write_text(json.dumps(self.history))
        np.save(tmp_s, np.stack(self.samples))
        os.replace(tmp_h, hist)
        os.replace(tmp_s, samples)

    def _sample_grid(self) -> np.ndarray:
        z = self.vae.prior(self.labels).mean().numpy() + self.eps
        return decode_to_uint8(self.vae, z, self.labels)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self.samples:
            self.samples = [self._sample_grid()]  # epoch 0: the untrained decoder

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # After a resume, drop anything recorded past the restored epoch.
        del self.history[epoch:]
        del self.samples[epoch + 1:]
        self._epoch_started = time.perf_counter()

    @property
    def best_weights(self) -> Path:
        return self.state_dir / "best.weights.h5"

    @property
    def best_epoch(self) -> int:
        """The epoch (1-based) with the highest validation ELBO so far."""
        return max(self.history, key=lambda row: row["val_elbo"])["epoch"]

    def seconds_total(self) -> float:
        """Wall time of every recorded epoch, across interruptions and resumes."""
        return float(sum(row.get("seconds", 0.0) for row in self.history))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()},
               "seconds": round(time.perf_counter() - self._epoch_started, 2)}
        self.history.append(row)
        self.samples.append(self._sample_grid())
        if self.best_epoch == row["epoch"]:
            tmp = self.state_dir / "best.tmp.weights.h5"
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.vae.save_weights(str(tmp))
            os.replace(tmp, self.best_weights)
        self._save()

    def progress_arrays(self) -> dict[str, np.ndarray]:
        """What goes into the bundle's ``progress.npz``."""
        return {
            "epochs": np.arange(len(self.samples), dtype=np.int32),
            "samples": np.stack(self.samples),
            "eps": self.eps,
            "labels": self.labels,
        }
