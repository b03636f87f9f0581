"""The index service process: the indexer stage and the search API in one event loop.

It is the only writer of the index. Search requests run in worker threads (tantivy
releases the GIL) and reload before each request, so a commit is searchable at once;
indexing writes in a thread too, so the API answers while a batch commits. More
search capacity: start read-only processes with ``python -m services.index search``
(same index directory, any port); they follow commits and reindex switches.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

import msgspec
import redis.asyncio as aioredis
from litestar import Litestar
from prometheus_client import Gauge

from services.index.api import search_app
from services.index.indexer import IndexDesk
from services.index.reindex import ReindexJob, reindex
from services.index.store import ArticleStore, SchemaChanged
from shared.broker import build_broker
from shared.consumer import Stage, add_stage
from shared.http import InLoopServer
from shared.logging import get_logger
from shared.settings import Settings
from shared.streams import ENRICHED, as_str, ensure_groups

log = get_logger("dateline.index")

GROUP = "index"
LAG_ENTRIES = Gauge("dateline_index_lag_entries", "Entries of dateline:enriched not yet indexed (group lag + pending).")


class IndexService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = _open_for_writing(settings)
        self.desk = IndexDesk(self.store)
        self.reindexing = ReindexJob(self.store, self.desk.paused)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.redis = aioredis.Redis.from_url(settings.redis_url)
        self.broker = build_broker(settings.redis_url, graceful_timeout=settings.graceful_timeout_s)
        self.stage: Stage = add_stage(
            self.broker, stage="index", stream=ENRICHED, group=GROUP, consumer=self.consumer,
            handler=self.desk, settings=settings, batch_size=settings.index_batch_size,
        )
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        """Serve until stopped (0) or until the stage dies under us (1: let a supervisor restart)."""
        http = InLoopServer(self.http_app(), self.settings.search_host, self.settings.search_port)
        try:
            async with http.running():
                await ensure_groups(self.redis)
                await self.broker.start()
                log.info("indexer.started", consumer=self.consumer, index=str(self.store.path))
                try:
                    return await self._until_stopped()
                finally:
                    await self.broker.stop()  # the in-flight batch commits and is acked
                    log.info("indexer.stopped", consumer=self.consumer, **msgspec.structs.asdict(self.stage.counts))
        finally:
            self.store.close()
            await self.redis.aclose()

    async def _until_stopped(self) -> int:
        while not self._stopping.is_set():
            if not self.stage.running:
                log.error("indexer.stage_stopped", consumer=self.consumer)
                return 1
            await self._measure_lag()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
        return 0

    async def _measure_lag(self) -> None:
        for group in await self.redis.xinfo_groups(ENRICHED):
            if as_str(group["name"]) == GROUP:
                LAG_ENTRIES.set((group.get("lag") or 0) + group["pending"])

    def http_app(self) -> Litestar:
        checks = {"redis": self._redis_reachable, "indexer": self.stage.readiness}
        return search_app(self.store, self.settings, checks=checks, reindexing=self.reindexing)

    async def _redis_reachable(self) -> str | None:
        return None if await self.redis.ping() else "Redis did not answer PING"


def _open_for_writing(settings: Settings) -> ArticleStore:
    """The live index, rebuilt first when it was built with an older schema."""
    try:
        return ArticleStore(settings.index_dir, writable=True)
    except SchemaChanged:
        log.warning("index.schema_changed", index=str(settings.index_dir), detail="reindexing before serving")
        reindex(settings)
        return ArticleStore(settings.index_dir, writable=True)


def search_only_app(settings: Settings) -> Litestar:
    """A read-only search process over the same index (no indexer, no reindex)."""
    return search_app(ArticleStore(settings.index_dir, writable=False), settings)


async def serve(service: IndexService) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, service.stop)
    return await service.run()

