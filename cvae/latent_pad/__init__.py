"""The live latent pad and the digit drawing canvas: Streamlit custom components.

Both use ``st.components.v2`` with plain HTML/CSS/JS read from ``assets/`` (no build step).

* The pad draws the view frame of a model (bounds, axis titles, class centres, a coarse
  class map of the test codes) and a draggable handle. While dragging it sends the trigger
  ``move`` = ``{x, y, seq}`` (the handle's position, led by its velocity times the round
  trip), one message in flight, latest position wins; Python answers with a new frame
  whose ``ack`` is that ``seq`` and whose ``atlas`` holds the decodes of a k x k grid
  around that position (`cvae.latent_pad.atlas`) as one tiled PNG: between frames the pad
  shows, beside the pointer, the decode of the grid point nearest to it. Releasing sends
  the state ``commit`` = ``{x, y, at}`` (the handle itself), which the page commits to its
  z1/z2 sliders.
* The drawing canvas sends the state ``drawing``: the canvas as a PNG data URL (or None).

When the components cannot be registered, or ``CVAE_DISABLE_PAD=1``, `pad` and `drawing`
return None and the page falls back to its sliders and the file uploader.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cvae import images
from cvae.explorer import ModelView
from cvae.latent_pad import atlas as grid

DISABLE_ENV = "CVAE_DISABLE_PAD"
ASSETS = Path(__file__).with_name("assets")
PAD = "cvae_latent_pad"
DRAW = "cvae_draw_digit"
MAP_CELLS = 40

_LOG = logging.getLogger(__name__)
_renderers: dict[str, Any] = {}  # component name -> mounting command, or None if it failed


def disabled() -> bool:
    """Whether the pad is switched off by the environment (``CVAE_DISABLE_PAD=1``)."""
    return os.environ.get(DISABLE_ENV, "").strip().lower() in ("1", "true", "yes")


def _compact(source: str) -> str:
    """Drop whole-line ``//`` comments and indentation: the code is re-sent with every
    frame of the drag loop."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not re.match(r"//", line))


def _register(name: str, stem: str) -> Any:
    from streamlit.components.v2 import component

    def read(ext: str) -> str:
        return (ASSETS / f"{stem}.{ext}").read_text(encoding="utf-8")

    return component(name, html=read("html"), css=read("css"), js=_compact(read("js")))


def _renderer(name: str, stem: str) -> Any:
    """The component's mounting command, registered once per process; None if unavailable."""
    if disabled():
        return None
    if name not in _renderers:
        try:
            _renderers[name] = _register(name, stem)
        except Exception as exc:  # any failure means: use the plain widgets instead
            _LOG.warning("custom component %s unavailable: %s", name, exc)
            _renderers[name] = None
    return _renderers[name]


def available() -> bool:
    """Whether the pad and the drawing canvas can be shown."""
    return _renderer(PAD, "pad") is not None and _renderer(DRAW, "draw") is not None


def class_map(view: ModelView, cells: int = MAP_CELLS) -> dict[str, Any]:
    """The majority class of the test codes in each cell of a ``cells x cells`` grid over
    the view bounds, as one character per cell (``"0"``-``"9"``, ``"."`` when empty), rows
    from the top (largest y) down."""
    (x0, x1), (y0, y1) = view.bounds
    col = np.clip(((view.coords[:, 0] - x0) / (x1 - x0) * cells).astype(int), 0, cells - 1)
    row = np.clip(((y1 - view.coords[:, 1]) / (y1 - y0) * cells).astype(int), 0, cells - 1)
    counts = np.zeros((cells * cells, 10), np.int64)
    np.add.at(counts, (row * cells + col, view.labels), 1)
    best = counts.argmax(axis=1)
    chars = np.where(counts.sum(axis=1) > 0, best.astype(str), ".")
    return {"cells": cells, "classes": "".join(chars),
            "bounds": [[float(x0), float(x1)], [float(y0), float(y1)]]}


