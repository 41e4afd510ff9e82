"""Input checks of the live decode channel (cvae/live/protocol.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cvae.explorer import SLIDER_LIMIT
from cvae.live import protocol as p

MODELS = frozenset({"class-prior-2d", "tutorial-2d"})
LIMIT = SLIDER_LIMIT  # requests are clamped to the sliders' range


def request(**fields) -> str:
    base = {"seq": 3, "model": "tutorial-2d", "digit": 8, "x": 0.5, "y": -1.25}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


def parse(raw):
    return p.parse_request(raw, MODELS)


def test_good_request_is_parsed():
    assert parse(request()) == p.DecodeRequest(3, "tutorial-2d", 8, 0.5, -1.25)


@pytest.mark.parametrize("raw", ["{", "not json", "", "[1, 2]", "null", "3"])
def test_bad_json_or_not_an_object_is_refused(raw):
    with pytest.raises(p.ProtocolError):
        parse(raw)


def test_binary_and_missing_frames_are_refused():
    for raw in (b"{}", bytearray(b"{}"), None):
        with pytest.raises(p.ProtocolError, match="text frames"):
            parse(raw)


def test_oversize_message_is_refused_before_parsing():
    raw = request(model="x" * p.MAX_MESSAGE_BYTES)
    with pytest.raises(p.ProtocolError, match="longer than"):
        parse(raw)


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(p.ProtocolError):
        parse("[" * 200 + "]" * 200)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_refused(value):
    raw = request().replace('"x": 0.5', f'"x": {value}')
    with pytest.raises(p.ProtocolError, match="finite") as exc:
        parse(raw)
    assert exc.value.seq == 3


@pytest.mark.parametrize("model", ["../../etc/passwd", "unknown", 7, None, ["tutorial-2d"]])
def test_unknown_model_is_refused(model):
    with pytest.raises(p.ProtocolError, match="model") as exc:
        parse(request(model=model))
    assert exc.value.seq == 3


@pytest.mark.parametrize("field", ["seq", "digit"])
def test_bool_is_not_an_integer(field):
    with pytest.raises(p.ProtocolError, match="integer"):
        parse(request(**{field: True}))


def test_bool_is_not_a_coordinate():
    with pytest.raises(p.ProtocolError, match="number"):
        parse(request(x=False))


@pytest.mark.parametrize("digit", [-1, 10, 2.0, "3"])
def test_out_of_range_or_non_integer_digit_is_refused(digit):
    with pytest.raises(p.ProtocolError, match="digit"):
        parse(request(digit=digit))


@pytest.mark.parametrize("seq", [-1, p.MAX_SEQ + 1, None, 1.5])
def test_bad_seq_is_refused_without_a_seq(seq):
    with pytest.raises(p.ProtocolError, match="seq") as exc:
        parse(request(seq=seq))
    assert exc.value.seq is None


def test_unknown_fields_are_refused():
    with pytest.raises(p.ProtocolError, match="unknown field"):
        parse(request(extra=1))


def test_coordinates_are_clamped_to_the_range():
    got = parse(request(x=1e30, y=-99))
    assert (got.x, got.y) == (LIMIT, -LIMIT)
    assert parse(request(x=3)).x == 3.0  # an int is a number


def test_answer_frame_round_trips():
    probs = np.linspace(0, 1, 784).reshape(28, 28)
    frame = p.encode_digit(9, 0.25, -2.5, probs)
    assert len(frame) == p.HEADER.size + p.DIGIT_BYTES
    seq, x, y, grey = p.decode_digit(frame)
    assert (seq, x, y) == (9, 0.25, -2.5)
    assert grey[0, 0] == 0 and grey[-1, -1] == 255
    with pytest.raises(ValueError):
        p.encode_digit(1, 0, 0, np.zeros((27, 28)))
    with pytest.raises(ValueError):
        p.decode_digit(frame[:-1])


def test_error_frame_is_json_with_seq():
    assert json.loads(p.error_frame("bad", 4)) == {"seq": 4, "error": "bad"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_a_burst_then_the_sustained_rate():
    clock = FakeClock()
    limiter = p.RateLimiter(rate=10.0, burst=3.0, clock=clock)
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.15  # 1.5 tokens back: one request
    assert limiter.allow() and not limiter.allow()
    clock.now += 100.0  # refills only up to the burst
    assert sum(limiter.allow() for _ in range(10)) == 3
