"""Who may use the live channel and how much (`cvae.live.guard`), through Starlette's test
client with a fake decoder (no TensorFlow): foreign origins, the socket cap per client
address, trusted proxy headers and a fair decode budget per address."""

from __future__ import annotations

import json
from contextlib import ExitStack

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cvae import settings
from cvae.live import guard, protocol
from cvae.live.routes import live_routes

MODELS = frozenset({"tutorial-2d"})
PROXY = "10.0.0.1"  # the test client's address, trusted as a proxy where a test says so


def request(seq: int, digit: int = 3) -> str:
    return json.dumps({"seq": seq, "model": "tutorial-2d", "digit": digit, "x": 0.5, "y": 0})


def make_client(limits: guard.ClientLimits | None = None, decoded: list | None = None,
                origin_check=None) -> TestClient:
    def decode(req: protocol.DecodeRequest) -> np.ndarray:
        if decoded is not None:
            decoded.append(req.digit)
        return np.zeros((28, 28))

    limits = limits or guard.ClientLimits(sockets_per_client=16, decodes_per_client=1000,
                                          proxies=())
    routes = live_routes(base="", decode=decode, source=lambda name, plane: b"", submit=None,
                         models=lambda: MODELS, readiness=lambda: (True, {}),
                         clients=limits, origin_check=origin_check)
    return TestClient(Starlette(routes=routes), client=(PROXY, 50000))


def closed_with(ws) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_text()
    return info.value.code, info.value.reason


def answered(ws, seq: int) -> bool:
    ws.send_text(request(seq))
    return protocol.decode_digit(ws.receive_bytes())[0] == seq


# --- Origin ---------------------------------------------------------------------------------

@pytest.fixture
def streamlit_origins(monkeypatch):
    """Streamlit's CORS settings for one test (and no external-address lookup)."""
    from streamlit import config, net_util

    monkeypatch.setattr(net_util, "get_external_ip", lambda: None)
    saved = {k: config.get_option(k) for k in ("server.enableCORS",
                                               "server.corsAllowedOrigins")}

    def set_options(**options):
        for key, value in options.items():
            config.set_option(f"server.{key}", value)

    yield set_options
    for key, value in saved.items():
        config.set_option(key, value)


def test_a_foreign_origin_is_refused_with_1008_and_the_pages_own_is_served(streamlit_origins):
    with make_client() as client:
        with client.websocket_connect("/cvae/live",
                                      headers={"origin": "https://evil.example"}) as ws:
            assert closed_with(ws) == guard.ORIGIN_REFUSED
        with client.websocket_connect("/cvae/live",
                                      headers={"origin": "http://testserver"}) as ws:
            assert answered(ws, 1)  # same host as the page
        with client.websocket_connect("/cvae/live") as ws:  # no Origin: not a browser
            assert answered(ws, 2)


def test_origins_follow_streamlits_cors_settings(streamlit_origins):
    from streamlit.web.server.starlette.starlette_websocket import _is_origin_allowed

    friend, stranger = "https://friend.example", "https://evil.example"
    streamlit_origins(corsAllowedOrigins=[friend])
    with make_client() as client, client.websocket_connect(
            "/cvae/live", headers={"origin": friend}) as ws:
        assert answered(ws, 1)
    streamlit_origins(enableCORS=False, corsAllowedOrigins=[])
    with make_client() as client, client.websocket_connect(
            "/cvae/live", headers={"origin": stranger}) as ws:
        assert answered(ws, 1)
    for enable in (True, False):  # the same answers as Streamlit's own socket
        streamlit_origins(enableCORS=enable, corsAllowedOrigins=[friend])
        for origin in (friend, stranger, "http://localhost:1234", None, "not a url"):
            assert guard.origin_allowed(origin, "app.example") == _is_origin_allowed(
                origin, "app.example")


# --- sockets per client address -------------------------------------------------------------

def test_an_address_over_the_socket_cap_is_refused_with_1013_and_others_are_not():
    limits = guard.ClientLimits(sockets_per_client=2, decodes_per_client=1000,
                                proxies=guard.parse_proxies(PROXY))
    a, b = {"x-forwarded-for": "203.0.113.7"}, {"x-forwarded-for": "198.51.100.9"}
    with make_client(limits) as client, ExitStack() as open_sockets:
        first = open_sockets.enter_context(client.websocket_connect("/cvae/live", headers=a))
        open_sockets.enter_context(client.websocket_connect("/cvae/live", headers=a))
        with client.websocket_connect("/cvae/live", headers=a) as third:
            assert closed_with(third) == guard.TOO_MANY_SOCKETS
        with client.websocket_connect("/cvae/live", headers=b) as other:
            assert answered(other, 1)  # another address has its own cap
        assert answered(first, 2)  # the open ones still work
        first.close()
        assert limits.refused == 1
    # every socket closed: the address may open again
    with make_client(limits) as client, client.websocket_connect(
            "/cvae/live", headers=a) as again:
        assert answered(again, 3)


