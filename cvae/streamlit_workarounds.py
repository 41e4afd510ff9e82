"""Workarounds for upstream behaviour that costs a model-serving Streamlit app time.

Streamlit assumes a script rebuilds its models on every run; this app loads each model once
into ``st.cache_resource`` and serves every session from it. Call `apply` once at start-up
(it is idempotent) and `freeze_loaded_objects` after the models have loaded. Setting
``CVAE_NO_WORKAROUNDS=1`` switches both off. Each one is logged at INFO on the logger
``cvae.streamlit_workarounds``; anything skipped is logged as a warning.

Upstream behaviour worked around:

1. **Streamlit's per-run Keras reset** (patched by `apply`). After every script run,
   fragment reruns included, ``ScriptRunner._run_script`` calls the private
   ``streamlit.runtime.scriptrunner.script_runner._clean_problem_modules()``, which calls
   ``keras.backend.clear_session()`` whenever ``keras`` is imported, and
   ``matplotlib.pyplot.close("all")`` whenever pyplot is. The function has been in Streamlit's
   script runner since before 1.0 (read here in the 1.67 source). Keras 3's
   ``clear_session()`` resets Keras's global state, clears TensorFlow's eager kernel cache
   (the next decode re-instantiates its compiled function: ~50 ms instead of ~3 ms) and runs
   a full ``gc.collect()`` (~0.3 s over TensorFlow's ~500k objects on a small machine). No
   Streamlit setting turns it off, so `apply` replaces it with a function that keeps the
   matplotlib part and skips the Keras reset. Models here are never rebuilt per run, so
   the reset only cost time. Because the attribute is private, `apply` patches only on the
   Streamlit versions it was checked against (`VERIFIED_STREAMLIT`) and only if the
   attribute exists; otherwise it logs a warning and changes nothing.

2. **Streamlit's own full collection after every run** (``gc.collect(2)`` in
   ``ScriptRunner._on_script_finished``). This one is *not* patched: the supported setting
   ``runner.postScriptGC = false`` in ``.streamlit/config.toml`` switches it off. `apply`
   checks the setting and warns when it is on (the config file was not picked up).

3. **CPython's automatic full collections** (not Streamlit's; nothing is patched).
   With 1 and 2 gone, a full collection still runs whenever the objects that survived
   into the oldest generation have grown by a quarter, and it walks every long-lived
   object: TensorFlow's and the loaded models' (~430k after loading one model). Measured
   on the 2-core machine: a full collection took 180-230 ms before `gc.freeze` and under
   1 ms after; 200 rerun-like loops (figure dicts plus a decode) triggered no automatic
   full collection either way. So this is not a per-rerun cost; it removes the occasional
   ~0.2 s pause (holding the GIL, so every session waits) that a growing server would
   otherwise pay now and then. `freeze_loaded_objects` moves what is alive after a model
   load into the permanent generation. Frozen objects are still freed by reference
   counting; only reference cycles among them are never collected, which is fine for
   models that live as long as the process.

4. **Streamlit recompiles the page whenever its last session closes** (patched by `apply`
   when ``server.fileWatcherType = "none"``). ``WebSocketSessionManager.disconnect_session``
   and ``close_session`` call ``ScriptCache.clear()`` once no session is left, "to avoid
   stale cached scripts when all file watchers and sessions are disconnected"; the next
   visitor then recompiles page.py (Streamlit's magic AST pass and ``compile``: 40-90 ms
   holding the interpreter lock, measured 86-106 ms on the contended 2-core machine, and
   41 % of the server's interpreter time when sessions opened one after another). That hit
   every first visitor of a quiet server, including the first after the warm-up's own page
   run (`cvae.serving.rehearsal`). With no file watcher nothing else ever marks the script
   stale (the settings say the files change only with a new deploy), so `apply` makes
   ``ScriptCache.clear`` keep the compiled page; with a watcher on, it changes nothing.
5. **Nagle's algorithm on every connection** (patched by `apply`). Streamlit 1.67 binds
   its listening socket itself (``starlette_server._bind_socket``: ``socket.socket(family)``,
   protocol number 0), and asyncio sets ``TCP_NODELAY`` only on sockets whose protocol is
   ``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``), so no accepted connection gets
   it. Uvicorn writes a response's head and body in two sends; with Nagle on, the body
   waits for the client's ACK of the head, which the client delays (~40 ms on Linux): a
   small response (a hover preview's 784 bytes, measured in Chromium) arrived ~45 ms after
   its head. No uvicorn or Streamlit setting sets the option, so `apply` makes asyncio's
   ``_set_nodelay`` also set it on TCP stream sockets made without a protocol number.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import sys

from cvae import settings

log = logging.getLogger(__name__)

# Streamlit (major, minor) versions whose script_runner._clean_problem_modules was read and
# found to do what is described above: first and last, inclusive. Extend after checking.
VERIFIED_STREAMLIT = ((1, 67), (1, 67))

_applied: list[str] | None = None


def _streamlit_version() -> str:
    import streamlit

    return str(streamlit.__version__)


def _verified(version: str) -> bool:
    try:
        major_minor = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    first, last = VERIFIED_STREAMLIT
    return len(major_minor) == 2 and first <= major_minor <= last


def _switched_off() -> bool:
    return settings.switch(settings.NO_WORKAROUNDS, False)


def _clean_problem_modules_but_keras() -> None:
    """Streamlit's per-run module reset without ``keras.backend.clear_session()``
    (see the module docstring): closes matplotlib figures, as upstream does."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        with contextlib.suppress(Exception):  # upstream swallows this too
            plt.close("all")


