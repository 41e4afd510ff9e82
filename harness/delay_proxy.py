"""A loopback TCP proxy that adds a fixed delay each way: a real round trip for every
byte between a browser and the app (HTTP, Streamlit's WebSocket and the live channel alike),
where Chromium's network emulation leaves WebSocket frames undelayed.

    with DelayProxy(target_port=8501, one_way_ms=50) as proxy:
        page.goto(f"http://127.0.0.1:{proxy.port}/")   # 100 ms added per round trip

Order is kept per direction; it listens on 127.0.0.1 only and stops with the block.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class DelayProxy:
    """Forward 127.0.0.1:``port`` to 127.0.0.1:``target_port``, ``one_way_ms`` late."""

    def __init__(self, target_port: int, one_way_ms: float = 50.0) -> None:
        self.target_port = target_port
        self.delay = one_way_ms / 1000.0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="delay-proxy")
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(self._pipe(client_r, server_w),
                                 self._pipe(server_r, client_w))
        except (ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            client_w.close()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Copy ``src`` to ``dst``, each chunk delivered ``delay`` after it arrived."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    dst.close()
                    return
                dst.write(data)
                await dst.drain()

        sender = asyncio.create_task(deliver())
        try:
            while True:
                data = await src.read(65536)
                queue.put_nowait((loop.time() + self.delay, data))
                if not data:
                    break
            await sender
        finally:
            sender.cancel()
