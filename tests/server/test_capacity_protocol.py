"""The capacity tool against a real server: 2 visitors and a drag on the live channel."""

from __future__ import annotations

import random

import pytest

from benchmarks import capacity
from harness import server
from harness.st_protocol import (
    StSession,
)


@pytest.mark.slow
def test_two_visitors_against_a_real_server():
    """Two protocol-level visitors act for a few seconds: no errors, no mix-ups."""
    port = server.free_port()
    proc = server.start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base, proc)
        result = capacity.run_capacity(base, [2], 6.0, think_s=0.5, pid=proc.pid,
                                       models=["class-prior-2d"])
        drag = capacity._run_async(_one_drag(base))  # AppTest may leave a loop running
    finally:
        server.stop_server(proc)
    (row,) = result["steps"]
    assert row["actions"] > 0
    assert row["errors"] == 0 and row["open_errors"] == 0, row["errors_sample"]
    assert row["mixups"] == 0
    decodes = [s for s in drag.samples if s.kind == "decode"]
    assert len(decodes) >= 10, drag.errors  # a 20-40 frame drag, latest position wins
    assert all(s.ok and not s.mixup for s in decodes) and not drag.errors


async def _one_drag(base: str) -> capacity.Shared:
    """One drag on the live channel by a visitor with an open page."""
    import websockets

    shared = capacity.Shared()
    async with StSession(base, "model=class-prior-2d&digit=3") as session:
        await session.run(timeout=300)
        async with websockets.connect(capacity.live_url(base)) as live:
            await capacity._drag(live, session, random.Random(0), shared)
    return shared
