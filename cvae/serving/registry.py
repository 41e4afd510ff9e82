"""The process-wide model registry: one `ModelCore` and one `ModelView` per allow-listed
bundle, loaded once and shared by the Streamlit page and the live decode routes.

Thread-safe: a per-name lock makes concurrent first requests load a model once.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from cvae import catalog
from cvae.data import Split, load_test_split
from cvae.explorer import ModelView, build_view

_lock = threading.Lock()
_name_locks: dict[str, threading.Lock] = {}
_cores: dict[str, Any] = {}
_views: dict[str, ModelView] = {}
_split: list[Split] = []


def _lock_for(name: str) -> threading.Lock:
    with _lock:
        return _name_locks.setdefault(name, threading.Lock())


def test_split() -> Split:
    """The shipped 10k MNIST test split, read once."""
    with _lock_for("<split>"):
        if not _split:
            _split.append(load_test_split())
        return _split[0]


def batching() -> bool:
    """Whether cores batch concurrent requests across sessions (`cvae.serving.batching`); off
    with ``CVAE_BATCHING=0`` (to measure the difference)."""
    return os.environ.get("CVAE_BATCHING", "1").strip() != "0"


def core(name: str) -> Any:
    """The warmed-up `cvae.serving.core.ModelCore` of allow-listed bundle ``name`` (``KeyError``
    for any other name, `cvae.BundleError` for a broken bundle; neither is cached).
    Cached by the bundle's folder, so another ``$CVAE_WEIGHTS`` is another model."""
    key = str(catalog.bundle_path(name))
    with _lock_for(key):
        if key not in _cores:
            from cvae.serving.batching import load_batching_core
            from cvae.serving.core import load_core

            _cores[key] = load_core(key) if not batching() else load_batching_core(key)
        return _cores[key]


def view(name: str) -> ModelView:
    """The `ModelView` (test-set codes and view geometry) of bundle ``name``."""
    model = core(name)
    key = str(catalog.bundle_path(name))
    with _lock_for(key):
        if key not in _views:
            _views[key] = build_view(model, test_split())
        return _views[key]


def version(name: str) -> str:
    """8 hex digits of the bundle's weights checksum: changes when the weights do."""
    files = core(name).config.get("files", {})
    return str(files.get("model.weights.h5", "0" * 8))[:8]
