"""A page run without a browser, inside the server: what a first visit's script run costs once
per process is paid before the server says it is ready.

Warm caches are not enough for a cheap first visit: the first script run of a process also
compiles the page, imports what Streamlit's elements import lazily (its emoji table for the
page icon, element modules), runs Streamlit's once-per-process checks (its "is this a REPL"
check walks every frame and module: ~0.3-0.5 s with TensorFlow loaded), fills the page's
``st.cache_resource`` entries and traces whatever TensorFlow function the page calls first.
`rehearse` opens a session on this server's own Streamlit runtime (the way its WebSocket
handler does: ``Runtime.connect_session`` with a client that keeps what it is sent), asks for
one run of the page at a query string, waits for ``script_finished`` and closes the session.
It must run on the server's event loop (the runtime's); `rehearse_from_thread` hands it there.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

TIMEOUT_S = 120.0


class RehearsalError(RuntimeError):
    """The page run failed, showed an exception, or did not finish in time."""


class _Collector:
    """A `streamlit.runtime.session_manager.SessionClient` that keeps what matters of a run:
    whether it finished and the exceptions the page showed."""

    client_context = None  # no browser, so no headers, cookies or address

    def __init__(self) -> None:
        self.finished = asyncio.Event()
        self.status: str | None = None
        self.exceptions: list[str] = []
        self.messages = 0

    def write_forward_msg(self, msg: Any) -> None:
        self.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "script_finished":
            self.status = msg.ScriptFinishedStatus.Name(msg.script_finished)
            self.finished.set()


def _rerun_message(query_string: str) -> Any:
    """The ``BackMsg.rerun_script`` a browser sends when it opens the page at ``query_string``."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query_string
    state.context_info.timezone = "UTC"
    state.context_info.locale = "en-US"
    state.context_info.color_scheme = "light"
    return msg


async def rehearse(query_string: str = "", timeout: float = TIMEOUT_S) -> int:
    """Run the page once in a session of its own at ``query_string`` (on the runtime's event
    loop); returns how many messages the run sent. Raises `RehearsalError` if the run did not
    finish successfully or showed an exception."""
    from streamlit.runtime import Runtime

    runtime = Runtime.instance()
    client = _Collector()
    session_id = runtime.connect_session(client=client, user_info={})
    try:
        runtime.handle_backmsg(session_id, _rerun_message(query_string))
        try:
            await asyncio.wait_for(client.finished.wait(), timeout)
        except TimeoutError:
            raise RehearsalError(f"the page at ?{query_string} did not finish in "
                                 f"{timeout:.0f} s") from None
    finally:
        runtime.close_session(session_id)
    if client.status != "FINISHED_SUCCESSFULLY":
        raise RehearsalError(f"the page at ?{query_string} ended with {client.status}")
    if client.exceptions:
        raise RehearsalError(f"the page at ?{query_string} showed {client.exceptions[0]}")
    return client.messages


def rehearse_from_thread(loop: asyncio.AbstractEventLoop, query_string: str = "",
                         timeout: float = TIMEOUT_S) -> int:
    """`rehearse` on ``loop`` (the server's), waited for from another thread."""
    future = asyncio.run_coroutine_threadsafe(rehearse(query_string, timeout), loop)
    try:
        return future.result(timeout + 5.0)
    except FutureTimeout:
        future.cancel()
        raise RehearsalError(f"the page at ?{query_string} did not finish in "
                             f"{timeout:.0f} s") from None
