"""The latent map and the digit drawing canvas: Streamlit custom components (``st.components.v2``).

* The map draws the test digits' 2-D codes (fetched once per model from the points route,
  `cvae.live.routes`), class means, the picked and your own digit, the current point and
  the decoded digit. Dragging it asks the live channel (``cvae/live``) for exact decodes;
  releasing sends the state ``commit`` = ``{x, y, at}``; a click on a test digit sends the
  trigger ``pick`` = ``{index}``; `show` turns both into a checked `MapEvent`. Its
  JavaScript modules are files under ``assets/``, served by the same routes
  (``cvae/static/<file>``) and loaded by a small inline loader, so a rerun sends only the
  view state (`map_data`), never the code.
* The drawing canvas sends the state ``drawing``: the canvas as a PNG data URL (or None).

When the components cannot be registered, or ``CVAE_NO_COMPONENTS=1``, `latent_map` and
`drawing` return None and the page falls back to sliders, a Plotly scatter and the uploader.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cvae import plane as planes
from cvae import settings
from cvae.explorer import ModelView
from cvae.figures import CLASS_COLOURS, OWN_COLOUR
from cvae.images import to_uint8
from cvae.palette import TEXT_ON_CLASS

ASSETS = Path(__file__).with_name("assets")
STATIC_FILES = ("main.js", "geometry.js", "render.js", "transport.js", "zoom.js", "state.js",
                "input.js", "hover.js", "layers.js")
MAP_COMPONENT = "cvae_latent_map"    # the components' registered names (widget keys are
DRAW_COMPONENT = "cvae_draw_digit"   # the page's: `cvae.page_state`)
POINTS_PATH = "cvae/points"   # relative to the page: resolved against document.baseURI
LIVE_PATH = "cvae/live"
STATIC_PATH = "cvae/static"
REGIONS_PATH = "cvae/regions"

_LOG = logging.getLogger(__name__)
_renderers: dict[str, Any] = {}


def disabled() -> bool:
    """Whether the components are switched off by the environment (``CVAE_NO_COMPONENTS=1``)."""
    return settings.switch(settings.NO_COMPONENTS, False)


def asset_version() -> str:
    """8 hex digits of the map's JavaScript files: a new version is fetched afresh."""
    digest = hashlib.sha256()
    for name in STATIC_FILES:
        digest.update((ASSETS / name).read_bytes())
    return digest.hexdigest()[:8]


def main_module() -> str:
    """``main.js``'s address relative to the page, versioned by `asset_version`."""
    return f"{STATIC_PATH}/main.js?v={asset_version()}"


# A static import at the start of a line: `import {...} from "./x.js"` or `import "./x.js"`.
_STATIC_IMPORT = re.compile(r"""^import\s+(?:[^"';]*?\s+from\s+)?["']\./([\w.-]+\.js)["']""",
                            re.M)


def first_paint_modules() -> list[str]:
    """The map's modules its first paint waits for, as the page addresses them: `main_module`
    and every module it imports statically (read from ``main.js``; its lazy imports are
    not). The page's HTML preloads them, so they download beside Streamlit's own bundle
    instead of one round trip after another once the map mounts."""
    imports = _STATIC_IMPORT.findall((ASSETS / "main.js").read_text(encoding="utf-8"))
    return [main_module(), *(f"{STATIC_PATH}/{name}" for name in dict.fromkeys(imports))]


def loader_js() -> str:
    """The inline module Streamlit mounts: it imports ``main.js`` from the static route
    (the browser caches it) and hands it each mount."""
    return (f'const ready = import(new URL("{main_module()}", document.baseURI).href);\n'
            "export default function (component) {\n"
            "  let cleanup = null, gone = false;\n"
            "  ready.then((m) => { if (!gone) cleanup = m.default(component); })\n"
            "    .catch((e) => { component.parentElement.textContent = "
            "'The latent map could not load: ' + e.message; });\n"
            "  return () => { gone = true; if (cleanup) cleanup(); };\n"
            "}\n")


# `reserve_css` reaches the browser through st.html, whose code is a chunk of its own that
# can land after the map's container is drawn; until then this space (drawn by Streamlit's
# main bundle) keeps what follows the map below a phone's or a laptop's first screen, so
# that when the CSS or the map arrive nothing visible moves.
EARLY_SPACE_PX = 600


