"""Training throughput: ``cvae.fitting``'s trainer (what ``python -m cvae.train`` runs)
against the TF tutorial's own loop.

The tutorial trains with a ``@tf.function`` train step called once per ``tf.data`` batch,
with a hand-written log-normal density for the one-sample ELBO. The comparison below
rebuilds that loop around the very same encoder/decoder (the ``tutorial-2d`` recipe) and
batch size (32), and feeds both the same binarized digits (the shipped 10k test split, so
no full MNIST file is needed). Both are timed over whole epochs after one untimed warm-up
epoch (tracing, data set-up), so the figures are steady-state throughput. A training step
costs about three forward passes, which gives the GFLOP/s each loop reaches: the bound here
is the two cores' arithmetic, not Python or framework overhead.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from benchmarks.common import layer_flops


def _tutorial_loop(vae: Any, images: np.ndarray, batch: int, epochs: int) -> float:
    """Images per second of the tutorial's training loop around ``vae``'s networks."""
    import tensorflow as tf

    encoder, decoder, latent = vae.net.encoder, vae.net.decoder, vae.latent
    optimizer = tf.keras.optimizers.Adam(1e-4)

    def log_normal_pdf(sample: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
        log2pi = tf.math.log(2.0 * math.pi)
        return tf.reduce_sum(-0.5 * ((sample - mean) ** 2.0 * tf.exp(-logvar) + logvar
                                     + log2pi), axis=1)

    def compute_loss(x: tf.Tensor) -> tf.Tensor:
        mean, logvar = tf.split(encoder(x), num_or_size_splits=2, axis=1)
        z = tf.random.normal(shape=tf.shape(mean)) * tf.exp(logvar * 0.5) + mean
        x_logit = decoder(z)
        cross_ent = tf.nn.sigmoid_cross_entropy_with_logits(logits=x_logit, labels=x)
        logpx_z = -tf.reduce_sum(cross_ent, axis=[1, 2, 3])
        logpz = log_normal_pdf(z, 0.0, 0.0)
        logqz_x = log_normal_pdf(z, mean, logvar)
        return -tf.reduce_mean(logpx_z + logpz - logqz_x)

    variables = encoder.trainable_variables + decoder.trainable_variables
    assert latent == encoder.output_shape[-1] // 2

    @tf.function
    def train_step(x: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            loss = compute_loss(x)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images)).batch(batch)
    for x in dataset:  # warm-up epoch: trace, fill the pipeline
        train_step(x)
    start = time.perf_counter()
    for _ in range(epochs):
        for x in dataset:
            train_step(x)
    return epochs * len(images) / (time.perf_counter() - start)


def _cvae_trainer(vae: Any, images: np.ndarray, labels: np.ndarray, batch: int,
                  epochs: int) -> float:
    """Images per second of ``cvae.train``'s default set-up (Keras fit, no XLA,
    16 steps per compiled call)."""
    import keras

    from cvae.fitting import Trainer

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds.append(time.perf_counter() - self.start)

    seconds: list[float] = []
    trainer = Trainer(vae, seed=0)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-4), jit_compile=False,
                    steps_per_execution=16)
    trainer.fit(images, labels, batch_size=batch, epochs=1 + epochs, shuffle=True, verbose=0,
                callbacks=[EpochTimer()])  # the first epoch warms up and is not timed
    return epochs * len(images) / sum(seconds[1:])


def run(quick: bool) -> dict[str, Any]:
    import keras

    from cvae.data import binarize, load_test_split
    from cvae.model import VAE
    from cvae.recipes import get_recipe

    split = load_test_split()
    images, labels = binarize(split.images), split.labels.astype(np.int32)
    recipe = get_recipe("tutorial-2d")
    epochs = 1 if quick else 3
    net = VAE(recipe).net
    train_flop = 3.0 * (layer_flops(net.encoder) + layer_flops(net.decoder))
    rates: dict[str, list[float]] = {"cvae": [], "tutorial": []}
    for _ in range(1 if quick else 2):  # alternate to share any drift in machine load
        keras.utils.set_random_seed(0)
        rates["tutorial"].append(_tutorial_loop(VAE(recipe), images, recipe.batch_size, epochs))
        keras.utils.set_random_seed(0)
        rates["cvae"].append(_cvae_trainer(VAE(recipe), images, labels, recipe.batch_size,
                                           epochs))
    ours, theirs = max(rates["cvae"]), max(rates["tutorial"])
    import tensorflow as tf

    return {"recipe": recipe.name, "batch_size": recipe.batch_size,
            # 0: TensorFlow's default, as `python -m cvae.train` runs (not the server's 1)
            "op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "images_per_epoch": len(images), "epochs_timed": epochs,
            "cvae_images_per_s": ours, "tutorial_images_per_s": theirs,
            "ratio": ours / theirs, "runs": rates,
            "train_gflop_per_image": train_flop / 1e9,
            "cvae_gflop_per_s": ours * train_flop / 1e9,
            "tutorial_gflop_per_s": theirs * train_flop / 1e9}
