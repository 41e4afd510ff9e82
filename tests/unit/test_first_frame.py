"""The page shell (`cvae.first_frame`): Streamlit's own index.html, with the rule that keeps
the app view hidden until its sidebar is there, at the page's path (and under a base path)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae.first_frame import FIRST_FRAME_CSS, index_route, streamlit_index


def test_page_is_streamlits_index_with_the_first_frame_rule_in_its_head():
    client = TestClient(Starlette(routes=[index_route("")]))
    answer = client.get("/?model=cvae-style-2d&digit=3")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-cache"  # as Streamlit sends it
    head = answer.text.split("</head>", 1)[0]
    assert head.endswith(f"<style>{FIRST_FRAME_CSS}</style>")
    original = streamlit_index().read_text(encoding="utf-8")
    assert answer.text.replace(f"<style>{FIRST_FRAME_CSS}</style>", "") == original


def test_page_route_follows_the_base_path():
    client = TestClient(Starlette(routes=[index_route("/demo/")]))
    assert FIRST_FRAME_CSS in client.get("/demo/").text
    assert client.get("/", follow_redirects=False).status_code == 404