def box_key(key: str) -> str:
    """The key of the container `show` puts the map with key ``key`` in."""
    return f"{key}_box"


def reserve_css(key: str) -> str:
    """Page CSS that holds the place of the map with key ``key`` (its container, which the
    page draws at once, while the component's own element appears only once its code has
    loaded) at the height the map will have (map.css: a square plot of min(560 px, width)
    with a 28 px toggle row (24 px touch targets) and a 25 px tools row; the 298 px
    decoded-digit box beside it when the column has room for both, else below it), so
    nothing below the map moves when it appears."""
    box = box_key(key)
    return ('[data-testid="stMainBlockContainer"] {container-type: inline-size;}\n'
            f'.st-key-{box} > :has([data-testid="stSpace"]) {{display: none;}}\n'
            f".st-key-{box} {{min-height: calc(min(560px, 100cqw) + 53px + 16px + 298px);}}\n"
            "@container (min-width: 576px) {"
            f" .st-key-{box} {{min-height: calc(min(560px, 100cqw - 256px) + 53px);}} }}\n")


def compact(text: str) -> str:
    """CSS or HTML without comments and runs of whitespace: Streamlit sends a component's
    html and css with every rerun of its fragment (each slider press), so they stay small."""
    text = re.sub(r"/\*.*?\*/|<!--.*?-->", "", text, flags=re.S)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", text)).strip()


def _register(name: str) -> Any:
    from streamlit.components.v2 import component

    def read(file: str) -> str:
        text = (ASSETS / file).read_text(encoding="utf-8")
        if file.endswith(".css"):  # no spaces around CSS punctuation, one rule a line
            # (Streamlit takes a one-line css string with "[" in it for a file path)
            css = re.sub(r"\s*([{};,>])\s*|(:)\s+", r"\1\2", compact(text))
            return css.replace("}", "}\n")
        return compact(text) if file.endswith(".html") else text

    if name == MAP_COMPONENT:
        return component(name, html=read("map.html"), css=read("map.css"), js=loader_js())
    return component(name, html=read("digit_canvas.html"), css=read("digit_canvas.css"),
                     js=read("digit_canvas.js"))


def _renderer(name: str) -> Any:
    """The component's mounting command, registered once per process; None if unavailable."""
    if disabled():
        return None
    if name not in _renderers:
        try:
            _renderers[name] = _register(name)
        except Exception as exc:  # any failure means: use the plain widgets instead
            _LOG.warning("custom component %s unavailable: %s", name, exc)
            _renderers[name] = None
    return _renderers[name]


def available() -> bool:
    """Whether the map and the drawing canvas can be shown."""
    return _renderer(MAP_COMPONENT) is not None and _renderer(DRAW_COMPONENT) is not None


def _xy(point: tuple[float, float] | None) -> list[float] | None:
    return None if point is None else [float(point[0]), float(point[1])]


