"""The live decode channel's wire format and its input checks (pure Python, no I/O).

Browser -> server: one text frame per request, JSON, at most `MAX_MESSAGE_BYTES`::

    {"seq": 17, "model": "class-prior-2d", "digit": 8, "x": 0.42, "y": -1.3}

``seq`` is the sender's counter (0 <= seq < 2**31); ``model`` must be on the allow-list;
``digit`` is 0-9; ``x``/``y`` must be finite and are clamped to the explorer's range.
An optional ``"plane": "z3-z7"`` names the map plane the point is in (`cvae.plane`; the
default plane without it); a plane the model does not have is answered with an error frame.

Server -> browser: for a decoded request one binary frame, `HEADER` (little-endian
``uint32 seq, float32 x, float32 y``: the request's counter and the clamped point that was
decoded) followed by the 28 x 28 decode as 784 ``uint8`` grey levels, row-major. A request
that fails its checks gets one text frame ``{"seq": <seq or null>, "error": "<why>"}`` and
nothing else changes: the connection stays open. Requests that arrive while one is being
decoded are coalesced: only the newest is decoded (latest wins), and its answer stands for
every earlier ``seq`` of that connection.
"""

from __future__ import annotations

import json
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cvae import plane as planes
from cvae.explorer import clamp_coordinate
from cvae.images import to_uint8

MAX_MESSAGE_BYTES = 256
MAX_SEQ = 2**31 - 1
HEADER = struct.Struct("<Iff")
DIGIT_BYTES = 28 * 28
RATE_PER_S = 240.0     # sustained requests per second per connection (4 per 60 Hz frame)
RATE_BURST = 120.0     # requests a connection may send at once before the cap applies


class ProtocolError(ValueError):
    """A request the channel refuses; ``seq`` is the request's counter when it had one."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class DecodeRequest:
    """A checked request: decode ``model`` at view point ``(x, y)`` for class ``digit``."""

    seq: int
    model: str
    digit: int
    x: float
    y: float
    plane: str = planes.DEFAULT


def _int(value: Any, name: str, lo: int, hi: int, seq: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"'{name}' must be an integer", seq)
    if not lo <= value <= hi:
        raise ProtocolError(f"'{name}' must be between {lo} and {hi}", seq)
    return value


def _coordinate(value: Any, name: str, seq: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"'{name}' must be a number", seq)
    number = float(value)
    if not math.isfinite(number):
        raise ProtocolError(f"'{name}' must be finite", seq)
    return clamp_coordinate(number)


def parse_request(raw: str | bytes | None, models: set[str] | frozenset[str]
                  ) -> DecodeRequest:
    """Check one browser message; `ProtocolError` says what is wrong with it."""
    if raw is None or isinstance(raw, bytes | bytearray):
        raise ProtocolError("send text frames holding JSON")
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message longer than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("expected a JSON object")
    seq_raw = data.get("seq")
    seq = _int(seq_raw, "seq", 0, MAX_SEQ, None)
    unknown = set(data) - {"seq", "model", "digit", "x", "y", "plane"}
    if unknown:
        raise ProtocolError(f"unknown field(s): {', '.join(sorted(map(str, unknown)))[:80]}",
                            seq)
    model = data.get("model")
    if not isinstance(model, str) or model not in models:
        raise ProtocolError("'model' is not one of this server's models", seq)
    digit = _int(data.get("digit"), "digit", 0, 9, seq)
    plane = data.get("plane", planes.DEFAULT)
    try:
        planes.check_syntax(plane if isinstance(plane, str) else "")
    except planes.PlaneError as exc:
        raise ProtocolError(str(exc), seq) from None
    return DecodeRequest(seq, model, digit, _coordinate(data.get("x"), "x", seq),
                         _coordinate(data.get("y"), "y", seq), plane)


def encode_digit(seq: int, x: float, y: float, probs: np.ndarray) -> bytes:
    """The binary answer: header plus the decode as 784 grey levels."""
    grey = to_uint8(probs)
    if grey.size != DIGIT_BYTES:
        raise ValueError(f"expected a 28x28 decode, got shape {np.shape(probs)}")
    return HEADER.pack(seq, x, y) + grey.tobytes()


def decode_digit(frame: bytes) -> tuple[int, float, float, np.ndarray]:
    """Inverse of `encode_digit` (for clients and tests): seq, x, y, ``[28, 28]`` uint8."""
    if len(frame) != HEADER.size + DIGIT_BYTES:
        raise ValueError(f"answer frame has {len(frame)} bytes")
    seq, x, y = HEADER.unpack_from(frame)
    return seq, x, y, np.frombuffer(frame, np.uint8, offset=HEADER.size).reshape(28, 28)


def error_frame(message: str, seq: int | None = None) -> str:
    """The text answer to a refused request."""
    return json.dumps({"seq": seq, "error": message})


class TokenBucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved (the per-connection
    limit here and the per-address budgets of `cvae.live.guard`)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def take(self) -> float:
        """Take a token if there is one (0.0), else the seconds until there is one."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter(TokenBucket):
    """One connection's requests: ``rate`` per second sustained, bursts up to ``burst``."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = RATE_BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(rate, burst, clock)

    def allow(self) -> bool:
        return self.take() == 0.0
