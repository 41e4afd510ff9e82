"""The page shell (`cvae.first_frame`): Streamlit's own index.html, with the rule that keeps
the app view hidden until its sidebar is there and the latent map's first modules preloaded,
at the page's path (and under a base path)."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae import latent_map
from cvae.first_frame import FIRST_FRAME_CSS, index_route, map_preloads, streamlit_index
from cvae.live.routes import live_routes


def test_page_is_streamlits_index_with_the_first_frame_rule_in_its_head():
    client = TestClient(Starlette(routes=[index_route("")]))
    answer = client.get("/?model=cvae-style-2d&digit=3")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-cache"  # as Streamlit sends it
    head = answer.text.split("</head>", 1)[0]
    added = f"<style>{FIRST_FRAME_CSS}</style>{map_preloads()}"
    assert head.endswith(added)
    original = streamlit_index().read_text(encoding="utf-8")
    assert answer.text.replace(added, "") == original


def test_page_preloads_the_map_module_the_loader_imports_and_each_module_it_imports():
    """The preloaded addresses are the ones the browser then imports (else it would fetch
    twice): main.js as the inline loader names it, then its static imports
    (`first_paint_modules`, checked against main.js in test_map_assets); each is served."""
    hrefs = re.findall(r'<link rel="modulepreload" href="([^"]+)">', map_preloads())
    assert hrefs == latent_map.first_paint_modules()
    main = f'"{hrefs[0]}"'
    assert hrefs[0].startswith("cvae/static/main.js?v=") and main in latent_map.loader_js()
    assert "cvae/static/layers.js" not in hrefs  # a lazy import: fetched when first needed
    client = TestClient(Starlette(routes=live_routes("")))
    for href in hrefs:
        answer = client.get(f"/{href}")
        assert answer.status_code == 200, href
        assert "javascript" in answer.headers["content-type"]


def test_page_preloads_nothing_when_the_components_are_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CVAE_NO_COMPONENTS", "1")
    assert map_preloads() == ""


def test_page_route_follows_the_base_path():
    client = TestClient(Starlette(routes=[index_route("/demo/")]))
    assert FIRST_FRAME_CSS in client.get("/demo/").text
    assert client.get("/", follow_redirects=False).status_code == 404