def map_data(view: ModelView, digit: int, point: tuple[float, float], *, version: str,
             probs: np.ndarray, picked: tuple[float, float] | None = None,
             own: tuple[float, float] | None = None,
             reading: tuple[int, float] | None = None,
             ellipses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The small view state the map draws from (no per-point data: the points come from
    ``POINTS_PATH/<model>?v=<version>`` once per model). ``probs`` is the decode at
    ``point``, sent as 784 base64 grey levels; ``reading`` is what the judge reads in it
    (digit, probability), for the map's screen-reader status. ``ellipses`` (the prior and posterior
    ellipses of `cvae.model_service.ModelService.ellipses`, a few hundred bytes) and
    ``regions`` (the decoder-regions route, `cvae.live.regions`, to be asked with
    ``&digit=&x0=&x1=&y0=&y1=&n=`` appended) are for the map's ellipse and regions layers.
    Outside the default plane, ``plane`` names the view's plane (`cvae.plane`), as do the
    points and regions URLs, and the map sends it with each live decode request
    (`cvae.live.protocol`)."""
    grey = to_uint8(probs)
    (x0, x1), (y0, y1) = view.bounds
    x0, x1 = min(x0, np.floor(point[0] * 2 - 1) / 2), max(x1, np.ceil(point[0] * 2 + 1) / 2)
    y0, y1 = min(y0, np.floor(point[1] * 2 - 1) / 2), max(y1, np.ceil(point[1] * 2 + 1) / 2)
    in_plane = "" if view.plane == planes.DEFAULT else f"&plane={view.plane}"
    return {
        "model": view.name, "digit": int(digit),
        "points": f"{POINTS_PATH}/{view.name}?v={version}{in_plane}", "live": LIVE_PATH,
        "bounds": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "titles": list(view.axis_titles),
        "centres": np.round(view.centre_coords, 3).tolist(),
        "colours": list(CLASS_COLOURS[:10]), "text_colours": list(TEXT_ON_CLASS),
        "reading": None if reading is None else [int(reading[0]), round(float(reading[1]), 3)],
        "point": _xy(point), "picked": _xy(picked),
        "own": _xy(own), "own_colour": OWN_COLOUR,
        "image": base64.b64encode(grey.tobytes()).decode("ascii"),
        "ellipses": list(ellipses or []),
        "regions": f"{REGIONS_PATH}/{view.name}?v={version}{in_plane}",
        **({"plane": view.plane} if in_plane else {}),  # the default plane adds no bytes
    }


def read_point(value: Any) -> tuple[float, float] | None:
    """``(x, y)`` from a map message (``{x, y, ...}``), or None if it is not one."""
    if not isinstance(value, dict):
        return None
    try:
        x, y = float(value["x"]), float(value["y"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return x, y


def read_pick(value: Any, count: int) -> int | None:
    """The test-digit index of a ``pick`` message (``{index}``), or None if it is not one."""
    index = value.get("index") if isinstance(value, dict) else None
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        return None
    return index


@dataclass(frozen=True)
class MapEvent:
    """What the user did on the map: released the point at ``point`` (``kind="commit"``)
    or clicked test digit ``index`` (``kind="pick"``)."""

    kind: str
    point: tuple[float, float] | None = None
    index: int | None = None


def read_event(value: Any, field: str, count: int) -> MapEvent | None:
    """The event in the map's state ``value`` (its ``commit`` or ``pick`` ``field``), or
    None when the browser sent something else."""
    value = value.get(field) if isinstance(value, dict) else None
    if field == "commit":
        point = read_point(value)
        return None if point is None else MapEvent("commit", point=point)
    index = read_pick(value, count)
    return None if index is None else MapEvent("pick", index=index)


def show(*, key: str, view: ModelView, digit: int, point: tuple[float, float],
         probs: np.ndarray, version: str, on_event: Callable[[MapEvent], None],
         picked: tuple[float, float] | None = None,
         own: tuple[float, float] | None = None,
         reading: tuple[int, float] | None = None,
         ellipses: list[dict[str, Any]] | None = None) -> bool:
    """Mount the latent map of ``view`` at ``point`` (with ``probs``, the decode there,
    the judge's ``reading`` of it, the picked and your own digit's view points and their
    ``ellipses``, see `map_data`); returns
    False when the map is
    unavailable. A release or a click calls ``on_event`` with a checked `MapEvent`; the
    map's fragment then reruns by itself."""
    render = _renderer(MAP_COMPONENT)
    if render is None:
        return False

    def callback(field: str) -> Callable[[], None]:
        def call() -> None:
            import streamlit as st

            event = read_event(st.session_state.get(key), field, len(view.coords))
            if event is not None:
                on_event(event)
        return call

    import streamlit as st

    with st.container(key=box_key(key)):  # its place is held by `reserve_css`
        render(key=key, data=map_data(view, digit, point, version=version, probs=probs,
                                      picked=picked, own=own, reading=reading,
                                      ellipses=ellipses),
               on_commit_change=callback("commit"), on_pick_change=callback("pick"),
               width="stretch")
        st.space(EARLY_SPACE_PX)  # until the page CSS arrives (`reserve_css` hides it)
    return True


def _drawn(key: str) -> str | None:
    """The canvas's current drawing (a PNG data URL), or None."""
    import streamlit as st

    value = st.session_state.get(key)
    drawn = value.get("drawing") if isinstance(value, dict) else None
    return drawn if isinstance(drawn, str) else None


def drawing(*, key: str, on_change: Callable[[str | None], None]) -> bool:
    """Mount the drawing canvas; False when it is unavailable. Each finished stroke calls
    ``on_change`` with the canvas as a PNG data URL (None after Clear); a rerun redraws
    the current drawing."""
    render = _renderer(DRAW_COMPONENT)
    if render is None:
        return False
    render(key=key, data={"drawing": _drawn(key)},
           on_drawing_change=lambda: on_change(_drawn(key)), width="content")
    return True
