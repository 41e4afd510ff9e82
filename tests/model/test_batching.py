"""BatchingCore: batched results equal unbatched ones, batches form, failures stay local."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

from cvae.model import VAE
from cvae.recipes import get_recipe
from cvae.serving.batching import BatchingCore
from cvae.serving.core import ModelCore


@pytest.fixture(scope="module")
def mlp() -> ModelCore:
    keras.utils.set_random_seed(5)
    return ModelCore(VAE(get_recipe("mlp-20d")))


@pytest.fixture(scope="module")
def labelled() -> ModelCore:
    """A model whose encoder and decoder both read the label."""
    keras.utils.set_random_seed(6)
    core = ModelCore(VAE(get_recipe("cvae-style-2d")))
    assert core.label_to_decoder and core.vae.recipe.label_to_encoder
    return core


class GatedCore:
    """A ModelCore whose first compiled call waits for a gate, so that every request
    submitted meanwhile queues up behind it (no sleeps, no timing)."""

    def __init__(self, core: ModelCore, fail_on_nan: bool = False) -> None:
        self._core = core
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.fail_on_nan = fail_on_nan
        self.batch_rows: list[int] = []

    def __getattr__(self, name):
        return getattr(self._core, name)

    def _wait(self, rows: np.ndarray) -> None:
        self.batch_rows.append(len(rows))
        self.entered.set()
        assert self.gate.wait(60), "test gate never opened"
        if self.fail_on_nan and np.isnan(rows).any():
            raise ValueError("NaN in the batch")

    def decode(self, z, labels=None):
        self._wait(z)
        return self._core.decode(z, labels)

    def encode(self, images, labels=None):
        self._wait(images)
        return self._core.encode(images, labels)


def _jobs(seed: int, latent: int, count: int = 48) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 7, 16, 33, 100, 257], size=count)
    return [(rng.standard_normal((int(n), latent)).astype(np.float32),
             rng.integers(0, 10, int(n)).astype(np.int32)) for n in sizes]


@pytest.mark.parametrize("which", ["mlp", "labelled"])
def test_many_threads_get_their_own_unbatched_results(which, request, test_split):
    core = request.getfixturevalue(which)
    jobs = _jobs(11, core.latent)
    images = [test_split.images[i:i + len(z)] for i, (z, _) in enumerate(jobs)]
    want_dec = [core.decode(z, y) for z, y in jobs]
    want_enc = [core.encode(x, y) for x, (_, y) in zip(images, jobs, strict=True)]

    with BatchingCore(core) as batching, ThreadPoolExecutor(16) as pool:
        dec = pool.map(lambda j: batching.decode(*j), jobs)
        enc = pool.map(lambda a: batching.encode(a[0], a[1][1]), zip(images, jobs, strict=True))
        dec, enc = list(dec), list(enc)
        assert batching.requests == 2 * len(jobs)
    for got, want in zip(dec, want_dec, strict=True):
        assert got.shape == want.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for (m, s), (wm, ws) in zip(enc, want_enc, strict=True):
        np.testing.assert_allclose(m, wm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s, ws, rtol=1e-5, atol=1e-6)


def test_labels_reach_the_decoder_row_by_row(labelled):
    z = np.zeros((1, 2), np.float32)
    with BatchingCore(labelled) as batching:
        futures = [batching.submit_decode(z, d) for d in range(10)]
        got = np.concatenate([f.result() for f in futures])
    want = labelled.decode(np.zeros((10, 2), np.float32), np.arange(10))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got[0], got[1])  # the label changes the drawing


def test_a_single_request_matches_the_core_exactly(mlp, test_split):
    z = np.random.default_rng(1).standard_normal((3, 20)).astype(np.float32)
    with BatchingCore(mlp) as batching:
        np.testing.assert_array_equal(batching.decode(z), mlp.decode(z))
        m, s = batching.encode(test_split.images[:5])
        wm, ws = mlp.encode(test_split.images[:5])
        np.testing.assert_array_equal(m, wm)
        np.testing.assert_array_equal(s, ws)
        assert batching.decode(z[:0]).shape == (0, 28, 28)
        assert batching.calls == 3 and batching.latent == 20  # facts come from the core


def test_concurrent_requests_share_compiled_calls(mlp):
    gated = GatedCore(mlp)
    jobs = _jobs(3, 20, count=30)
    jobs = [(z[:8], y[:8]) for z, y in jobs]  # 30 x <= 8 rows: fits one 256-row batch
    with BatchingCore(gated) as batching:
        first = batching.submit_decode(*jobs[0])
        assert gated.entered.wait(60)  # the worker is inside the first call
        rest = [batching.submit_decode(*j) for j in jobs[1:]]
        gated.gate.set()
        results = [f.result(60) for f in [first, *rest]]
        assert batching.calls == 2 < len(jobs)
    assert gated.batch_rows == [len(jobs[0][0]), sum(len(z) for z, _ in jobs[1:])]
    for (z, _), got in zip(jobs, results, strict=True):
        np.testing.assert_allclose(got, mlp.decode(z), rtol=1e-5, atol=1e-6)


def test_batches_are_bounded_by_max_rows(mlp):
    gated = GatedCore(mlp)
    z = np.zeros((40, 20), np.float32)
    with BatchingCore(gated, max_rows=100) as batching:
        first = batching.submit_decode(z[:1])
        assert gated.entered.wait(60)
        rest = [batching.submit_decode(z) for _ in range(5)]  # 200 rows: 80 + 80 + 40
        gated.gate.set()
        for f in [first, *rest]:
            assert f.result(60).shape[1:] == (28, 28)
    assert gated.batch_rows == [1, 80, 80, 40]


def test_one_bad_request_does_not_poison_the_batch(mlp):
    gated = GatedCore(mlp, fail_on_nan=True)
    rng = np.random.default_rng(2)
    good = [rng.standard_normal((4, 20)).astype(np.float32) for _ in range(6)]
    bad = np.full((2, 20), np.nan, np.float32)
    with BatchingCore(gated) as batching:
        first = batching.submit_decode(good[0])
        assert gated.entered.wait(60)
        futures = [batching.submit_decode(z) for z in good[1:3]]
        poisoned = batching.submit_decode(bad)
        futures += [batching.submit_decode(z) for z in good[3:]]
        wrong_shape = batching.submit_decode(np.zeros((3, 7), np.float32))
        gated.gate.set()
        for z, f in zip(good, [first, *futures], strict=True):
            np.testing.assert_allclose(f.result(60), mlp.decode(z), rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError, match="NaN"):
            poisoned.result(60)
        with pytest.raises(ValueError):
            wrong_shape.result(60)
        np.testing.assert_array_equal(batching.decode(good[0]), mlp.decode(good[0]))


def test_missing_labels_fail_only_that_request(labelled):
    with BatchingCore(labelled) as batching:
        with pytest.raises(ValueError, match="label"):
            batching.decode(np.zeros((1, 2)))
        assert batching.decode(np.zeros((1, 2)), 3).shape == (1, 28, 28)


def test_usable_from_asyncio(mlp):
    z = np.random.default_rng(4).standard_normal((6, 20)).astype(np.float32)

    async def many() -> list[np.ndarray]:
        return await asyncio.gather(*(asyncio.wrap_future(batching.submit_decode(z[i:i + 1]))
                                      for i in range(6)))

    # In a thread of its own: an earlier test in the session (AppTest) may have left an
    # event loop running in this one, and asyncio.run refuses to nest.
    with BatchingCore(mlp) as batching, ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, many()).result(timeout=60)
    np.testing.assert_allclose(np.concatenate(got), mlp.decode(z), rtol=1e-5, atol=1e-6)


def test_close_stops_the_worker_and_refuses_new_work(mlp):
    batching = BatchingCore(mlp)
    batching.close()
    assert not batching._worker.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        batching.decode(np.zeros((1, 20)))
    batching.close()  # idempotent


def test_rejects_bad_settings(mlp):
    with pytest.raises(ValueError):
        BatchingCore(mlp, max_rows=0)
