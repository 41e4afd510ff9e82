"""Who may use the live decode channel, and how much of it (pure asyncio, no TensorFlow).

* **Origin**: a WebSocket whose ``Origin`` is not the page's own is refused by Streamlit's own
  rule for ``/_stcore/stream`` (`origin_allowed`): same host, or an origin allowed by
  ``server.enableCORS`` / ``server.corsAllowedOrigins`` (and ``server.allowedHosts`` for the
  Host). As there, a request without ``Origin`` (not a browser: a browser always sends one)
  is let through; the per-address cap and budget below still apply to it.
* **Client address** (`client_address`): the connection's peer, unless the peer is one of
  ``$CVAE_TRUSTED_PROXIES`` (comma-separated IPs or CIDRs, default none): then the nearest
  untrusted address in ``X-Forwarded-For`` (read right to left), else ``X-Real-IP``.
  Streamlit's server (uvicorn) itself already replaces the peer by ``X-Forwarded-For`` when
  the peer is in ``$FORWARDED_ALLOW_IPS`` (uvicorn's default: loopback), before this runs.
* **Sockets per address** (`ClientLimits.open`): at most ``$CVAE_LIVE_SOCKETS_PER_CLIENT``
  (default 16) live sockets per client address.
* **Fair share** (`Client.turn`): each address has one decode budget shared by all its
  sockets, ``$CVAE_LIVE_DECODES_PER_CLIENT`` decodes per second (default 60, one visitor
  dragging at 60 frames a second) and at most `IN_FLIGHT_PER_CLIENT` decodes in
  the model core at once. A socket waits for its turn before it takes its newest request,
  so requests that arrive meanwhile collapse into it (latest wins): a flooding address gets
  fewer, fresher decodes, never a queue, and other addresses keep their own budgets.
  What an address sends is read at most ``$CVAE_LIVE_MESSAGES_PER_CLIENT`` messages per
  second (default 240: one connection at its full rate); beyond that its sockets are
  read more slowly (`Client.intake`), so a flood's bytes wait in its own TCP buffers instead
  of costing the server CPU.

A refused socket is accepted and closed at once with a code and reason a client can read
(`ORIGIN_REFUSED`, `TOO_MANY_SOCKETS`); Streamlit's own socket refuses the handshake (HTTP
403), which a browser reports without any reason.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from cvae import settings
from cvae.live import protocol

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ORIGIN_REFUSED = (1008, "origin not allowed")  # 1008: policy violation
TOO_MANY_SOCKETS = (1013, "too many live connections from this address")  # 1013: try later
SOCKETS_PER_CLIENT = 16
DECODES_PER_CLIENT = 60.0   # per second, shared by an address's sockets
DECODE_BURST = 30.0         # decodes an address may have at once before the rate applies
MESSAGES_PER_CLIENT = 240.0  # per second read from an address's sockets (one connection's cap)
IN_FLIGHT_PER_CLIENT = 4    # decodes of one address in the model core at once


def _streamlit_rule() -> Callable[[str | None, str | None], bool]:
    """Streamlit's own check for ``/_stcore/stream`` (private in 1.67; rebuilt from its public
    parts, the same steps, if a later version moves it)."""
    try:
        from streamlit.web.server.starlette.starlette_websocket import _is_origin_allowed
        return _is_origin_allowed
    except ImportError:  # pragma: no cover - depends on the Streamlit version
        from urllib.parse import urlparse

        from streamlit.web.server.server_util import is_url_from_allowed_origins

        def rule(origin: str | None, host: str | None) -> bool:
            if origin is None:
                return True
            return urlparse(origin).netloc == host or is_url_from_allowed_origins(origin)

        return rule


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """Whether Streamlit's own socket would accept a connection with these ``Origin`` and
    ``Host`` headers (may block: it can look up the machine's external address)."""
    return bool(_streamlit_rule()(origin, host))


class OriginCheck:
    """`origin_allowed` off the event loop: a header naming the page's own host (or none)
    is answered at once; any other is checked in a worker thread, at most two at a time
    (Streamlit's check can make a blocking HTTP request), and the answer remembered."""

    def __init__(self, rule: Callable[[str | None, str | None], bool] = origin_allowed,
                 remembered: int = 256) -> None:
        self.rule, self.remembered = rule, remembered
        self._answers: dict[tuple[str | None, str | None], bool] = {}
        self._threads = anyio.CapacityLimiter(2)

    async def __call__(self, origin: str | None, host: str | None) -> bool:
        key = (origin, host)
        if key in self._answers:
            return self._answers[key]
        if origin is None or _netloc(origin) == host:
            answer = self.rule(origin, host)  # no lookup on these paths: cheap
        else:
            answer = await anyio.to_thread.run_sync(self.rule, origin, host,
                                                    limiter=self._threads)
        if len(self._answers) >= self.remembered:
            self._answers.pop(next(iter(self._answers)))
        self._answers[key] = answer
        return answer


def _netloc(origin: str) -> str:
    from urllib.parse import urlparse

    try:
        return urlparse(origin).netloc
    except ValueError:
        return ""


# --- client address -------------------------------------------------------------------------

def parse_proxies(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` -> networks; a clear `ValueError` for a bad entry."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{settings.TRUSTED_PROXIES}: {entry!r} is not an IP address or CIDR "
                             "network (expected e.g. 10.0.0.0/8, 127.0.0.1)") from None
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(peer: str | None, headers: Mapping[str, str],
                   proxies: tuple[Network, ...]) -> str:
    """The address a connection counts against: ``peer``, or, when ``peer`` is a trusted
    proxy, the nearest untrusted hop of ``X-Forwarded-For`` (right to left; a malformed
    hop ends the walk at the last good one), else ``X-Real-IP``."""
    def trusted(ip: Any) -> bool:
        return ip is not None and any(ip in net for net in proxies)

    here = _ip(peer or "")
    if not trusted(here):
        return str(here) if here is not None else (peer or "unknown")
    hops = [h for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    if not hops and headers.get("x-real-ip"):
        hops = [headers["x-real-ip"]]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        here = ip
        if not trusted(ip):
            break
    return str(here)


# --- per-address limits ---------------------------------------------------------------------

class Bucket(protocol.TokenBucket):
    """An address's budget: the connection limit's token bucket, and a wait for a token."""

    async def wait(self) -> None:
        """Wait for a token and take it."""
        while (wait := self.take()) > 0:
            await anyio.sleep(wait)


@dataclass
class Client:
    """One client address: its open sockets, its decode budget and its message intake."""

    address: str
    decodes_per_s: float
    burst: float
    messages_per_s: float
    clock: Callable[[], float] = time.monotonic
    sockets: int = 0
    decodes: int = 0
    decode_budget: Bucket = field(init=False)
    message_budget: Bucket = field(init=False)
    in_flight: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.decode_budget = Bucket(self.decodes_per_s, self.burst, self.clock)
        self.message_budget = Bucket(self.messages_per_s, self.messages_per_s / 2, self.clock)
        self.in_flight = asyncio.Semaphore(IN_FLIGHT_PER_CLIENT)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait until this address may start one more decode; hold a slot while it runs."""
        async with self.in_flight:
            await self.decode_budget.wait()
            self.decodes += 1
            yield

    async def intake(self) -> None:
        """Wait until this address may send one more message: over its budget, its sockets
        are read more slowly (the server stops reading; TCP pushes back on the sender)."""
        await self.message_budget.wait()


class ClientLimits:
    """The live sockets and decode budgets of every client address (one event loop)."""

    def __init__(self, sockets_per_client: int | None = None,
                 decodes_per_client: float | None = None, burst: float = DECODE_BURST,
                 proxies: tuple[Network, ...] | None = None,
                 messages_per_client: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Defaults from the environment (`cvae.settings`: ``CVAE_LIVE_*_PER_CLIENT``,
        ``CVAE_TRUSTED_PROXIES``); a bad value raises `ValueError` saying which setting."""
        self.sockets_per_client = (sockets_per_client if sockets_per_client is not None
                                   else settings.number(settings.LIVE_SOCKETS_PER_CLIENT,
                                                   SOCKETS_PER_CLIENT, int))
        self.rate = (decodes_per_client if decodes_per_client is not None
                     else settings.number(settings.LIVE_DECODES_PER_CLIENT, DECODES_PER_CLIENT))
        self.burst = min(burst, max(1.0, self.rate))
        self.messages = (messages_per_client if messages_per_client is not None
                         else settings.number(settings.LIVE_MESSAGES_PER_CLIENT,
                                         MESSAGES_PER_CLIENT))
        self.proxies = (proxies if proxies is not None
                        else parse_proxies(settings.text(settings.TRUSTED_PROXIES)))
        self.clock = clock
        self.clients: dict[str, Client] = {}
        self.refused = 0

    def address(self, peer: str | None, headers: Mapping[str, str]) -> str:
        return client_address(peer, headers, self.proxies)

    def open(self, address: str) -> Client | None:
        """Count one more socket of ``address``; None (nothing counted) over the cap."""
        client = self.clients.get(address)
        if client is None:
            client = self.clients[address] = Client(address, self.rate, self.burst,
                                                         self.messages, self.clock)
        if client.sockets >= self.sockets_per_client:
            self.refused += 1
            return None
        client.sockets += 1
        return client

    def close(self, client: Client) -> None:
        """One socket of ``client`` closed; an address with none left is forgotten."""
        client.sockets -= 1
        if client.sockets <= 0:
            self.clients.pop(client.address, None)
