"""A minimal Streamlit browser stand-in speaking the app's own WebSocket protocol.

The browser talks to ``/_stcore/stream`` in binary protobuf frames: it sends ``BackMsg``
(``rerun_script`` carrying a ``ClientState``: query string, every widget's value, the page
hash, the fragment to rerun, and the hashes of the cacheable messages it already holds) and
receives ``ForwardMsg`` (``new_session``, ``delta`` elements, ``page_info_changed``,
``ref_hash`` stand-ins for messages it cached, and ``script_finished`` ending each run).
`StSession` keeps the same state a browser keeps so a load generator can act like one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
DONE = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGET_KINDS = ("slider", "radio", "selectbox")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CACHE_LIMIT = 512  # cached messages kept per session (the browser keeps more; enough here)


class ProtocolFailure(RuntimeError):
    """The server answered something a browser would treat as broken (or nothing)."""


def check_loopback(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` points at this machine."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ValueError(f"refusing non-loopback target {host!r}: this tool only loads localhost")


def stream_url(base_url: str) -> str:
    """The WebSocket address of the Streamlit stream for an ``http://host:port`` base."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/")
    return f"{scheme}://{parts.netloc}{path}/_stcore/stream"


@dataclass
class Widget:
    """One widget as the browser tracks it: its id, kind, value and owning fragment."""

    id: str
    kind: str
    value: Any
    fragment_id: str = ""
    options: list[str] = field(default_factory=list)
    bounds: tuple[float, float] = (0.0, 0.0)

    @property
    def key(self) -> str:
        """The user key (widget ids made with ``key=`` end in ``-<key>``)."""
        return self.id.rsplit("-", 1)[-1]

    def state(self) -> WidgetState:
        """This widget's entry in ``ClientState.widget_states``."""
        ws = WidgetState(id=self.id)
        if self.kind == "slider":
            ws.double_array_value.data.extend(float(v) for v in self.value)
        else:
            ws.string_value = str(self.value)
        return ws


def widget_from_element(element: Any, fragment_id: str) -> Widget | None:
    """A `Widget` from a ``new_element`` proto (``None`` for elements that are not tracked)."""
    kind = element.WhichOneof("type")
    if kind not in WIDGET_KINDS:
        return None
    proto = getattr(element, kind)
    if kind == "slider":
        value = list(proto.value) if proto.set_value else list(proto.default)
        return Widget(proto.id, kind, value, fragment_id, bounds=(proto.min, proto.max))
    options = list(proto.options)
    if proto.set_value and proto.HasField("raw_value"):
        value = proto.raw_value
    elif proto.HasField("default") and 0 <= proto.default < len(options):
        value = options[proto.default]
    else:
        value = ""
    return Widget(proto.id, kind, value, fragment_id, options)


def rerun_message(query_string: str, widgets: list[Widget], page_script_hash: str,
                  cached_hashes: list[str], fragment_id: str = "") -> bytes:
    """A serialized ``BackMsg.rerun_script`` as the browser sends it."""
    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = query_string
    cs.page_script_hash = page_script_hash
    cs.widget_states.widgets.extend(w.state() for w in widgets)
    cs.cached_message_hashes.extend(cached_hashes)
    if fragment_id:
        cs.fragment_id = fragment_id
    cs.context_info.timezone = "UTC"
    cs.context_info.timezone_offset = 0
    cs.context_info.locale = "en-US"
    cs.context_info.is_embedded = False
    cs.context_info.color_scheme = "light"
    return msg.SerializeToString()


@dataclass
class RunResult:
    """What one script run sent back: elements by kind, captions, texts, bytes, status."""

    status: int = -1
    nbytes: int = 0
    messages: int = 0
    captions: list[str] = field(default_factory=list)
    widgets: dict[str, Widget] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # custom components' JSON data
    texts: list[str] = field(default_factory=list)  # Markdown bodies (text, captions)


class StSession:
    """One simulated browser tab on a Streamlit app (``async with`` to connect/close)."""

    def __init__(self, base_url: str, query_string: str = "",
                 headers: dict[str, str] | None = None) -> None:
        check_loopback(base_url)
        self.url = stream_url(base_url)
        self.query_string = query_string
        self.headers = headers or {}  # e.g. a route cookie for nginx
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.cache: dict[str, ForwardMsg] = {}
        self.ws: Any = None

    async def __aenter__(self) -> StSession:
        import websockets

        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"],
                                           max_size=None, open_timeout=30,
                                           ping_interval=None, compression=None,
                                           additional_headers=self.headers)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            await self.ws.close()

    def widget(self, key: str) -> Widget:
        """The tracked widget created with ``key=key``."""
        for w in self.widgets.values():
            if w.key == key:
                return w
        raise KeyError(key)

    def _remember(self, msg: ForwardMsg) -> None:
        if msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
            if len(self.cache) > CACHE_LIMIT:
                self.cache.pop(next(iter(self.cache)))

    async def run(self, fragment_id: str = "", timeout: float = 120.0) -> RunResult:
        """Send a rerun with the current state and read until the run finishes."""
        await self.ws.send(rerun_message(self.query_string, list(self.widgets.values()),
                                         self.page_script_hash, list(self.cache),
                                         fragment_id))
        return await self.read_run(timeout)

    async def read_run(self, timeout: float = 120.0) -> RunResult:
        """Read ForwardMsgs until a ``script_finished`` that ends a run successfully."""
        result = RunResult()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolFailure("no script_finished before the timeout")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            result.nbytes += len(raw)
            result.messages += 1
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                cached = self.cache.get(msg.ref_hash)
                if cached is None:
                    raise ProtocolFailure(f"ref_hash {msg.ref_hash} not in the client cache")
                delta_fragment = msg.delta.fragment_id if msg.HasField("delta") else ""
                msg, kind = cached, cached.WhichOneof("type")
                if delta_fragment and not msg.delta.fragment_id:
                    msg.delta.fragment_id = delta_fragment
            else:
                self._remember(msg)
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, msg.delta.fragment_id, result)
            elif kind == "script_finished":
                status = msg.script_finished
                if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolFailure("script finished with a compile error")
                if status in DONE:
                    result.status = status
                    return result

    def _element(self, element: Any, fragment_id: str, result: RunResult) -> None:
        kind = element.WhichOneof("type")
        if kind == "imgs":
            result.captions.extend(img.caption for img in element.imgs.imgs if img.caption)
        elif kind == "exception":
            result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "bidi_component" and element.bidi_component.WhichOneof("data") == "json":
            result.components.append(element.bidi_component.json)
        elif kind == "markdown":
            result.texts.append(element.markdown.body)
        widget = widget_from_element(element, fragment_id)
        if widget is None:
            return
        known = self.widgets.get(widget.id)
        if known is not None:
            set_value = getattr(element, kind).set_value
            if not set_value:  # the browser keeps its own value unless the server sets one
                widget.value = known.value
            if not fragment_id:
                widget.fragment_id = known.fragment_id if known.fragment_id else ""
        self.widgets[widget.id] = widget
        result.widgets[widget.key] = widget
