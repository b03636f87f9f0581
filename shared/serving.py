"""uvicorn as every service runs it: in the service's own event loop, our error bodies below
the app (:mod:`shared.http_protocol`), no logging or signal handling of its own.

Nothing here imports a web framework: the app may be Litestar's (:func:`shared.http.build_app`)
or the bare health app (:mod:`shared.health`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

from shared.http_protocol import protocol_with_deadline
from shared.settings import Settings

DEFAULTS = Settings()


class InLoopServer(uvicorn.Server):
    """uvicorn inside the service's own event loop, leaving SIGTERM to the service runtime.

    Workers and the indexer drain their in-flight batch on SIGTERM before the HTTP side
    goes away (:mod:`shared.runtime`), so uvicorn must not install its own signal
    handlers. On stopping, it waits for every open response to finish: the app's long ones
    (event streams) are told to end first, so a stop is not held up by a client.
    """

    def __init__(self, app: Any, host: str, port: int, head_timeout_s: float = DEFAULTS.body_timeout_s) -> None:
        super().__init__(uvicorn_config(app, host, port, head_timeout_s))

    async def startup(self, sockets: list | None = None) -> None:
        await super().startup(sockets)
        # What start-up made (modules, routes, the API schema, the store's readers) lives
        # as long as the process: frozen, the collector stops walking it in every full
        # collection, which paused a search process for 45-80 ms at a time (the 200k-article
        # benchmark index; `make bench-search`).
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list | None = None) -> None:
        for drain in getattr(self.config.app, "state", {}).get("on_drain", ()):
            await drain()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[InLoopServer]:
        task = asyncio.create_task(self.serve())
        while not self.started:
            if task.done():  # uvicorn exits (SystemExit) when it cannot bind
                raise RuntimeError(f"cannot serve HTTP on {self.config.host}:{self.config.port}")
            await asyncio.sleep(0.01)
        try:
            yield self
        finally:
            self.should_exit = True
            await task


def uvicorn_config(app: Any, host: str, port: int, head_timeout_s: float = DEFAULTS.body_timeout_s) -> uvicorn.Config:
    """Our logging (none of uvicorn's own), our error bodies below the app too."""
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on",
                          http=protocol_with_deadline(head_timeout_s))
