"""The explorer's model core: one loaded bundle behind compiled, fixed-shape batch calls.

Each call kind (decode, encode) is one `tf.function` with a fixed input signature, so it is
traced exactly once. Inputs are padded up to a small set of bucket sizes, so the kernels see
only a handful of shapes, all primed at start-up (`ModelCore.warm_up`); no request pays for
tracing or for a first-time kernel set-up, whatever its batch size. Calls are safe from
several threads at once (TensorFlow runs a traced function concurrently; tracing happens up
front). TensorFlow places the work on a GPU when it sees one.

A serving process runs each op on one thread (`limit_op_threads`): many small concurrent
calls then cost less CPU. A request bigger than `SPLIT_ROWS` rows (a grid) is split into
chunks that run side by side on a small pool, one per core, so it still uses every core.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from cvae import settings
from cvae.data import binarize

BUCKETS = (1, 16, 64, 256)  # a 1024 bucket measured ~125 MB more RSS and no faster here
SPLIT_ROWS = BUCKETS[1]  # bigger requests run as chunks side by side, one per core
CHUNK_WORKERS = os.cpu_count() or 1


def limit_op_threads() -> None:
    """Run each TensorFlow op on one thread (``$CVAE_OP_THREADS`` to change; 0 is
    TensorFlow's default, one per core), if TensorFlow has not started yet.

    A server runs many small calls from many sessions at once, so splitting one op over
    the cores buys nothing and costs hand-offs: a one-point decode measured about 2.3 ms
    of CPU with the default pool and 1.3 ms on one thread, and no slower. Training keeps
    the default (it never loads a core). The first step of every model load, so it is where
    the server imports TensorFlow: without its C++ start-up notices in the log."""
    from cvae.serving.quiet_tensorflow import import_tensorflow

    tf = import_tensorflow()

    wanted = settings.count(settings.OP_THREADS, 1)
    # TensorFlow already running (a test process, a notebook) refuses it: leave it be.
    with contextlib.suppress(RuntimeError):
        tf.config.threading.set_intra_op_parallelism_threads(wanted)


@cache
def _chunk_pool() -> ThreadPoolExecutor:
    """Threads that run the chunks of one big request side by side (one per core)."""
    return ThreadPoolExecutor(max_workers=CHUNK_WORKERS, thread_name_prefix="core-chunk")


def _spans(n: int, workers: int) -> list[tuple[int, int]]:
    """Row ranges of the calls for ``n`` rows: one call up to `SPLIT_ROWS` rows; else equal
    chunks of the bucket size that finishes soonest on ``workers`` threads (rows each worker
    computes, padding included, plus about one row's time per call), the largest on a tie."""
    if n <= SPLIT_ROWS:
        return [(0, n)]

    def finish(size: int) -> int:
        calls = -(-n // size)
        return -(-calls // workers) * size + calls

    size = min((b for b in BUCKETS if b >= SPLIT_ROWS), key=lambda b: (finish(b), -b))
    return [(start, min(n, start + size)) for start in range(0, n, size)]


def bucket_for(n: int, buckets: tuple[int, ...] = BUCKETS) -> int:
    """Smallest bucket holding ``n`` rows (the largest bucket for bigger batches)."""
    for b in buckets:
        if n <= b:
            return b
    return buckets[-1]


def _pad(a: np.ndarray, size: int) -> np.ndarray:
    if len(a) == size:
        return a
    pad = np.zeros((size - len(a), *a.shape[1:]), a.dtype)
    return np.concatenate([a, pad])


class ModelCore:
    """Decode latent codes and encode digits for one model, in compiled batched calls."""

    def __init__(self, vae: Any) -> None:
        import tensorflow as tf

        self.vae = vae
        latent = vae.latent

        labels = tf.TensorSpec([None], tf.int32)  # read only by models that see the label

        @tf.function(input_signature=[tf.TensorSpec([None, latent], tf.float32), labels])
        def decode(z: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            return vae.likelihood(z, y).mean()[..., 0]

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32), labels])
        def encode(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            q = vae.posterior(x, y)
            return q.mean(), q.stddev()

        self._decode_fn = decode
        self._encode_fn = encode
        # Called directly, the traced graphs skip tf.function's per-call argument binding
        # (about 1 ms of interpreter time per call, measured): the signature is fixed.
        self._decode_graph = decode.get_concrete_function()
        self._encode_graph = encode.get_concrete_function()
        self._constant = tf.constant
        self.warm_up()

    # --- facts about the model ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.vae.name

    @property
    def latent(self) -> int:
        return self.vae.latent

    @property
    def class_mean_prior(self) -> bool:
        return self.vae.class_mean_prior

    @property
    def config(self) -> dict[str, Any]:
        return self.vae.config

    @property
    def metrics(self) -> dict[str, Any]:
        return self.vae.metrics

    @property
    def label_to_decoder(self) -> bool:
        """Whether the decoder reads the label (p(x | z, y)): the recipe's own name for it."""
        return self.vae.recipe.label_to_decoder

    @cached_property
    def param_count(self) -> int:
        return self.vae.count_params()

    @cached_property
    def prior_means(self) -> np.ndarray | None:
        """Learned class means ``[10, L]`` of a class-prior model, else ``None``."""
        if not self.class_mean_prior:
            return None
        return self.vae.class_means().numpy().astype(np.float64)

    # --- compiled batch calls ----------------------------------------------------------------

    def warm_up(self) -> None:
        """Trace both calls and prime every bucket shape once."""
        for b in BUCKETS:
            self.decode(np.zeros((b, self.latent), np.float32), 0)
            self.encode(np.zeros((b, 28, 28), np.uint8), 0)

    def label_array(self, labels: Any, n: int, needed: bool) -> np.ndarray:
        """``labels`` (one or ``n``) as the ``n`` int32 labels a compiled call takes; zeros
        when the network ignores them (``needed`` False), an error when it needs them."""
        if labels is None:
            if needed:
                raise ValueError(f"{self.name} reads the digit label: pass labels")
            return np.zeros(n, np.int32)
        return np.broadcast_to(np.asarray(labels, np.int32), (n,))

    def _call(self, fn: Any, a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """One compiled call on ``a`` (at most the largest bucket), padded to its bucket."""
        size = bucket_for(len(a))
        res = fn(self._constant(_pad(a, size)), self._constant(_pad(y, size)))
        res = res if isinstance(res, tuple | list) else (res,)
        return tuple(r.numpy()[: len(a)] for r in res)

    def _batched(self, fn: Any, a: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        spans = _spans(len(a), CHUNK_WORKERS)
        if len(spans) == 1:
            return [self._call(fn, a, y)]
        return list(_chunk_pool().map(lambda s: self._call(fn, a[s[0]:s[1]], y[s[0]:s[1]]), spans))

    def decode(self, z: np.ndarray, labels: Any = None) -> np.ndarray:
        """Bernoulli means ``[N, 28, 28]`` (float32 in [0, 1]) of p(x | z, y) for codes
        ``[N, L]``; ``labels`` (one digit or ``[N]``) is required when the decoder sees it."""
        z = np.asarray(z, np.float32).reshape(-1, self.latent)
        y = self.label_array(labels, len(z), self.label_to_decoder)
        if len(z) == 0:
            return np.zeros((0, 28, 28), np.float32)
        return np.concatenate([r[0] for r in self._batched(self._decode_graph, z, y)])

    def encode(self, images: np.ndarray, labels: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and standard deviations ``[N, L]`` of uint8 or {0,1} images
        (``labels`` required when the encoder sees the label)."""
        x = binarize(np.asarray(images).reshape(-1, 28, 28))
        y = self.label_array(labels, len(x), self.vae.recipe.label_to_encoder)
        if len(x) == 0:
            return np.zeros((0, self.latent), np.float32), np.zeros((0, self.latent), np.float32)
        parts = self._batched(self._encode_graph, x, y)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def posterior_covariance(self, images: np.ndarray, labels: Any = None
                             ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means ``[N, L]`` and full covariances ``[N, L, L]`` of q(z | x) for a
        few images (a picked or drawn digit: an eager call, ~ms per image, never traced;
        diagonal posteriors give diagonal matrices)."""
        x = binarize(np.asarray(images).reshape(-1, 28, 28))
        y = self.label_array(labels, len(x), self.vae.recipe.label_to_encoder)
        q = self.vae.posterior(x, y)
        return (q.mean().numpy().astype(np.float64),
                q.covariance().numpy().astype(np.float64))

    def map_chunks(self, fn: Any, rows: np.ndarray, size: int = BUCKETS[-1]) -> list[Any]:
        """``fn`` on chunks of ``size`` rows side by side on the core's pool (one thread per
        core): for a big request to a model that is not this core's, e.g. the judge."""
        chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
        if len(chunks) <= 1:
            return [fn(c) for c in chunks]
        return list(_chunk_pool().map(fn, chunks))

    def trace_count(self) -> int:
        """How many times the compiled calls have been traced; constant after `warm_up`."""
        return sum(fn.experimental_get_tracing_count()
                   for fn in (self._decode_fn, self._encode_fn))

    def class_log_prior(self, codes: np.ndarray) -> np.ndarray:
        """log N(z; mu_y, I) for each class y, ``[N, 10]`` (class-prior models only)."""
        if not self.class_mean_prior:
            raise ValueError(f"{self.name} has no class prior")
        z = np.asarray(codes, np.float32).reshape(-1, 1, self.latent)
        return self.vae.prior(np.arange(10)).log_prob(z).numpy()


def load_core(path: str | os.PathLike[str]) -> ModelCore:
    """Load the bundle at ``path`` and return its warmed-up `ModelCore`."""
    import cvae

    limit_op_threads()
    return ModelCore(cvae.load(Path(path)))
