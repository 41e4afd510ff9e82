"""The Streamlit workarounds leave a Streamlit they do not know alone (the patches
themselves are checked in a fresh interpreter, tests/server/test_streamlit_workarounds.py)."""

from __future__ import annotations

import logging

from cvae import streamlit_workarounds


def test_an_unverified_streamlit_is_left_alone_with_a_warning(monkeypatch, caplog):
    from streamlit.runtime.scriptrunner import script_runner

    upstream = script_runner._clean_problem_modules
    monkeypatch.setattr(streamlit_workarounds, "_applied", None)
    monkeypatch.setattr(streamlit_workarounds, "_streamlit_version", lambda: "1.99.0")
    monkeypatch.delenv("CVAE_NO_WORKAROUNDS", raising=False)
    with caplog.at_level(logging.INFO, logger="cvae.streamlit_workarounds"):
        assert streamlit_workarounds.apply() == []
    assert script_runner._clean_problem_modules is upstream
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("1.99.0" in w and "not patching" in w for w in warnings)


def test_verified_range_is_by_minor_version():
    assert streamlit_workarounds._verified("1.67.0")
    assert streamlit_workarounds._verified("1.67.3")
    assert not streamlit_workarounds._verified("1.66.9")
    assert not streamlit_workarounds._verified("1.68.0")
    assert not streamlit_workarounds._verified("2.0")
    assert not streamlit_workarounds._verified("nightly")
