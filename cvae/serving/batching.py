"""One model core shared by many sessions, with their requests batched into compiled calls.

`BatchingCore` wraps a `cvae.serving.core.ModelCore`. Each decode or encode request becomes an
item in a queue; one daemon worker thread takes everything queued (up to ``max_rows`` rows per
kind), concatenates the rows, runs one compiled call per kind and hands each caller its own
slice through a `concurrent.futures.Future`. A request that arrives while the worker is idle
is dispatched at once (``max_wait`` defaults to 0), so a lone request pays only a queue
hand-off over a direct `ModelCore` call; requests that arrive while a batch runs wait for the
next batch together. Per-request labels are kept row by row. A request that fails (bad
shape, missing labels) fails only its own future: inputs are checked before batching, and a
batch whose compiled call raises is retried request by request.

`cvae.serving.registry` wraps every core it loads (unless ``CVAE_BATCHING=0``)::

    core = load_batching_core(catalog.bundle_path(name))
    probs = core.decode(z, labels)                          # same signature as ModelCore
    fut = core.submit_decode(z, labels)                     # concurrent.futures.Future
    probs = await asyncio.wrap_future(fut)                  # from an asyncio handler

Attributes not defined here (``latent``, ``name``, ``prior_means``...) are read from the
wrapped core, so a `BatchingCore` stands in for a `ModelCore`. Call `close` to stop the
worker; pending requests then fail with `RuntimeError`.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cvae.data import binarize
from cvae.serving.core import BUCKETS, ModelCore

MAX_ROWS = BUCKETS[-1]  # one batch fills at most the largest compiled bucket


@dataclass
class _Request:
    kind: str  # "decode" or "encode"
    x: np.ndarray
    y: np.ndarray
    future: Future = field(default_factory=Future)


_STOP = object()


class BatchingCore:
    """Gather concurrent decode/encode requests into shared compiled calls of one core."""

    def __init__(self, core: ModelCore, max_rows: int = MAX_ROWS, max_wait: float = 0.0) -> None:
        """``max_rows`` bounds the rows of one batch (a larger single request still runs,
        alone); ``max_wait`` (seconds) is how long an idle worker waits for company."""
        if max_rows < 1 or max_wait < 0:
            raise ValueError("max_rows must be >= 1 and max_wait >= 0")
        self.core = core
        self.max_rows = max_rows
        self.max_wait = max_wait
        self.calls = 0     # compiled batch calls made (one per kind per batch)
        self.requests = 0  # requests answered
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name=f"batching-{core.name}",
                                        daemon=True)
        self._worker.start()

    def __getattr__(self, name: str) -> Any:
        if name == "core":  # not set yet (during __init__ failure): avoid recursion
            raise AttributeError(name)
        return getattr(self.core, name)

    # --- requests ----------------------------------------------------------------------------

    def submit_decode(self, z: np.ndarray, labels: Any = None) -> Future:
        """Future of `ModelCore.decode` (``[N, 28, 28]`` float32) for codes ``[N, L]``."""
        try:
            z = np.asarray(z, np.float32).reshape(-1, self.core.latent)
            y = self.core.label_array(labels, len(z), self.core.label_to_decoder)
        except Exception as e:  # bad input fails this request only
            return _failed(e)
        return self._submit(_Request("decode", z, np.ascontiguousarray(y, np.int32)))

    def submit_encode(self, images: np.ndarray, labels: Any = None) -> Future:
        """Future of `ModelCore.encode` (posterior means and stddevs ``[N, L]``)."""
        try:
            x = binarize(np.asarray(images).reshape(-1, 28, 28))
            y = self.core.label_array(labels, len(x), self.core.vae.recipe.label_to_encoder)
        except Exception as e:
            return _failed(e)
        return self._submit(_Request("encode", x, np.ascontiguousarray(y, np.int32)))

    def decode(self, z: np.ndarray, labels: Any = None) -> np.ndarray:
        """Blocking `submit_decode`: the same contract as `ModelCore.decode`."""
        return self.submit_decode(z, labels).result()

    def encode(self, images: np.ndarray, labels: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Blocking `submit_encode`: the same contract as `ModelCore.encode`."""
        return self.submit_encode(images, labels).result()

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the worker after the batch in flight; queued requests fail."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)
        self._worker.join(timeout)

    def __enter__(self) -> BatchingCore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, req: _Request) -> Future:
        with self._lock:
            if self._closed:
                return _failed(RuntimeError("BatchingCore is closed"))
            self._queue.put(req)
        return req.future

    # --- the worker --------------------------------------------------------------------------

    def _run(self) -> None:
        pending: list[_Request] = []
        stop = False
        while not stop:
            if not pending:
                item = self._queue.get()  # idle: block until the first request
                if item is _STOP:
                    break
                pending.append(item)
            stop = self._gather(pending)
            rows = {"decode": 0, "encode": 0}
            batch: list[_Request] = []
            rest: list[_Request] = []
            for req in pending:  # first come, first served, up to max_rows rows per kind
                n = len(req.x)
                if rows[req.kind] == 0 or rows[req.kind] + n <= self.max_rows:
                    rows[req.kind] += n
                    batch.append(req)
                else:
                    rest.append(req)
            pending = rest
            for kind in ("decode", "encode"):
                group = [r for r in batch if r.kind == kind]
                if group:
                    self._serve(kind, group)
        for req in pending:
            _fail(req.future, RuntimeError("BatchingCore is closed"))
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                _fail(item.future, RuntimeError("BatchingCore is closed"))

    def _gather(self, pending: list[_Request]) -> bool:
        """Move whatever is queued now (and, with ``max_wait``, soon) into ``pending``;
        True when a stop was seen."""
        deadline = time.monotonic() + self.max_wait
        while True:
            try:
                wait = deadline - time.monotonic()
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            pending.append(item)

    def _serve(self, kind: str, group: list[_Request]) -> None:
        live = [r for r in group if r.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self._call(kind, live)
        except Exception as e:
            if len(live) == 1:
                live[0].future.set_exception(e)
            else:  # one bad request must not fail the others: run them one by one
                for req in live:
                    try:
                        (res,) = self._call(kind, [req])
                    except Exception as err:
                        req.future.set_exception(err)
                    else:
                        req.future.set_result(res)
        else:
            for req, res in zip(live, results, strict=True):
                req.future.set_result(res)
        self.requests += len(live)

    def _call(self, kind: str, group: list[_Request]) -> list[Any]:
        """One compiled call (per bucket chunk) over the concatenated rows of ``group``."""
        x = np.concatenate([r.x for r in group])
        y = np.concatenate([r.y for r in group])
        bounds = np.cumsum([0] + [len(r.x) for r in group])
        self.calls += 1
        if kind == "decode":
            out = (self.core.decode(x, y) if len(x) else np.zeros((0, 28, 28), np.float32),)
        else:
            out = self.core.encode(x, y) if len(x) else (
                np.zeros((0, self.core.latent), np.float32),) * 2
        parts = [tuple(o[a:b] for o in out) for a, b in itertools.pairwise(bounds)]
        return [p[0] if kind == "decode" else p for p in parts]


def _failed(exc: BaseException) -> Future:
    f: Future = Future()
    f.set_exception(exc)
    return f


def _fail(f: Future, exc: BaseException) -> None:
    if f.set_running_or_notify_cancel():
        f.set_exception(exc)


def load_batching_core(path: str | os.PathLike[str], max_rows: int = MAX_ROWS,
                       max_wait: float = 0.0) -> BatchingCore:
    """Load the bundle at ``path`` into a warmed-up core behind a `BatchingCore`."""
    from cvae.serving.core import load_core

    return BatchingCore(load_core(Path(path)), max_rows=max_rows, max_wait=max_wait)
