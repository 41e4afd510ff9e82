"""Decode and judge a lattice of codes in one compiled call (the decoder-regions layer).

`JudgedDecoder` runs the model's decoder and the judge as one `tf.function` with a fixed
input signature (traced once): the decoded images never leave the graph, and only each
code's judged digit and the judge's probability of it come back (5 bytes a code instead of
the 3 kB image the separate decode and judge calls handed over through NumPy). Rows are
padded to the core's bucket sizes (`cvae.serving.core.BUCKETS`), so the kernels see only a
few shapes, and a lattice's chunks run side by side on the core's pool.

The arithmetic is the decoder's and the judge's own, in float32: the labels are the judge's
labels of the decoded lattice (``tests/model/test_region.py`` checks it cell by cell). One
decoder layer is computed another way with the same sums: a convolution to one channel (the
logits of the TFP-style decoders) as a depthwise convolution summed over the channels
(`_one_channel_conv`), which TensorFlow's CPU kernels run ~5x faster (44 against 240 ms of
CPU for 2,304 inputs of 28x28x16, measured). The decoder so run is checked against the
model's own decode when built, and the model's own is used if they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cvae.serving.core import BUCKETS, _pad, bucket_for

AGREE = 1e-4  # the largest pixel difference from the model's own decode that is accepted


def _one_channel_conv(layer: Any) -> Callable[[Any], Any] | None:
    """A stride-1 ``Conv2D`` with one filter as a depthwise convolution (its kernel
    ``[h, w, in, 1]`` read as a depthwise kernel of multiplier 1) summed over the channels;
    None for any other layer."""
    import keras
    import tensorflow as tf

    if (type(layer) is not keras.layers.Conv2D or layer.filters != 1
            or tuple(layer.strides) != (1, 1) or tuple(layer.dilation_rate) != (1, 1)
            or layer.groups != 1 or layer.data_format != "channels_last"):
        return None
    padding = layer.padding.upper()

    def call(x: Any) -> Any:
        kernel = tf.convert_to_tensor(layer.kernel)
        y = tf.reduce_sum(tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], padding),
                          axis=-1, keepdims=True)
        if layer.use_bias:
            y = y + tf.convert_to_tensor(layer.bias)
        return layer.activation(y)

    return call


def _layer_by_layer(vae: Any) -> Callable[[Any, Any], Any] | None:
    """Bernoulli means ``[N, 28, 28, 1]`` of ``vae``'s decoder run layer by layer with
    `_one_channel_conv` in place of such layers; None when there is none to replace."""
    import tensorflow as tf

    layers = list(getattr(vae.net.decoder, "layers", []))
    fast = [_one_channel_conv(layer) for layer in layers]
    if not any(fast):
        return None
    steps = [f or (lambda h, layer=layer: layer(h, training=False))
             for f, layer in zip(fast, layers, strict=True)]
    sees_label = bool(vae.recipe.label_to_decoder)

    def images(z: Any, y: Any) -> Any:
        h = tf.concat([z, tf.one_hot(y, 10)], axis=-1) if sees_label else z
        for step in steps:
            h = step(h)
        return tf.sigmoid(tf.reshape(h, [-1, 28, 28, 1]))

    return images


def _decoder(vae: Any) -> Callable[[Any, Any], Any]:
    """The decode the lattice uses: `_layer_by_layer` where it agrees with the model's own
    (``vae.likelihood(z, y).mean()``) on a few random codes, else the model's own."""
    import tensorflow as tf

    def own(z: Any, y: Any) -> Any:
        return vae.likelihood(z, y).mean()

    fast = _layer_by_layer(vae)
    if fast is None:
        return own
    rng = np.random.default_rng(0)
    z = tf.constant(rng.normal(0, 2, (32, vae.latent)), tf.float32)
    y = tf.constant(np.arange(32) % 10, tf.int32)
    gap = float(tf.reduce_max(tf.abs(fast(z, y) - own(z, y))))
    return fast if gap <= AGREE else own


class JudgedDecoder:
    """``read(codes, labels)``: what the judge reads in each code's decode."""

    def __init__(self, vae: Any, judge_net: Any) -> None:
        import tensorflow as tf

        decode = _decoder(vae)

        @tf.function(input_signature=[tf.TensorSpec([None, vae.latent], tf.float32),
                                      tf.TensorSpec([None], tf.int32)])
        def read(z: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            images = decode(z, y)  # [N, 28, 28, 1], as the judge takes them
            odds = tf.nn.softmax(judge_net(images, training=False))
            return tf.argmax(odds, axis=1, output_type=tf.int32), tf.reduce_max(odds, axis=1)

        self._fn = read
        self._graph = read.get_concrete_function()  # fixed signature: skip argument binding
        self._constant = tf.constant

    def trace_count(self) -> int:
        """Times the graph was traced (1 once built, whatever the batch sizes)."""
        return int(self._fn.experimental_get_tracing_count())

    def _chunk(self, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = bucket_for(len(z))
        labels, confidence = self._graph(self._constant(_pad(z, size)),
                                         self._constant(_pad(y, size)))
        return labels.numpy()[: len(z)], confidence.numpy()[: len(z)]

    def read(self, codes: np.ndarray, labels: np.ndarray,
             map_chunks: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Judged digits ``[N]`` uint8 and the judge's probability of each ``[N]`` float32
        for codes ``[N, L]`` decoded with ``labels`` ``[N]`` (read only by decoders that
        see the label). ``map_chunks(fn, rows, size)`` (`ModelCore.map_chunks`: side by side
        on the core's pool) runs the chunks; by default they run in turn."""
        z = np.asarray(codes, np.float32)
        y = np.broadcast_to(np.asarray(labels, np.int32), (len(z),))
        if len(z) == 0:
            return np.zeros(0, np.uint8), np.zeros(0, np.float32)
        run = map_chunks or (lambda fn, rows, size: [fn(rows[i:i + size])
                                                     for i in range(0, len(rows), size)])
        parts = run(lambda rows: self._chunk(z[rows], y[rows]), np.arange(len(z)), BUCKETS[-1])
        return (np.concatenate([p[0] for p in parts]).astype(np.uint8),
                np.concatenate([p[1] for p in parts]).astype(np.float32))
