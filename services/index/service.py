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

import msgspec
import redis.asyncio as aioredis
from litestar import Litestar
from prometheus_client import Gauge
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from services.index.api import search_app
from services.index.indexer import IndexDesk
from services.index.reindex import ReindexJob, reindex
from services.index.tantivy_store import ArticleStore, SchemaChanged
from shared.broker import build_broker
from shared.consumer import Stage, add_stage
from shared.http import InLoopServer
from shared.logging import get_logger
from shared.runtime import consumer_name, redis_readiness, run_until_signalled
from shared.settings import Settings
from shared.streams import ENRICHED, INDEX_GROUP, as_str, ensure_groups

log = get_logger("dateline.index")

GROUP = INDEX_GROUP
LAG_ENTRIES = Gauge("dateline_index_lag_entries", "Entries of dateline:enriched not yet indexed (group lag + pending).")
WATCH_EVERY_S = 1.0
# Waits before indexing starts again after a start that failed (Redis away); the last repeats.
RESTART_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 5.0)


class IndexService:
    """Search, always; indexing whenever Redis lets it.

    Search reads only the index, so it answers while Redis is away; readiness names what is
    degraded (``redis``, ``indexer``). The indexing stage gets a fresh broker each time it
    starts: when Redis is unreachable at start, or the stage stops because its group vanished
    (a Redis that came back empty), it starts over here, in this process, after a short
    wait. A Redis that comes back with its data needs nothing: FastStream's subscribers
    retry their reads by themselves.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = _open_for_writing(settings)
        self.desk = IndexDesk(self.store)
        self.reindexing = ReindexJob(self.store, self.desk.paused)
        self.consumer = consumer_name("index")
        # For readiness and lag: answers at once while Redis is away (redis-py's default
        # retries would hold /readyz for seconds).
        self.redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=1.0, socket_timeout=2.0,
                                             retry=Retry(NoBackoff(), retries=1))
        self.stage: Stage | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        """Serve until stopped; indexing starts over by itself whenever it has to."""
        http = InLoopServer(self.http_app(), self.settings.search_host, self.settings.search_port)
        try:
            async with http.running():
                await self._index_until_stopped()
            return 0
        finally:
            self.store.close()
            await self.redis.aclose()

    async def _index_until_stopped(self) -> None:
        failed_starts = 0
        while not self._stopping.is_set():
            started = await self._index_once()
            if self._stopping.is_set():
                return
            failed_starts = 0 if started else failed_starts + 1
            delay = RESTART_DELAYS_S[min(failed_starts, len(RESTART_DELAYS_S) - 1)]
            log.info("service.stage_restarting", consumer=self.consumer, in_s=delay)
            await self._pause(delay)

    async def _index_once(self) -> bool:
        """One life of the indexing stage, until stopped or until it cannot go on; whether it started."""
        broker = build_broker(self.settings.redis_url, graceful_timeout=self.settings.graceful_timeout_s)
        stage = self.stage = add_stage(
            broker, stage="index", stream=ENRICHED, group=GROUP, consumer=self.consumer,
            handler=self.desk, settings=self.settings, batch_size=self.settings.index_batch_size,
        )
        started = False
        try:
            await ensure_groups(self.redis)
            await broker.start()
            started = True
            log.info("service.started", consumer=self.consumer, index=str(self.store.path))
            await self._watch(stage)
        except (RedisError, OSError) as exc:
            log.warning("redis.unavailable", consumer=self.consumer, error=f"{type(exc).__name__}: {exc}")
        finally:
            with contextlib.suppress(RedisError, OSError):  # a Redis that is away cannot be told goodbye
                await broker.stop()  # the in-flight batch commits and is acked
            if started:
                log.info("service.stopped", consumer=self.consumer, **msgspec.structs.asdict(stage.counts))
        return started

    async def _watch(self, stage: Stage) -> None:
        """Until stopped, or until the stage stops (its group is gone)."""
        while not self._stopping.is_set():
            if not stage.running:
                log.warning("service.stage_stopped", consumer=self.consumer,
                            detail="its subscribers stopped (the group vanished?): starting over")
                return
            with contextlib.suppress(RedisError, OSError):  # Redis away: readiness says so
                await self._measure_lag()
            await self._pause(WATCH_EVERY_S)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _measure_lag(self) -> None:
        for group in await self.redis.xinfo_groups(ENRICHED):
            if as_str(group["name"]) == GROUP:
                LAG_ENTRIES.set((group.get("lag") or 0) + group["pending"])

    def http_app(self) -> Litestar:
        degraded_when = {"redis": redis_readiness(self.redis), "indexer": self._indexing}
        return search_app(self.store, self.settings, degraded_when=degraded_when, reindexing=self.reindexing)

    async def _indexing(self) -> str | None:
        if self.stage is None:
            return "indexing has not started: waiting for Redis"
        return await self.stage.readiness()


def _open_for_writing(settings: Settings) -> ArticleStore:
    """The live index, rebuilt first when it was built with an older schema."""
    try:
        return ArticleStore(settings.index_dir, writable=True)
    except SchemaChanged:
        log.warning("index.schema_changed", index=str(settings.index_dir), detail="reindexing before serving")
        reindex(settings)
        return ArticleStore(settings.index_dir, writable=True)


async def serve(service: IndexService) -> int:
    return await run_until_signalled(service.stop, service.run)