def test_forwarded_headers_count_only_from_a_trusted_proxy():
    none = guard.parse_proxies("")
    proxies = guard.parse_proxies("10.0.0.0/8, 192.0.2.1")
    xff = {"x-forwarded-for": "203.0.113.7, 10.1.2.3"}
    assert guard.client_address("198.51.100.1", xff, proxies) == "198.51.100.1"  # untrusted
    assert guard.client_address("10.0.0.1", xff, none) == "10.0.0.1"  # no proxy configured
    assert guard.client_address("10.0.0.1", xff, proxies) == "203.0.113.7"  # skips 10.1.2.3
    spoofed = {"x-forwarded-for": "1.1.1.1, 203.0.113.7"}  # the client wrote the first hop
    assert guard.client_address("192.0.2.1", spoofed, proxies) == "203.0.113.7"
    assert guard.client_address("192.0.2.1", {"x-real-ip": "203.0.113.8"},
                                proxies) == "203.0.113.8"
    assert guard.client_address("192.0.2.1", {"x-forwarded-for": "junk, 10.9.9.9"},
                                proxies) == "10.9.9.9"  # a malformed hop ends the walk
    assert guard.client_address("192.0.2.1", {}, proxies) == "192.0.2.1"
    with pytest.raises(ValueError, match=r"CVAE_TRUSTED_PROXIES.*'nope'"):
        guard.parse_proxies("10.0.0.1, nope")


def test_settings_come_from_the_environment_and_bad_ones_say_which(monkeypatch):
    monkeypatch.setenv(settings.LIVE_SOCKETS_PER_CLIENT, "3")
    monkeypatch.setenv(settings.LIVE_DECODES_PER_CLIENT, "50")
    monkeypatch.setenv(settings.LIVE_MESSAGES_PER_CLIENT, "100")
    monkeypatch.setenv(settings.TRUSTED_PROXIES, "127.0.0.1")
    limits = guard.ClientLimits()
    assert (limits.sockets_per_client, limits.rate, limits.messages) == (3, 50.0, 100.0)
    assert limits.address("127.0.0.1", {"x-forwarded-for": "203.0.113.7"}) == "203.0.113.7"
    monkeypatch.setenv(settings.LIVE_SOCKETS_PER_CLIENT, "0")
    with pytest.raises(ValueError, match=settings.LIVE_SOCKETS_PER_CLIENT):
        guard.ClientLimits()


# --- fair share -----------------------------------------------------------------------------

def test_a_flooding_address_waits_for_its_budget_while_another_is_served():
    """Address A spends its budget (a burst of 2, then one decode a second) over three
    sockets; B's request is decoded at once, before A's third."""
    limits = guard.ClientLimits(sockets_per_client=16, decodes_per_client=1.0, burst=2,
                                proxies=guard.parse_proxies(PROXY))
    decoded: list[int] = []
    a, b = {"x-forwarded-for": "203.0.113.7"}, {"x-forwarded-for": "198.51.100.9"}
    with make_client(limits, decoded) as client, ExitStack() as stack:
        flood = [stack.enter_context(client.websocket_connect("/cvae/live", headers=a))
                 for _ in range(3)]
        for seq, ws in enumerate(flood[:2]):
            ws.send_text(request(seq, digit=1))
            assert protocol.decode_digit(ws.receive_bytes())[0] == seq
        flood[2].send_text(request(2, digit=1))  # over A's budget: waits
        other = stack.enter_context(client.websocket_connect("/cvae/live", headers=b))
        other.send_text(request(7, digit=2))
        assert protocol.decode_digit(other.receive_bytes())[0] == 7
        assert decoded == [1, 1, 2]  # B before A's third
        assert limits.clients["203.0.113.7"].decodes == 2


def test_a_waiting_socket_decodes_only_its_newest_request():
    """While a socket waits for its address's budget, newer requests replace the pending
    one (latest wins): the answer is of the last request sent."""
    limits = guard.ClientLimits(sockets_per_client=16, decodes_per_client=2, burst=1,
                                proxies=())
    decoded: list[int] = []
    with make_client(limits, decoded) as client, client.websocket_connect("/cvae/live") as ws:
        for seq in range(6):
            ws.send_text(request(seq, digit=seq))
        seen = [protocol.decode_digit(ws.receive_bytes())[0]]
        while seen[-1] != 5:
            seen.append(protocol.decode_digit(ws.receive_bytes())[0])
    assert len(decoded) <= 3 and decoded[-1] == 5  # not six decodes queued


def test_a_bucket_gives_its_burst_then_its_rate():
    now = [0.0]
    bucket = guard.Bucket(rate=2.0, burst=2.0, clock=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # seconds until the next token
    now[0] = 0.5
    assert bucket.take() == 0.0


def test_an_address_over_its_message_budget_is_read_only_when_the_budget_refills():
    """Two messages a second, one at once: the second request waits unread (TCP holds it)
    until the address's budget has a token again."""
    import time

    now = [0.0]
    limits = guard.ClientLimits(decodes_per_client=1000, messages_per_client=2, proxies=(),
                                clock=lambda: now[0])
    decoded: list[int] = []
    with make_client(limits, decoded) as client, client.websocket_connect("/cvae/live") as ws:
        ws.send_text(request(1, digit=1))
        assert protocol.decode_digit(ws.receive_bytes())[0] == 1
        ws.send_text(request(2, digit=2))
        time.sleep(0.6)  # the clock stands still: no token, the message stays unread
        assert decoded == [1]
        now[0] = 1.0
        assert protocol.decode_digit(ws.receive_bytes())[0] == 2
        assert decoded == [1, 2]
