"""Decode and judge a lattice of codes in one compiled call (the decoder-regions layer).

`JudgedDecoder` runs the model's decoder and the judge as one `tf.function` with a fixed
input signature (traced once): the decoded images never leave the graph, and only each
code's judged digit and the judge's probability of it come back (5 bytes a code instead of
the 3 kB image the separate decode and judge calls handed over through NumPy). Rows are
padded to the core's bucket sizes (`cvae.serving.core.BUCKETS`), so the kernels see only a
few shapes, and a lattice's chunks run side by side on the core's pool.

The arithmetic is the decoder's and the judge's own, in float32: the labels are the judge's
labels of the decoded lattice (``tests/test_region.py`` checks it cell by cell).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvae.serving.core import BUCKETS, _pad, bucket_for


class JudgedDecoder:
    """``read(codes, labels)``: what the judge reads in each code's decode."""

    def __init__(self, vae: Any, judge_net: Any) -> None:
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, vae.latent], tf.float32),
                                      tf.TensorSpec([None], tf.int32)])
        def read(z: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            images = vae.likelihood(z, y).mean()  # [N, 28, 28, 1], as the judge takes them
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