def decode_atlas(view: ModelView, decode: Callable[[np.ndarray], np.ndarray], digit: int,
                 centre: tuple[float, float], k: int = grid.K,
                 spacing: float = grid.SPACING) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode the atlas around view point ``centre`` in one ``decode`` call (codes from
    ``view.latent_at``: off-view components at the class centre).

    Returns the decode at ``centre`` itself ``[28, 28]`` and the pad's ``atlas`` JSON:
    ``{centre, spacing, k, image}`` with the k x k decodes tiled row-major into one PNG
    data URL (28 x 28 pixels per cell).
    """
    probs = decode(view.latent_at(digit, grid.points(centre, k, spacing)))
    data = {"centre": [float(centre[0]), float(centre[1])], "spacing": float(spacing),
            "k": int(k), "image": png_data_url(images.grid_png(probs, k, k))}
    return probs[grid.centre_index(k)], data


def pad_data(view: ModelView, digit: int, point: tuple[float, float], *, frame: int,
             colours: list[str], background: dict[str, Any] | None = None,
             live: tuple[float, float] | None = None, ack: int | None = None,
             own: tuple[float, float] | None = None, own_colour: str = "#ff2bbd",
             atlas: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON the pad draws from: frame geometry, centres, committed/live points and,
    in a drag frame, the atlas around the live point (see `decode_atlas`).

    The frame is the model's plot bounds, widened (in steps of 0.5) to keep the committed
    point on the pad when the sliders put it outside them."""
    (x0, x1), (y0, y1) = view.bounds
    x0, x1 = min(x0, np.floor(point[0] * 2 - 1) / 2), max(x1, np.ceil(point[0] * 2 + 1) / 2)
    y0, y1 = min(y0, np.floor(point[1] * 2 - 1) / 2), max(y1, np.ceil(point[1] * 2 + 1) / 2)
    return {
        "frame": frame, "ack": ack,
        "bounds": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "titles": list(view.axis_titles),
        "centres": np.round(view.centre_coords, 3).tolist(),
        "colours": list(colours), "digit": int(digit),
        "point": [float(point[0]), float(point[1])],
        "live": None if live is None else [float(live[0]), float(live[1])],
        "own": None if own is None else [float(own[0]), float(own[1])],
        "own_colour": own_colour,
        "map": background,
        "atlas": atlas,
    }


def png_data_url(png: bytes) -> str:
    """PNG bytes as a ``data:`` URL, which ``st.image`` sends inline (no media request)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def read_point(value: Any) -> tuple[float, float] | None:
    """``(x, y)`` from a pad message (``{x, y, ...}``), or None if it is not one."""
    if not isinstance(value, dict):
        return None
    try:
        x, y = float(value["x"]), float(value["y"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return x, y


def read_move(value: Any) -> tuple[tuple[float, float], int] | None:
    """``((x, y), seq)`` from a pad ``move`` message, or None if it is not one."""
    point = read_point(value)
    seq = value.get("seq") if point is not None else None
    if point is None or not isinstance(seq, int) or isinstance(seq, bool):
        return None
    return point, seq


def pad(*, key: str, data: dict[str, Any], on_commit: Callable[[], None],
        on_move: Callable[[], None] | None = None) -> Any | None:
    """Mount the latent pad; None when it is unavailable. Read the latest move from
    ``st.session_state[key]["move"]`` and the committed point from ``[key]["commit"]``."""
    render = _renderer(PAD, "pad")
    if render is None:
        return None
    return render(key=key, data=data, on_commit_change=on_commit,
                  on_move_change=on_move or (lambda: None), width="stretch")


def drawing(*, key: str, current: str | None, on_change: Callable[[], None]) -> Any | None:
    """Mount the drawing canvas; None when it is unavailable. The drawing (a PNG data URL,
    or None after Clear) is ``st.session_state[key]["drawing"]``."""
    render = _renderer(DRAW, "draw")
    if render is None:
        return None
    return render(key=key, data={"drawing": current}, on_drawing_change=on_change,
                  width="content")
