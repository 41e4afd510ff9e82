"""The server keeps its models warm: no per-run Keras reset, long-lived objects frozen."""

from __future__ import annotations

import gc
import sys
import types

from cvae import streamlit_workarounds


def test_reruns_no_longer_reset_keras_or_collect_long_lived_objects(monkeypatch):
    from streamlit.runtime.scriptrunner import script_runner

    resets = []
    keras = types.SimpleNamespace(backend=types.SimpleNamespace(
        clear_session=lambda *a, **k: resets.append(1)))
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        script_runner._clean_problem_modules)
    streamlit_workarounds.keep_models_warm()
    script_runner._clean_problem_modules()  # what Streamlit calls after every script run
    assert resets == []
    assert gc.get_freeze_count() > 0
