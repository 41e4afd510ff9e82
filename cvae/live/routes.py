"""Starlette routes the app serves beside Streamlit's own (through ``st.App``).

* ``GET {base}/cvae/points/{model}``: the model's test-digit points (`cvae.live.points`),
  with an ETag and a long ``Cache-Control`` (the page asks for it with ``?v=<version>``);
  ``&plane=<key>`` asks for them in another map plane (`cvae.plane`; a bad one is a 400).
* ``GET {base}/cvae/static/{file}``: the latent map's JavaScript modules (ETag).
* ``WS {base}/cvae/live``: the live decode channel (`cvae.live.protocol`): every request
  is checked, rate-limited per connection and answered with the decode at its own point;
  requests queued while a decode runs collapse to the newest (latest wins). Who may connect
  and how much each client address may decode: `cvae.live.guard` (Origin, sockets per
  address, a fair decode budget per address). Decodes run on
  the process-wide model registry (`cvae.serving.registry`), never on the event loop: a
  loaded model's batching core is handed the request and its future awaited (no thread
  hop); a model still to load is decoded in a worker thread. A bad request gets an error
  frame; the connection stays open.
* ``GET {base}/cvae/ready``: readiness (`cvae.serving.warmup`): 200 once the offered models
  and their default pictures are warm, 503 with what is still warming before that.

Streamlit does not prefix user routes with ``server.baseUrlPath``; `live_routes` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cvae.live import guard, points, protocol
from cvae.live.digits import digit_route
from cvae.live.regions import regions_route
from cvae.plane import DEFAULT as DEFAULT_PLANE
from cvae.plane import PlaneError

Decoder = Callable[[protocol.DecodeRequest], Any]  # -> [28, 28] probabilities
# -> a future of the [1, 28, 28] decode, or None when it cannot be had without blocking
Submitter = Callable[[protocol.DecodeRequest], "Future | None"]
Readiness = Callable[[], tuple[bool, dict[str, Any]]]  # -> (ready, what to say)

POINTS_CACHE = "public, max-age=31536000, immutable"
_LOG = logging.getLogger(__name__)


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as a URL prefix ("" or "/demo")."""
    from streamlit import config
    from streamlit.url_util import make_url_path

    return make_url_path(config.get_option("server.baseUrlPath") or "", "").rstrip("/")


def _decode_input(core: Any, view: Any, request: protocol.DecodeRequest) -> tuple[Any, Any]:
    """What to decode for ``request``: the page's own (`ModelView.decoder_input`) in the
    request's plane."""
    return view.in_plane(request.plane).decoder_input(
        request.digit, (request.x, request.y), core.label_to_decoder)


def registry_decode(request: protocol.DecodeRequest) -> Any:
    """Decode ``request`` with the shared model core (loading the model if needed)."""
    from cvae.serving import registry

    core, view = registry.core(request.model), registry.view(request.model)
    return core.decode(*_decode_input(core, view, request))[0]


def registry_submit(request: protocol.DecodeRequest) -> Future | None:
    """`registry_decode` as a future of the loaded model's batching core (cheap, fine on
    the event loop); None while the model is not loaded or its core does not batch."""
    from cvae.serving import registry

    loaded = registry.loaded(request.model)
    if loaded is None or not hasattr(loaded[0], "submit_decode"):
        return None
    core, view = loaded
    return core.submit_decode(*_decode_input(core, view, request))


def _allowed_models() -> frozenset[str]:
    from cvae import catalog

    return frozenset(catalog.bundle_names())


def points_endpoint(files: points.PointsFiles, models: Callable[[], frozenset[str]]
                    ) -> Callable[[Request], Awaitable[Response]]:
    """The GET handler serving each model's points file (built once per model and plane)."""
    async def endpoint(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in models():
            return Response("unknown model", status_code=404, media_type="text/plain")
        plane = request.query_params.get("plane", DEFAULT_PLANE)
        try:
            found = files.cached(name, plane)
            data, tag = found if found else await anyio.to_thread.run_sync(
                files.get, name, plane)
        except PlaneError as exc:
            return Response(f"bad points request: plane={plane[:20]!r}: {exc}",
                            status_code=400, media_type="text/plain")
        headers = {"ETag": tag, "Cache-Control": POINTS_CACHE}
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type="application/octet-stream", headers=headers)

    return endpoint


