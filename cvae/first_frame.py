"""The page's HTML shell with the app's place settled from the first frame (no layout shift).

Streamlit draws its page in steps: its first frames show an empty main area in the
default centred layout, the script's ``layout="wide"`` then widens it, and the sidebar's
first element (a batch later) pushes the whole main area 300 px to the right. Chromium
counts every box that moves, text or not: Lighthouse's desktop CLS was 0.22-0.30 from those
two moves alone (a one-line script with a sidebar shows the same). No Streamlit option
sets the layout or the sidebar before the script runs, and CSS sent by the script arrives
with the sidebar, too late. So `index_route` serves Streamlit's own ``index.html`` with one
inline rule in its head (`FIRST_FRAME_CSS`): the app view stays hidden until the sidebar is
in the page (at most `REVEAL_AFTER_S`, so a script that fails before drawing its sidebar
still shows its error). Hidden boxes are not layout shifts; the page then appears in its
final place. The head also preloads the latent map's first modules
(`cvae.latent_map.first_paint_modules`, ``<link rel="modulepreload">``): they then download
beside Streamlit's bundle, not in two round trips after the map mounts (on a phone's slow
4G each is 150 ms or more). Streamlit puts user routes before its own ones so that they can
answer a path its static files would (the ``st.App`` docs); everything else is Streamlit's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

REVEAL_AFTER_S = 4
# The page shows its main area only once the sidebar is there (both in their final place);
# the animation reveals it anyway after REVEAL_AFTER_S (a page with no sidebar).
FIRST_FRAME_CSS = (
    '.stApp:not(:has([data-testid="stSidebar"])) [data-testid="stAppViewContainer"] '
    f"{{visibility: hidden; animation: cvae-reveal 0s {REVEAL_AFTER_S}s forwards;}}"
    "@keyframes cvae-reveal {to {visibility: visible;}}")


def streamlit_index() -> Path:
    """Streamlit's ``index.html`` (what it serves at ``/``)."""
    from streamlit import file_util

    return Path(file_util.get_static_dir()) / "index.html"


def map_preloads() -> str:
    """``<link rel="modulepreload">`` for each of the latent map's first modules (none when
    the components are switched off)."""
    from cvae import latent_map

    if latent_map.disabled():
        return ""
    return "".join(f'<link rel="modulepreload" href="{url}">'
                   for url in latent_map.first_paint_modules())


@cache
def index_html() -> str:
    """Streamlit's ``index.html`` with `FIRST_FRAME_CSS` and `map_preloads` at the end of
    its head."""
    html = streamlit_index().read_text(encoding="utf-8")
    if "</head>" not in html:
        raise ValueError(f"{streamlit_index()} has no </head>: cannot add the first-frame CSS")
    return html.replace("</head>", f"<style>{FIRST_FRAME_CSS}</style>{map_preloads()}</head>",
                        1)


async def _index(request: Request) -> HTMLResponse:
    # no-cache, as Streamlit sends its index.html (a new Streamlit means new bundle names)
    return HTMLResponse(index_html(), headers={"Cache-Control": "no-cache"})


def index_route(base: str | None = None) -> Route:
    """The route of the page itself (``<base>/``, Streamlit's ``server.baseUrlPath``)."""
    from cvae.live.routes import base_path

    base = base_path() if base is None else base.rstrip("/")
    return Route(f"{base}/", _index, methods=["GET", "HEAD"])
