"""Warm before ready: a real server runs its page before it says ready."""

from __future__ import annotations

import pytest

from cvae.recipes import DEFAULT_RECIPE

STYLE = "cvae-style-2d"  # a decoder that reads the class: analogies, a manifold per class


@pytest.mark.slow
def test_a_real_server_runs_its_page_before_it_says_ready():
    """In a served app the warm-up's last step runs the page in the server's own runtime
    (a session with no browser), once per warm model, and readiness waits for it."""
    import json
    import urllib.request

    from harness.paths import ARTIFACTS
    from harness.server import running_app

    log = "streamlit-server-warmup-pages.log"
    env = {"CVAE_WARM_MODELS": f"{DEFAULT_RECIPE},{STYLE}"}
    with running_app(log, env=env, ready=True) as (base, _):
        body = json.loads(urllib.request.urlopen(f"{base}/cvae/ready").read())
    assert body["ready"] and body["pages"] == 2, body  # "?" and "?model=cvae-style-2d"
    assert {DEFAULT_RECIPE, STYLE} <= set(body["traces"]), body  # each model's trace count
    text = (ARTIFACTS / log).read_text()
    assert "page run at ?:" in text and f"page run at ?model={STYLE}:" in text, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
