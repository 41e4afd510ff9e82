"""``GET {base}/cvae/digit/{index}``: one test digit's picture for the map's hover preview.

The answer is the 784 grey levels (uint8, row-major 28 x 28) of test digit ``index`` of the
shipped test split (`cvae.data.load_test_split`), the split the map's points are in.
The split never changes, so the answer is cached for good (``immutable``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CACHE = "public, max-age=31536000, immutable"

ImagesSource = Callable[[], np.ndarray]


@lru_cache(maxsize=1)
def shipped_images() -> np.ndarray:
    """The shipped test split's images ``[N, 28, 28]`` uint8 (loaded once)."""
    from cvae.data import load_test_split

    return load_test_split().images


def digit_endpoint(images: ImagesSource = shipped_images,
                   ) -> Callable[[Request], Awaitable[Response]]:
    """The GET handler: checks the index and answers the digit's 784 bytes."""

    async def endpoint(request: Request) -> Response:
        raw = request.path_params["index"]
        pictures = images()
        if not raw.isascii() or not raw.isdigit() or int(raw) >= len(pictures):
            return Response(f"bad digit request: the index must be a whole number from 0 to "
                            f"{len(pictures) - 1}, got {raw[:20]!r}", status_code=400,
                            media_type="text/plain")
        data = np.ascontiguousarray(pictures[int(raw)], np.uint8).tobytes()
        return Response(data, media_type="application/octet-stream",
                        headers={"Cache-Control": CACHE})

    return endpoint


def digit_route(base: str, images: ImagesSource = shipped_images) -> Route:
    """The digit route under ``base`` (Streamlit's ``server.baseUrlPath`` prefix)."""
    return Route(f"{base}/cvae/digit/{{index}}", digit_endpoint(images), methods=["GET"])
