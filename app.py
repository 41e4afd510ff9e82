"""CVAE Explorer's server: ``streamlit run app.py`` serves `page.py` through this ASGI app.

Streamlit's own server plus the live decode, points and readiness routes (`cvae.live.routes`),
the first frame that keeps the layout still (`cvae.first_frame`), precompressed static files
(`cvae.compressed_static`) and the warm-up that starts with the server (`cvae.serving.warmup`).
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from cvae import streamlit_workarounds
from cvae.compressed_static import CompressedStatic
from cvae.first_frame import index_route
from cvae.live.routes import live_routes
from cvae.serving.warmup import WARMUP

streamlit_workarounds.apply()  # once per process, before the first session

app = st.App("page.py", routes=[*live_routes(), index_route()], lifespan=WARMUP.lifespan,
             middleware=[Middleware(CompressedStatic)])
