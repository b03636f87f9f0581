"""The index service process: the indexer stage and the search API in one event loop.

It is the only writer of the index. Search requests run in worker threads (tantivy
releases the GIL) and reload before each request, so a commit is searchable at once;
indexing writes in a thread too, so the API answers while a batch commits. More
search capacity: start read-only processes with ``python -m services.index search``
(same index directory, any port); they follow commits and reindex switches.
"""

from __future__ import annotations

import contextlib

from litestar import Litestar
from prometheus_client import Gauge
from redis.exceptions import RedisError

from services.index.api import search_app
from services.index.indexer import IndexDesk
from services.index.reindex import IndexBusy, ReindexJob, reindex
from services.index.tantivy_store import ArticleStore, SchemaChanged
from shared.consumer import Stage
from shared.logging import get_logger
from shared.runtime import ConfigurationError, Service, consumer_name, redis_client, redis_readiness
from shared.serving import InLoopServer
from shared.settings import Settings
from shared.streams import ENRICHED, INDEX_GROUP, as_str

log = get_logger("dateline.index")

LAG_ENTRIES = Gauge("dateline_index_lag_entries", "Entries of dateline:enriched not yet indexed (group lag + pending).")
LAG_EVERY_S = 1.0


class IndexService:
    """Search, always; indexing whenever Redis lets it.

    Search reads only the index, so it answers while Redis is away; readiness names what is
    degraded (``redis``, ``indexer``). The indexing stage is kept running by the runtime
    (:mod:`shared.runtime`): it starts over in this process when Redis was away or came
    back empty.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = _open_for_writing(settings)
        self.desk = IndexDesk(self.store)
        self.reindexing = ReindexJob(self.store, self.desk.paused)
        self.redis = redis_client(settings)
        self.stage = Stage(stage="index", stream=ENRICHED, group=INDEX_GROUP, consumer=consumer_name("index"),
                           handler=self.desk, settings=settings, batch_size=settings.index_batch_size)
        http = InLoopServer(self.http_app(), settings.search_host, settings.search_port)
        self.service = Service(
            "index", settings, http=http, redis=self.redis, stages=(self.stage,),
            loops=(self._measure_lag,), close=(self._close_store,), started={"index": str(self.store.path)},
        )

    def stop(self) -> None:
        self.service.stop()

    async def run(self) -> int:
        """Serve until stopped; indexing starts over by itself whenever it has to."""
        return await self.service.run()

    async def _measure_lag(self) -> None:
        while not self.service.stopping:
            with contextlib.suppress(RedisError, OSError, TimeoutError):  # Redis away: readiness says so
                for group in await self.redis.xinfo_groups(ENRICHED):
                    if as_str(group["name"]) == INDEX_GROUP:
                        LAG_ENTRIES.set((group.get("lag") or 0) + group["pending"])
            await self.service.pause(LAG_EVERY_S)

    async def _close_store(self) -> None:
        self.store.close()

    def http_app(self) -> Litestar:
        degraded_when = {"redis": redis_readiness(self.redis), "indexer": self.stage.readiness}
        return search_app(self.store, self.settings, degraded_when=degraded_when, reindexing=self.reindexing)


def _open_for_writing(settings: Settings) -> ArticleStore:
    """The live index, rebuilt first when it was built with an older schema."""
    try:
        return ArticleStore(settings.index_dir, writable=True)
    except SchemaChanged:
        log.warning("index.schema_changed", index=str(settings.index_dir), detail="reindexing before serving")
        reindex(settings)
        return ArticleStore(settings.index_dir, writable=True)


def build(settings: Settings) -> Service:
    """The index service's composition root, for :func:`shared.runtime.run_service`."""
    try:
        return IndexService(settings).service
    except IndexBusy as exc:  # another process writes this index: starting again cannot help
        raise ConfigurationError(f"{exc}; for more search capacity run `python -m services.index search`") from exc

