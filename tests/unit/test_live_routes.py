"""The points and live-decode routes through Starlette's test client (a fake decoder:
no TensorFlow)."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae.live import points, protocol
from cvae.live.routes import live_routes

MODELS = frozenset({"tutorial-2d"})
COORDS = np.array([[0.5, -1.0], [2.0, 3.25], [-4.0, 0.0]])
LABELS = np.array([7, 1, 9])


def fake_decode(request: protocol.DecodeRequest) -> np.ndarray:
    """A flat image whose grey level names the request's digit."""
    return np.full((28, 28), request.digit / 9.0)


@pytest.fixture(params=["thread", "future"])
def client(request):
    """The routes, decoding in a worker thread (a model still to load) or, as for a loaded
    model, through a submitter's future resolved on another thread (the batching core's
    way); that submitter declines digit 9, which then takes the thread."""
    with ThreadPoolExecutor(2) as pool:
        def submit(req: protocol.DecodeRequest) -> Future | None:
            return None if req.digit == 9 else pool.submit(lambda: fake_decode(req)[None])

        routes = live_routes(base="/demo", decode=fake_decode,
                             source=lambda name, plane: points.encode_points(COORDS, LABELS),
                             models=lambda: MODELS,
                             submit=submit if request.param == "future" else None)
        with TestClient(Starlette(routes=routes)) as c:
            yield c


def test_points_route_serves_the_binary_layout_with_cache_headers(client):
    r = client.get("/demo/cvae/points/tutorial-2d?v=abcdef12")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert "max-age" in r.headers["cache-control"]
    coords, labels = points.decode_points(r.content)
    np.testing.assert_allclose(coords, COORDS)
    assert labels.tolist() == LABELS.tolist()
    again = client.get("/demo/cvae/points/tutorial-2d",
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_points_route_refuses_unknown_models(client):
    assert client.get("/demo/cvae/points/..%2F..%2Fetc").status_code == 404
    assert client.get("/demo/cvae/points/nope").status_code == 404
    assert client.get("/cvae/points/tutorial-2d").status_code == 404  # base path applies


def test_bad_message_gets_an_error_frame_and_the_connection_answers_the_next(client):
    with client.websocket_connect("/demo/cvae/live") as ws:
        ws.send_text("{not json")
        assert json.loads(ws.receive_text())["error"] == "not valid JSON"
        ws.send_text(json.dumps({"seq": 5, "model": "../x", "digit": 3, "x": 0, "y": 0}))
        assert json.loads(ws.receive_text()) == {
            "seq": 5, "error": "'model' is not one of this server's models"}
        ws.send_bytes(b"\x00\x01")
        assert "text frames" in json.loads(ws.receive_text())["error"]
        ws.send_text(json.dumps({"seq": 6, "model": "tutorial-2d", "digit": 9,
                                 "x": 99.0, "y": -0.5}))
        seq, x, y, grey = protocol.decode_digit(ws.receive_bytes())
        assert (seq, x, y) == (6, 12.0, -0.5)  # clamped point, as decoded
        assert grey.shape == (28, 28) and int(grey[0, 0]) == 255


def test_every_answer_is_of_a_request_sent_and_the_newest_is_answered(client):
    with client.websocket_connect("/demo/cvae/live") as ws:
        for seq in range(20):
            ws.send_text(json.dumps({"seq": seq, "model": "tutorial-2d", "digit": seq % 10,
                                     "x": seq / 10, "y": 0}))
        seen = []
        while not seen or seen[-1][0] != 19:
            seq, x, _, grey = protocol.decode_digit(ws.receive_bytes())
            assert x == pytest.approx(seq / 10)  # the decode of that request's own point
            assert int(grey[0, 0]) == round((seq % 10) / 9 * 255)
            seen.append((seq, x))
        assert [s for s, _ in seen] == sorted(s for s, _ in seen)


def test_static_route_serves_only_the_map_modules(client):
    r = client.get("/demo/cvae/static/main.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "export default" in r.text
    assert client.get("/demo/cvae/static/main.js",
                      headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    for name in ("map.html", "..%2F__init__.py", "nope.js"):
        assert client.get(f"/demo/cvae/static/{name}").status_code == 404


def test_ready_route_answers_503_with_what_is_warming_then_200():
    from cvae.serving.warmup import Warmup

    warmup = Warmup(offered=lambda: ["a", "b"], service=lambda name: None, extras=[],
                    finish=lambda: None)
    routes = live_routes(base="/demo", decode=fake_decode, source=lambda name, plane: b"",
                         models=lambda: MODELS, readiness=warmup.readiness)
    with TestClient(Starlette(routes=routes)) as c:
        r = c.get("/demo/cvae/ready")
        assert r.status_code == 503 and r.json()["ready"] is False
        warmup.wanted, warmup._thread = ["a", "b"], object()  # started, nothing warm yet
        assert c.get("/demo/cvae/ready").json()["warming"] == ["a", "b"]
        warmup.done, warmup.finished = ["a", "b"], True
        r = c.get("/demo/cvae/ready")
        assert r.status_code == 200 and r.json()["warm"] == ["a", "b"]
        assert r.headers["cache-control"] == "no-store"
        assert c.get("/cvae/ready").status_code == 404  # base path applies
