"""The enrich worker: ``dateline:raw`` (group ``enrich``) -> Enricher -> ``dateline:enriched``.

One process, one event loop: the FastStream stages (:mod:`shared.consumer`) and the
health/metrics HTTP server (Litestar on uvicorn) share it, and the CPU-bound enrichment
runs in a thread so that /readyz and /metrics answer while a batch is in NER. Several
worker processes share the group to use several cores (``dateline up`` starts them).
Two stages, one model: ``dateline:raw`` in batches, and the long articles set aside on
``dateline:raw:long`` one at a time, taking turns (:mod:`services.enrich.desks`).

SIGTERM: stop reading, let the in-flight batches finish and be acked (or, past
``graceful_timeout_s``, leave them pending for another worker), then close. Nothing is
acked before its enriched article is on ``dateline:enriched`` (or, for a long article
set aside, before it is on ``dateline:raw:long``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from services.enrich.desks import EnrichDesk, Enrichment, EnrichmentTurns, LongArticleDesk
from shared.broker import build_broker
from shared.consumer import Delivery, Failure, Stage, add_stage
from shared.http import InLoopServer, build_app
from shared.logging import get_logger
from shared.runtime import consumer_name, redis_readiness, run_until_signalled
from shared.settings import Settings
from shared.streams import ENRICH_GROUP, RAW, RAW_LONG, as_str, ensure_groups

log = get_logger("dateline.enrich")

LoadEnrichment = Callable[[Settings], Enrichment]


def load_enricher(settings: Settings) -> Enrichment:
    """The real enrichment: spaCy NER and the gazetteer, loaded from settings, with the
    sources' history shared in Redis by every worker."""
    from services.enrich import Enricher
    from services.enrich.source_history_store import StoredSourceHistory

    return Enricher.load(settings, StoredSourceHistory.connect(settings.redis_url))


class Worker:
    """One enrich worker process: its two stages, its Redis client, its HTTP server."""

    def __init__(self, settings: Settings, load: LoadEnrichment = load_enricher) -> None:
        self.settings = settings
        self._load = load
        self._desks: tuple[EnrichDesk, LongArticleDesk] | None = None  # once the model is loaded
        self.consumer = consumer_name("enrich")
        self.redis = aioredis.Redis.from_url(settings.redis_url)
        self.broker = build_broker(
            settings.redis_url,
            graceful_timeout=settings.graceful_timeout_s,
            # A plain stdlib logger: FastStream's lines then go through structlog's JSON
            # chain; its per-batch "Received"/"Processed" ones at DEBUG (article.enriched
            # says more).
            logger=logging.getLogger("dateline.faststream"),
            log_level=logging.DEBUG,
        )
        self.stage: Stage = add_stage(
            self.broker,
            stage="enrich",
            stream=RAW,
            group=ENRICH_GROUP,
            consumer=self.consumer,
            handler=self._handle,
            settings=settings,
            batch_size=settings.enrich_batch_size,
        )
        self.long_stage: Stage = add_stage(
            self.broker,
            stage="enrich",
            stream=RAW_LONG,
            group=ENRICH_GROUP,
            consumer=self.consumer,
            handler=self._handle_long,
            settings=settings,
            batch_size=1,  # one long article at a time: the short lane takes turns with it
        )
        self._stopping = asyncio.Event()

    @property
    def stages(self) -> tuple[Stage, Stage]:
        return self.stage, self.long_stage

    async def _handle(self, batch: list[Delivery]) -> list[Failure]:
        assert self._desks is not None, "the stages start only after the model is loaded"
        return await self._desks[0](batch)

    async def _handle_long(self, batch: list[Delivery]) -> list[Failure]:
        assert self._desks is not None, "the stages start only after the model is loaded"
        return await self._desks[1](batch)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        """Serve until stopped (0) or until a stage dies under us (1: let a supervisor restart)."""
        http = InLoopServer(
            self._http_app(), self.settings.enrich_metrics_host, self.settings.enrich_metrics_port
        )
        try:
            async with http.running():  # first, so /healthz answers while the model loads
                await ensure_groups(self.redis)
                await self._load_enrichment()
                if self._stopping.is_set():
                    return 0
                await self.broker.start()
                log.info(
                    "service.started",
                    consumer=self.consumer,
                    batch_size=self.settings.enrich_batch_size,
                )
                try:
                    return await self._until_stopped()
                finally:
                    await self._shut_down()
        finally:
            await self.redis.aclose()

    async def _load_enrichment(self) -> None:
        started = time.perf_counter()
        turns = EnrichmentTurns(await asyncio.to_thread(self._load, self.settings))
        max_chars = self.settings.enrich_max_chars
        self._desks = (
            EnrichDesk(self.redis, turns, max_chars),
            LongArticleDesk(self.redis, turns, max_chars),
        )
        log.info("enricher.loaded", seconds=round(time.perf_counter() - started, 2))

    async def _until_stopped(self) -> int:
        while not self._stopping.is_set():
            if not all(stage.running for stage in self.stages):
                # e.g. a group vanished (NOGROUP): FastStream gave up
                log.error("service.stage_stopped", consumer=self.consumer)
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
        return 0

    async def _shut_down(self) -> None:
        log.info("service.stopping", consumer=self.consumer)
        await self.broker.stop()  # waits for the in-flight batch, up to graceful_timeout_s
        await self._forget_consumer()
        log.info(
            "service.stopped",
            consumer=self.consumer,
            **msgspec.structs.asdict(self.stage.counts),
            long_articles=self.long_stage.counts.done,
        )

    async def _forget_consumer(self) -> None:
        # Each process is a new consumer name; drop ours from the groups when it holds
        # nothing, so XINFO stays readable. With entries pending it must stay: they are
        # claimed from it by the others.
        for stream in (RAW, RAW_LONG):
            try:
                consumers = await self.redis.xinfo_consumers(stream, ENRICH_GROUP)
            except ResponseError:  # the stream or group is gone: nothing to forget
                continue
            mine = [c for c in consumers if as_str(c["name"]) == self.consumer]
            if mine and mine[0]["pending"] == 0:
                await self.redis.xgroup_delconsumer(stream, ENRICH_GROUP, self.consumer)

    def _http_app(self):
        return build_app(
            "enrich",
            routes=[],
            checks={
                "redis": redis_readiness(self.redis),
                "model": self._model_loaded,
                "stage": self.stage.readiness,
                "long_stage": self.long_stage.readiness,
            },
            title="Dateline enrich worker",
        )

    async def _model_loaded(self) -> str | None:
        return None if self._desks is not None else "the NER model and gazetteer are loading"


async def serve(worker: Worker) -> int:
    """Run ``worker`` until SIGTERM or SIGINT; return the process exit code."""
    return await run_until_signalled(worker.stop, worker.run)

