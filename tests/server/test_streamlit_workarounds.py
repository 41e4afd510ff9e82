"""The Streamlit workarounds: what `apply()` patches. Patching runs in a fresh interpreter
(the patch is process-wide and permanent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from harness.paths import ROOT

# Stub Keras with a counting clear_session, apply the workarounds, then call the hook
# Streamlit calls after every script run; report what ran and what was logged.
PROBE = textwrap.dedent("""
    import json, logging, os, sys, types
    from streamlit import config
    if os.environ.get("PROBE_FILE_WATCHER"):  # a setting as `streamlit run` would make it
        config.set_option("server.fileWatcherType", os.environ["PROBE_FILE_WATCHER"])
    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append([record.levelname, record.getMessage()])
    logging.getLogger("cvae").addHandler(Keep())
    logging.getLogger("cvae").setLevel(logging.INFO)

    resets = []
    backend = types.SimpleNamespace(clear_session=lambda *a, **k: resets.append(1))
    sys.modules["keras"] = types.SimpleNamespace(backend=backend)
    from streamlit.runtime.scriptrunner import script_runner
    from cvae import streamlit_workarounds

    script_runner._clean_problem_modules()  # upstream, before apply(): resets Keras
    before = len(resets)
    first = streamlit_workarounds.apply()
    second = streamlit_workarounds.apply()
    script_runner._clean_problem_modules()  # what Streamlit calls after every script run

    # The page's compile, then the clear Streamlit makes when its last session closes,
    # then the next visitor's run: how many times was the page compiled?
    from streamlit.runtime.scriptrunner import script_cache
    compiles = []
    add_magic = script_cache.magic.add_magic
    script_cache.magic.add_magic = lambda *a: compiles.append(1) or add_magic(*a)
    cache = script_cache.ScriptCache()
    cache.get_bytecode("page.py")
    cache.clear()
    cache.get_bytecode("page.py")
    print(json.dumps({"before": before, "after": len(resets) - before, "applied": first,
                      "again": second, "log": records, "compiles": len(compiles)}))
""")


def _probe(**env: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_apply_stops_the_per_run_keras_reset_and_logs_it():
    out = _probe(CVAE_NO_WORKAROUNDS="")
    assert out["before"] == 1  # the stub is wired up: upstream really calls clear_session
    assert out["after"] == 0
    assert "_clean_problem_modules" in out["applied"][0]
    assert out["again"] == out["applied"]  # idempotent
    infos = [msg for level, msg in out["log"] if level == "INFO"]
    assert len(infos) == len(out["applied"]) and "clear_session" in infos[0]
    assert "TCP_NODELAY" in infos[-1]
    assert not [msg for level, msg in out["log"] if level == "WARNING"]


def test_with_no_file_watcher_the_compiled_page_outlives_the_last_session():
    out = _probe(CVAE_NO_WORKAROUNDS="")  # the project's settings: fileWatcherType "none"
    assert out["compiles"] == 1
    assert len(out["applied"]) == 3 and "ScriptCache.clear" in out["applied"][1]
    watched = _probe(CVAE_NO_WORKAROUNDS="", PROBE_FILE_WATCHER="poll")
    assert watched["compiles"] == 2  # a watcher may make it stale: upstream's clear stays
    assert not any("ScriptCache" in done for done in watched["applied"])
    assert _probe(CVAE_NO_WORKAROUNDS="1")["compiles"] == 2


# A listening socket made as Streamlit 1.67 makes it (no protocol number), served by asyncio
# as uvicorn serves it: is Nagle off on the accepted connection, before and after apply()?
NODELAY_PROBE = textwrap.dedent("""
    import asyncio, json, socket
    from cvae import streamlit_workarounds

    async def accepted_nodelay():
        listener = socket.socket(family=socket.AF_INET)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        seen = asyncio.get_running_loop().create_future()

        async def serve(reader, writer):
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(serve, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        value = await seen
        writer.close()
        server.close()
        return bool(value)

    before = asyncio.run(accepted_nodelay())
    streamlit_workarounds.apply()
    print(json.dumps({"before": before, "after": asyncio.run(accepted_nodelay())}))
""")


def test_apply_turns_nagle_off_on_connections_to_a_socket_bound_as_streamlit_does():
    proc = subprocess.run([sys.executable, "-c", NODELAY_PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "CVAE_NO_WORKAROUNDS": ""})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"before": False, "after": True}


def test_switched_off_by_the_environment():
    out = _probe(CVAE_NO_WORKAROUNDS="1")
    assert out["before"] == 1 and out["after"] == 1  # Streamlit's reset still runs
    assert out["applied"] == [] and out["compiles"] == 2
    assert any("switched off" in msg for _, msg in out["log"])
