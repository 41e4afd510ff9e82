"""How the Streamlit server process hosts the models: keep them warm between reruns.

Streamlit assumes scripts rebuild their models on every run; this app loads each model once
into ``st.cache_resource`` and serves every session from it, so Streamlit's per-run resets
only cost time.
"""

from __future__ import annotations

import gc


def keep_models_warm() -> None:
    """Make reruns cheap in a process that holds TensorFlow models (call after loading).

    After every script run, Streamlit calls ``keras.backend.clear_session()``, which clears
    TensorFlow's kernel cache (the next decode then re-instantiates its compiled function:
    ~50 ms instead of ~3 ms) and runs a full garbage collection; Streamlit also collects
    garbage itself (``runner.postScriptGC``). With TensorFlow's ~500k long-lived objects
    each full collection takes ~0.3 s on a small machine, so every rerun, a slider move or
    a frame of the pad's drag loop, paid over half a second. This skips Streamlit's Keras
    reset (models here live in ``st.cache_resource`` and are never rebuilt per run) and
    freezes the objects alive now out of future collections (`gc.freeze`).
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit without that module
        script_runner = None
    if script_runner is not None and hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _clean_nothing
    gc.collect()
    gc.freeze()


def _clean_nothing() -> None:
    """Stands in for Streamlit's per-run Keras/matplotlib reset (see `keep_models_warm`)."""


def apply() -> None:
    """Start-up hook (placeholder until the workarounds module is rebuilt)."""
    keep_models_warm()
