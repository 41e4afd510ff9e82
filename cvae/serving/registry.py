"""The process-wide model registry: one `ModelCore`, one `ModelView` and one `ModelService`
per allow-listed bundle, loaded once and shared by the Streamlit page and the live decode
routes; and the class-fidelity judge.

Thread-safe: a per-name lock makes concurrent first requests load a model once.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cvae import catalog, settings
from cvae.data import Split, load_test_split
from cvae.explorer import ModelView, build_view
from cvae.model_service import ModelService

_lock = threading.Lock()
_name_locks: dict[str, threading.Lock] = {}
_cores: dict[str, Any] = {}
_views: dict[str, ModelView] = {}
_services: dict[str, ModelService] = {}
_split: list[Split] = []
_judge: list[Any] = []


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
    return settings.switch(settings.BATCHING, True)


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


def loaded(name: str) -> tuple[Any, ModelView] | None:
    """The core and view of bundle ``name`` if both are loaded already, else None (never
    loads, never blocks on a load, never lists the weights folder: cheap enough for every
    live decode on the event loop). Only an allow-listed name was ever loaded, so any other
    name finds nothing."""
    key = str(catalog.weights_dir() / name)  # the key `core` stores under
    model, model_view = _cores.get(key), _views.get(key)
    return None if model is None or model_view is None else (model, model_view)


def view(name: str) -> ModelView:
    """The `ModelView` (test-set codes and view geometry) of bundle ``name``."""
    model = core(name)
    key = str(catalog.bundle_path(name))
    with _lock_for(key):
        if key not in _views:
            _views[key] = build_view(model, test_split())
        return _views[key]


def service(name: str) -> ModelService:
    """The `ModelService` (everything the page shows of the model) of bundle ``name``."""
    model, model_view = core(name), view(name)
    key = str(catalog.bundle_path(name))
    with _lock_for(key):
        if key not in _services:
            _services[key] = ModelService(model, model_view, test_split(), Path(key), judge)
        return _services[key]


def trace_counts() -> dict[str, int]:
    """Times each loaded model's compiled graphs were traced, by bundle name (never loads)."""
    return {Path(key).name: svc.trace_count() for key, svc in list(_services.items())}


def judge() -> Any:
    """The shipped `cvae.judge.Judge` classifier, loaded once."""
    with _lock_for("<judge>"):
        if not _judge:
            from cvae import judge as judge_module

            _judge.append(judge_module.load())
        return _judge[0]
