"""``GET {base}/cvae/regions/{model}?digit=&x0=&x1=&y0=&y1=&n=[&plane=]``: decoder regions.

What the decoder draws over a view region as the judge reads it
(`cvae.model_service.ModelService.regions`), as a small binary the map's regions layer
draws (``n = 64``: 8,226 bytes), little-endian:

====== ===================== ====================================================
bytes  field                 meaning
====== ===================== ====================================================
4      ``b"CVRG"``           magic
1      uint8 version         `VERSION`
1      uint8 n               cells per side
1      uint8 digit           the class (off-view components at its centre)
1      uint8                 reserved (0)
16     float32 x0 x1 y0 y1   the region, in view coordinates
n*n    uint8 labels          the judged digit of each cell, row-major, top row first
n*n    uint8 confidence      round(255 * the judge's probability of that digit)
====== ===================== ====================================================

Query values are checked: an unknown model is a 404; a missing or malformed value, an
empty region or a region (or ``n``) out of range, or a map plane (``plane``, `cvae.plane`;
the default plane without it) the model does not have is a 400 that says which and why. Bounds
are rounded to `ROUND` decimals (so nearby requests share a cached lattice) and must lie in
±`REGION_LIMIT`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cvae import plane as planes
from cvae.explorer import SLIDER_LIMIT

MAGIC, VERSION = b"CVRG", 1
HEADER = struct.Struct("<4sBBBB4f")
N_RANGE = (8, 64)   # cells per side a request may ask for
DEFAULT_N = 48
REGION_LIMIT = 2 * SLIDER_LIMIT  # a zoomed-out view may show beyond the slider range
MIN_SPAN = 0.05     # the smallest region side (view units)
ROUND = 3
CACHE = "public, max-age=3600"  # the map may add ?v=<weights version> to outlive it

# (model, digit, (x0, x1), (y0, y1), n, plane)
#   -> (labels [n*n] uint8, confidence [n*n] in [0, 1]), or PlaneError
LatticeSource = Callable[[str, int, tuple[float, float], tuple[float, float], int, str],
                         tuple[np.ndarray, np.ndarray]]


class RegionQueryError(ValueError):
    """A regions request that cannot be answered (the message says why)."""


@dataclass(frozen=True)
class RegionQuery:
    digit: int
    x: tuple[float, float]
    y: tuple[float, float]
    n: int
    plane: str = planes.DEFAULT


def _number(params: Any, name: str) -> float:
    raw = params.get(name)
    if raw is None:
        raise RegionQueryError(f"{name} is missing")
    try:
        value = float(raw)
    except ValueError:
        raise RegionQueryError(f"{name} must be a number, got {raw[:20]!r}") from None
    if not math.isfinite(value):
        raise RegionQueryError(f"{name} must be finite")
    if abs(value) > REGION_LIMIT:
        raise RegionQueryError(f"{name} must lie within ±{REGION_LIMIT:g}")
    return round(value, ROUND)


def parse_query(params: Any) -> RegionQuery:
    """The checked request of query ``params`` (a mapping of strings), or
    `RegionQueryError`."""
    raw_digit = params.get("digit")
    if raw_digit is None or raw_digit not in {str(d) for d in range(10)}:
        raise RegionQueryError("digit must be one of 0-9")
    x0, x1, y0, y1 = (_number(params, k) for k in ("x0", "x1", "y0", "y1"))
    if x1 - x0 < MIN_SPAN or y1 - y0 < MIN_SPAN:
        raise RegionQueryError(f"the region must have x0 < x1 and y0 < y1, each side at "
                               f"least {MIN_SPAN:g}")
    raw_n = params.get("n")
    if raw_n is None:
        n = DEFAULT_N
    elif not raw_n.isdigit() or not N_RANGE[0] <= int(raw_n) <= N_RANGE[1]:
        raise RegionQueryError(f"n must be a whole number from {N_RANGE[0]} to {N_RANGE[1]}")
    else:
        n = int(raw_n)
    plane = params.get("plane", planes.DEFAULT)
    try:
        planes.check_syntax(plane)
    except planes.PlaneError as exc:
        raise RegionQueryError(str(exc)) from None
    return RegionQuery(int(raw_digit), (x0, x1), (y0, y1), n, plane)


def encode_regions(query: RegionQuery, labels: np.ndarray, confidence: np.ndarray) -> bytes:
    """The wire layout (module docstring) of a judged lattice."""
    cells = query.n * query.n
    labels = np.asarray(labels, np.uint8).reshape(cells)
    level = np.round(np.clip(np.asarray(confidence, np.float64), 0, 1) * 255).astype(np.uint8)
    head = HEADER.pack(MAGIC, VERSION, query.n, query.digit, 0, *query.x, *query.y)
    return head + labels.tobytes() + level.reshape(cells).tobytes()


def decode_regions(data: bytes) -> tuple[RegionQuery, np.ndarray, np.ndarray]:
    """The request, labels ``[n, n]`` and confidence ``[n, n]`` (0-1) of a regions binary."""
    magic, version, n, digit, _, x0, x1, y0, y1 = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or len(data) != HEADER.size + 2 * n * n:
        raise ValueError("not a regions binary of this version")
    body = np.frombuffer(data, np.uint8, offset=HEADER.size)
    return (RegionQuery(digit, (x0, x1), (y0, y1), n), body[: n * n].reshape(n, n),
            body[n * n:].reshape(n, n) / 255.0)


def registry_lattice(model: str, digit: int, x: tuple[float, float],
                     y: tuple[float, float], n: int, plane: str = planes.DEFAULT,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The judged lattice from the model's shared service in ``plane`` (cached there)."""
    from cvae.serving import registry

    regions = registry.service(model).in_plane(plane).regions(digit, x, y, n)
    return regions.labels, regions.confidence


def _allowed_models() -> frozenset[str]:
    from cvae import catalog

    return frozenset(catalog.bundle_names())


def regions_endpoint(source: LatticeSource = registry_lattice,
                     models: Callable[[], frozenset[str]] = _allowed_models,
                     ) -> Callable[[Request], Awaitable[Response]]:
    """The GET handler: checks the request, computes (in a worker thread) or reuses the
    lattice and answers the binary. One lattice is computed at a time per process (a new
    one costs 0.3-1.2 s of CPU), so a burst of regions requests queues instead of
    taking every core from the live decodes."""
    one_at_a_time = anyio.CapacityLimiter(1)

    async def endpoint(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in models():
            return Response("unknown model", status_code=404, media_type="text/plain")
        try:
            query = parse_query(request.query_params)
        except RegionQueryError as exc:
            return Response(f"bad regions request: {exc}", status_code=400,
                            media_type="text/plain")
        try:
            labels, confidence = await anyio.to_thread.run_sync(
                source, name, query.digit, query.x, query.y, query.n, query.plane,
                limiter=one_at_a_time)
        except planes.PlaneError as exc:
            return Response(f"bad regions request: plane={query.plane}: {exc}",
                            status_code=400, media_type="text/plain")
        return Response(encode_regions(query, labels, confidence),
                        media_type="application/octet-stream", headers={"Cache-Control": CACHE})

    return endpoint


def regions_route(base: str, source: LatticeSource = registry_lattice,
                  models: Callable[[], frozenset[str]] = _allowed_models) -> Route:
    """The regions route under ``base`` (Streamlit's ``server.baseUrlPath`` prefix)."""
    return Route(f"{base}/cvae/regions/{{model}}", regions_endpoint(source, models),
                 methods=["GET"])