def live_endpoint(decode: Decoder, models: Callable[[], frozenset[str]],
                  limiter: Callable[[], protocol.RateLimiter] = protocol.RateLimiter,
                  submit: Submitter | None = None,
                  clients: guard.ClientLimits | None = None,
                  origin_check: Callable[[str | None, str | None], Awaitable[bool]] | None = None,
                  ) -> Callable[[WebSocket], Awaitable[None]]:
    """The WebSocket handler of the live decode channel (one per connection). ``submit``,
    when given and it answers, replaces the worker thread running ``decode``. ``clients``
    (default: from the environment) caps sockets and shares decodes per client address;
    ``origin_check`` (default: Streamlit's rule) refuses foreign pages."""
    clients = clients if clients is not None else guard.ClientLimits()
    origin_check = origin_check if origin_check is not None else guard.OriginCheck()

    async def decoded(request: protocol.DecodeRequest) -> Any:
        future = submit(request) if submit is not None else None
        if future is not None:
            return (await asyncio.wrap_future(future))[0]
        return await anyio.to_thread.run_sync(decode, request)

    async def refuse(ws: WebSocket, why: tuple[int, str]) -> None:
        await ws.accept()  # then close: a client reads the code and reason (not so a 403)
        await ws.close(code=why[0], reason=why[1])

    async def endpoint(ws: WebSocket) -> None:
        if not await origin_check(ws.headers.get("origin"), ws.headers.get("host")):
            return await refuse(ws, guard.ORIGIN_REFUSED)
        peer = ws.client.host if ws.client else None
        client = clients.open(clients.address(peer, ws.headers))
        if client is None:
            return await refuse(ws, guard.TOO_MANY_SOCKETS)
        try:
            await ws.accept()
            await serve(ws, client)
        finally:
            clients.close(client)

    async def serve(ws: WebSocket, client: guard.Client) -> None:
        allowed, rate = models(), limiter()
        state: dict[str, Any] = {"pending": None, "wake": anyio.Event()}

        async def worker() -> None:
            while True:
                await state["wake"].wait()
                state["wake"] = anyio.Event()
                if state["pending"] is None:
                    continue
                async with client.turn():  # newer requests keep replacing the pending one
                    request, state["pending"] = state["pending"], None
                    try:
                        probs = await decoded(request)
                        frame = protocol.encode_digit(request.seq, request.x, request.y, probs)
                    except Exception as exc:  # answered; the channel lives on
                        why = (f"no plane {request.plane} here: {exc}"
                               if isinstance(exc, PlaneError) else "decode failed")
                        await ws.send_text(protocol.error_frame(why, request.seq))
                        continue
                await ws.send_bytes(frame)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(worker)
            try:
                while True:
                    await client.intake()  # over the address's budget: read more slowly
                    message = await ws.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    raw = message.get("text")
                    raw = raw if raw is not None else message.get("bytes")
                    if not rate.allow():
                        await ws.send_text(protocol.error_frame("too many requests"))
                        continue
                    try:
                        request = protocol.parse_request(raw, allowed)
                    except protocol.ProtocolError as exc:
                        await ws.send_text(protocol.error_frame(str(exc), exc.seq))
                        continue
                    state["pending"] = request  # latest wins
                    state["wake"].set()
            except WebSocketDisconnect:
                pass
            finally:
                tasks.cancel_scope.cancel()

    return endpoint


def ready_endpoint(readiness: Readiness) -> Callable[[Request], Awaitable[Response]]:
    """The GET handler of the readiness probe: 200 when ready, else 503; a small JSON body
    either way (never cached)."""
    async def endpoint(request: Request) -> Response:
        ready, body = readiness()
        return JSONResponse(body, status_code=200 if ready else 503,
                            headers={"Cache-Control": "no-store"})

    return endpoint


def _warmup_readiness() -> tuple[bool, dict[str, Any]]:
    """The warm-up's readiness, with ``traces``: each loaded model's trace count."""
    from cvae.serving import registry, warmup

    ready, body = warmup.WARMUP.readiness()
    return ready, {**body, "traces": registry.trace_counts()}


def static_endpoint() -> Callable[[Request], Awaitable[Response]]:
    """The GET handler for the latent map's JavaScript modules (a fixed list of files),
    revalidated by ETag."""
    from cvae.latent_map import ASSETS, STATIC_FILES

    files = {name: (ASSETS / name).read_bytes() for name in STATIC_FILES}
    tags = {name: points.etag(data) for name, data in files.items()}

    async def endpoint(request: Request) -> Response:
        name = request.path_params["file"]
        if name not in files:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = {"ETag": tags[name], "Cache-Control": "no-cache"}
        if tags[name] in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(files[name], media_type="text/javascript", headers=headers)

    return endpoint


def live_routes(base: str | None = None, decode: Decoder = registry_decode,
                source: points.PointsSource = points.registry_points,
                models: Callable[[], frozenset[str]] = _allowed_models,
                submit: Submitter | None = registry_submit,
                readiness: Readiness = _warmup_readiness,
                clients: guard.ClientLimits | None = None,
                origin_check: Callable[[str | None, str | None], Awaitable[bool]] | None = None,
                ) -> list[BaseRoute]:
    """The points, live-decode, readiness, regions and digit-picture routes under ``base``
    (default: Streamlit's ``server.baseUrlPath``)."""
    base = base_path() if base is None else base.rstrip("/")
    files = (points.REGISTRY_POINTS if source is points.registry_points
             else points.PointsFiles(source))
    live = live_endpoint(decode, models, submit=submit, clients=clients,
                         origin_check=origin_check)
    return [Route(f"{base}/cvae/points/{{model}}", points_endpoint(files, models),
                  methods=["GET"]),
            WebSocketRoute(f"{base}/cvae/live", live),
            Route(f"{base}/cvae/static/{{file}}", static_endpoint(), methods=["GET"]),
            Route(f"{base}/cvae/ready", ready_endpoint(readiness), methods=["GET"]),
            regions_route(base, models=models), digit_route(base)]