def apply() -> list[str]:
    """Apply the Streamlit workarounds once; returns (and logs) what was applied.

    Idempotent: later calls change nothing and return the first call's list. Returns an
    empty list when switched off (``CVAE_NO_WORKAROUNDS=1``) or when the installed Streamlit
    is not one the patch was verified on (a warning says so).
    """
    global _applied
    if _applied is not None:
        return list(_applied)
    if _switched_off():
        log.info("Streamlit workarounds switched off (%s is on)", settings.NO_WORKAROUNDS)
        _applied = []
        return []
    applied: list[str] = []
    version = _streamlit_version()
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        script_runner = None
    first, last = VERIFIED_STREAMLIT
    if not _verified(version):
        log.warning("Streamlit %s is outside the versions the Keras-reset workaround was "
                    "verified on (%d.%d to %d.%d): not patching; every rerun will reset Keras "
                    "(slower reruns). Check script_runner._clean_problem_modules and extend "
                    "VERIFIED_STREAMLIT.", version, *first, *last)
    elif script_runner is None or not callable(
            getattr(script_runner, "_clean_problem_modules", None)):
        log.warning("Streamlit %s has no script_runner._clean_problem_modules: not patching "
                    "the per-run Keras reset.", version)
    else:
        script_runner._clean_problem_modules = _clean_problem_modules_but_keras
        applied.append("script_runner._clean_problem_modules: no keras.backend.clear_session() "
                       "after each script run (upstream clears TensorFlow's kernel cache and "
                       "runs a full gc.collect() every run)")
        log.info("Streamlit %s workaround applied: %s", version, applied[-1])
    if _verified(version) and _keep_compiled_page():
        applied.append("ScriptCache.clear: the compiled page is kept when the last session "
                       "closes (server.fileWatcherType is none: nothing makes it stale)")
        log.info("Streamlit %s workaround applied: %s", version, applied[-1])
    if _verified(version):
        applied += _nodelay_on_every_tcp_connection()
    _warn_if_post_script_gc()
    _applied = applied
    return list(applied)


def _keep_compiled_page() -> bool:
    """Item 4: with no file watcher, make ``ScriptCache.clear`` a no-op; True if patched."""
    try:
        from streamlit import config
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache

        watcher = config.get_option("server.fileWatcherType")
    except Exception:  # moved or renamed upstream: leave it alone
        log.warning("Streamlit's ScriptCache or server.fileWatcherType not found: the page "
                    "is recompiled whenever the last session closes")
        return False
    if watcher != "none":
        return False
    ScriptCache.clear = _keep_bytecode
    return True


def _keep_bytecode(self: object) -> None:
    """``ScriptCache.clear`` with no file watcher: the compiled page stays (item 4)."""
def _set_nodelay(sock: socket.socket) -> None:
    """asyncio's ``_set_nodelay``, for TCP stream sockets made with protocol number 0 too."""
    if (sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM
            and sock.proto in {0, socket.IPPROTO_TCP}):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _nodelay_on_every_tcp_connection() -> list[str]:
    """Workaround 5 (module docstring): what it applied, as `apply` reports it."""
    from asyncio import base_events

    if not callable(getattr(base_events, "_set_nodelay", None)):
        log.warning("asyncio has no base_events._set_nodelay: not setting TCP_NODELAY on "
                    "the server's connections (small responses may wait ~40 ms)")
        return []
    base_events._set_nodelay = _set_nodelay
    done = ("asyncio.base_events._set_nodelay: TCP_NODELAY also on sockets made without a "
            "protocol number (Streamlit's listening socket), so no response waits ~40 ms "
            "for a delayed ACK")
    log.info("workaround applied: %s", done)
    return [done]


def _warn_if_post_script_gc() -> None:
    try:
        from streamlit import config

        on = bool(config.get_option("runner.postScriptGC"))
    except Exception:  # an option that no longer exists: nothing to check
        return
    if on:
        log.warning("runner.postScriptGC is on: Streamlit runs gc.collect(2) after every "
                    "script run; set it to false (.streamlit/config.toml)")


def freeze_loaded_objects() -> int:
    """Collect garbage once, then freeze every object alive out of CPython's future full
    collections (`gc.freeze`, see item 3 of the module docstring); call right after
    loading models that live as long as the process. Returns how many objects are frozen
    (0 when switched off). Costs one full collection (~0.2 s) per call."""
    if _switched_off():
        return 0
    gc.collect()
    gc.freeze()
    count = gc.get_freeze_count()
    log.info("gc.freeze: %d long-lived objects moved out of CPython's full collections", count)
    return count
