"""The shared model core: bucketed batches, no retracing, safe under concurrent callers."""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

from cvae.model import VAE
from cvae.recipes import get_recipe
from cvae.serving.core import BUCKETS, ModelCore, _spans, bucket_for


@pytest.fixture(scope="module")
def core() -> ModelCore:
    keras.utils.set_random_seed(3)
    return ModelCore(VAE(get_recipe("class-prior-2d")))


def test_bucket_for():
    assert [bucket_for(n) for n in (1, 2, 16, 17, 256, 257, 5000)] == [1, 16, 16, 64, 256, 256, 256]


@pytest.mark.parametrize("workers", [1, 2, 4])
@pytest.mark.parametrize("n", [1, 16, 17, 40, 225, 625, 10_000])
def test_a_request_is_cut_into_bucket_chunks_that_cover_it_once(n, workers):
    spans = _spans(n, workers)
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    sizes = {end - start for start, end in spans[:-1]}
    assert len(sizes) <= 1 and sizes <= set(BUCKETS)
    if n <= 16:
        assert spans == [(0, n)]  # a small request is one call, on the caller's thread
    elif workers > 1:
        assert len(spans) >= 2  # a big one gives every core a share


def test_a_serving_process_runs_each_op_on_one_thread():
    """Loading a core sets TensorFlow's per-op pool to one thread unless told otherwise
    (checked in fresh processes: the setting only takes before TensorFlow starts)."""
    import subprocess
    import sys

    probe = ("import tensorflow as tf; from cvae.serving.core import limit_op_threads; "
             "limit_op_threads(); tf.constant(1.0) + 1; "
             "print(tf.config.threading.get_intra_op_parallelism_threads())")
    for setting, want in ((None, "1"), ("0", "0"), ("2", "2")):
        env = {k: v for k, v in os.environ.items() if k != "CVAE_OP_THREADS"}
        if setting is not None:
            env["CVAE_OP_THREADS"] = setting
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                             text=True, timeout=300, check=True)
        assert out.stdout.strip().splitlines()[-1] == want


@pytest.mark.parametrize("n", [1, 15, 17, 300, 2100])
def test_decode_matches_the_model_for_any_batch_size(core, n):
    z = np.random.default_rng(n).standard_normal((n, 2)).astype(np.float32) * 2
    got = core.decode(z)
    assert got.shape == (n, 28, 28) and got.dtype == np.float32
    want = core.vae.likelihood(z).mean().numpy()[..., 0]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_encode_matches_the_posterior(core, test_split):
    images = test_split.images[:37]
    mean, std = core.encode(images)
    from cvae.data import binarize

    q = core.vae.posterior(binarize(images))
    np.testing.assert_allclose(mean, q.mean().numpy(), atol=1e-5)
    np.testing.assert_allclose(std, q.stddev().numpy(), atol=1e-5)
    assert core.encode(images[:0])[0].shape == (0, 2)


def test_no_retracing_after_warm_up(core):
    traced = core.trace_count()
    assert traced == 2  # one graph each for decode and encode, whatever the batch size
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 16, 33, 100, 225, 700, 1500):
        core.decode(rng.standard_normal((n, 2)))
        core.encode(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    assert core.trace_count() == traced


def test_concurrent_calls_match_serial_results(core):
    rng = np.random.default_rng(7)
    jobs = [rng.standard_normal((int(n), 2)).astype(np.float32)
            for n in rng.integers(1, 300, size=48)]
    serial = [core.decode(z) for z in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(core.decode, jobs))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_class_log_prior_prefers_the_nearest_mean(core):
    means = core.prior_means
    lp = core.class_log_prior(means + 0.01)
    assert lp.shape == (10, 10)
    assert lp.argmax(axis=1).tolist() == list(range(10))
