"""The enrich worker: ``dateline:raw`` (group ``enrich``) -> Enricher -> ``dateline:enriched``.

One process, one event loop, run by the service runtime (:mod:`shared.runtime`): the
FastStream stages (:mod:`shared.consumer`) and the health/metrics HTTP server (the bare
:class:`shared.health.HealthApp` on uvicorn) share it, and the CPU-bound enrichment
runs in a thread so that /readyz and /metrics answer while a batch is in NER. Several
worker processes share the group to use several cores (``dateline up`` starts them).
Two stages, one model: ``dateline:raw`` in batches, and the long articles set aside on
``dateline:raw:long`` one at a time, taking turns (:mod:`services.enrich.desks`).

SIGTERM: stop reading, let the in-flight batches finish and be acked (or, past
``graceful_timeout_s``, abandon them, pending, to another worker: ``batch.abandoned``),
then close. Nothing is acked before its enriched article is on ``dateline:enriched`` (or,
for a long article set aside, before it is on ``dateline:raw:long``). A Redis that came
back empty (no groups) does not end the process: the runtime starts the stages over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from redis.exceptions import RedisError, ResponseError

from services.enrich.desks import EnrichDesk, Enrichment, EnrichmentTurns, LongArticleDesk
from shared.auth import OperatorKeys
from shared.consumer import Delivery, Failure, Stage
from shared.health import HealthApp
from shared.logging import get_logger
from shared.runtime import Service, consumer_name, redis_client, redis_readiness
from shared.serving import InLoopServer
from shared.settings import Settings
from shared.streams import ENRICH_GROUP, RAW, RAW_LONG, as_str

log = get_logger("dateline.enrich")

LoadEnrichment = Callable[[Settings], Enrichment]


def load_enricher(settings: Settings) -> Enrichment:
    """The real enrichment: spaCy NER and the gazetteer, loaded from settings, with the
    sources' history shared in Redis by every worker."""
    from services.enrich import Enricher
    from services.enrich.source_history_store import StoredSourceHistory

    return Enricher.load(settings, StoredSourceHistory.connect(settings))


class Worker:
    """One enrich worker process: its two stages and the model they share, on the runtime."""

    def __init__(self, settings: Settings, load: LoadEnrichment = load_enricher) -> None:
        self.settings = settings
        self._load = load
        self._desks: tuple[EnrichDesk, LongArticleDesk] | None = None  # once the model is loaded
        self.consumer = consumer_name("enrich")
        self.redis = redis_client(settings)
        lane = {"group": ENRICH_GROUP, "consumer": self.consumer, "settings": settings}
        self.stage = Stage(stage="enrich", stream=RAW, handler=self._handle,
                           batch_size=settings.enrich_batch_size, **lane)
        # One long article at a time: the short lane takes turns with it.
        self.long_stage = Stage(stage="enrich", stream=RAW_LONG, handler=self._handle_long, batch_size=1, **lane)
        self.service = Service(
            "enrich", settings, http=self._http(), redis=self.redis, prepare=self._load_enrichment,
            stages=(self.stage, self.long_stage), close=(self._forget_consumer,),
            started={"batch_size": settings.enrich_batch_size},
        )

    async def _handle(self, batch: list[Delivery]) -> list[Failure]:
        assert self._desks is not None, "the stages start only after the model is loaded"
        return await self._desks[0](batch)

    async def _handle_long(self, batch: list[Delivery]) -> list[Failure]:
        assert self._desks is not None, "the stages start only after the model is loaded"
        return await self._desks[1](batch)

    def stop(self) -> None:
        self.service.stop()

    async def run(self) -> int:
        """Serve until stopped; the stages start over by themselves when Redis lets them."""
        return await self.service.run()

    async def _load_enrichment(self) -> None:
        started = time.perf_counter()
        turns = EnrichmentTurns(await asyncio.to_thread(self._load, self.settings))
        max_chars = self.settings.enrich_max_chars
        self._desks = (
            EnrichDesk(self.redis, turns, max_chars),
            LongArticleDesk(self.redis, turns, max_chars),
        )
        log.info("enricher.loaded", seconds=round(time.perf_counter() - started, 2))

    async def _forget_consumer(self) -> None:
        # Each process is a new consumer name; drop ours from the groups when it holds
        # nothing, so XINFO stays readable. With entries pending it must stay: they are
        # claimed from it by the others.
        for stream in (RAW, RAW_LONG):
            try:
                consumers = await self.redis.xinfo_consumers(stream, ENRICH_GROUP)
                mine = [c for c in consumers if as_str(c["name"]) == self.consumer]
                if mine and mine[0]["pending"] == 0:
                    await self.redis.xgroup_delconsumer(stream, ENRICH_GROUP, self.consumer)
            except ResponseError:  # the stream or group is gone: nothing to forget
                continue
            except RedisError:  # Redis is away: the name stays until it is back and claimed from
                return

    def _http(self) -> InLoopServer:
        # Health and metrics only: the bare app, not Litestar (a third of a second of imports).
        health = HealthApp({
            "redis": redis_readiness(self.redis),
            "model": self._model_loaded,
            "stage": self.stage.readiness,
            "long_stage": self.long_stage.readiness,
        }, OperatorKeys(self.settings.admin_keys))
        return InLoopServer(health, self.settings.enrich_metrics_host, self.settings.enrich_metrics_port)

    async def _model_loaded(self) -> str | None:
        return None if self._desks is not None else "the NER model and gazetteer are loading"


def build(settings: Settings) -> Service:
    """The enrich worker's composition root, for :func:`shared.runtime.run_service`."""
    return Worker(settings).service
