"""The enrich worker: ``dateline:raw`` (group ``enrich``) -> Enricher -> ``dateline:enriched``.

One process, one event loop: the FastStream stage (:mod:`shared.consumer`) and the
health/metrics HTTP server (Litestar on uvicorn) share it, and the CPU-bound enrichment
runs in a thread so that /readyz and /metrics answer while a batch is in NER. Several
worker processes share the group to use several cores (``dateline up`` starts them).

SIGTERM: stop reading, let the in-flight batch finish and be acked (or, past
``graceful_timeout_s``, leave it pending for another worker), then close. Nothing is
acked before its enriched article is on ``dateline:enriched``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence

import msgspec
import redis.asyncio as aioredis
from prometheus_client import Counter
from redis.exceptions import ResponseError

from shared.broker import build_broker
from shared.consumer import Delivery, Failure, Stage, add_stage
from shared.http import InLoopServer, build_app
from shared.logging import get_logger
from shared.schemas import EnrichedArticle, RawArticle
from shared.settings import Settings
from shared.streams import ENRICHED, RAW, add_all, as_str, ensure_groups

log = get_logger("dateline.enrich")

# One result per article, in order: the enriched article, or why it could not be enriched.
EnrichBatch = Callable[[list[RawArticle]], Sequence[EnrichedArticle | Exception]]
LoadEnrichment = Callable[[Settings], EnrichBatch]

ARTICLES = Counter("dateline_enrich_articles_total", "Articles enriched and published.")
ENTITIES = Counter("dateline_enrich_entities_total", "Entities found in published articles.")
PLACES = Counter("dateline_enrich_places_total", "Places resolved in published articles.")

_raw_decoder = msgspec.json.Decoder(RawArticle)


class EnrichDesk:
    """The stage's batch handler: decode, enrich (one NER pass per batch), publish."""

    def __init__(self, redis: aioredis.Redis, enrich: EnrichBatch, max_chars: int) -> None:
        self._redis = redis
        self._enrich = enrich
        self._max_chars = max_chars

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        articles, unreadable = _decode(batch, self._max_chars)
        if not articles:
            return unreadable
        started = time.perf_counter()
        results = await asyncio.to_thread(self._enrich, [raw for _, raw in articles])
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        enriched, failed = _sort(articles, results)
        # Durable before the stage acks: one MULTI/EXEC for the whole batch.
        await add_all(self._redis, ENRICHED, [article for _, article in enriched])
        _record(enriched, duration_ms, len(articles))
        return unreadable + failed


def _decode(
    batch: list[Delivery], max_chars: int
) -> tuple[list[tuple[Delivery, RawArticle]], list[Failure]]:
    articles, unreadable = [], []
    for delivery in batch:
        try:
            raw = _raw_decoder.decode(delivery.body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            unreadable.append(_refuse(delivery, "invalid_article", f"not a RawArticle: {exc}"))
            continue
        if len(raw.text) > max_chars:
            unreadable.append(_refuse(delivery, "text_too_long", (
                f"text of {len(raw.text):,} characters is over DATELINE_ENRICH_MAX_CHARS={max_chars:,}"
            )))
            continue
        articles.append((delivery, raw))
    return articles, unreadable


def _refuse(delivery: Delivery, reason: str, error: str) -> Failure:
    return Failure(entry_id=delivery.entry_id, reason=reason, error=error, permanent=True)


def _sort(
    articles: list[tuple[Delivery, RawArticle]], results: Sequence[EnrichedArticle | Exception]
) -> tuple[list[tuple[Delivery, EnrichedArticle]], list[Failure]]:
    if len(results) != len(articles):
        raise RuntimeError(
            f"the enricher returned {len(results)} results for {len(articles)} articles"
        )
    enriched, failed = [], []
    for (delivery, raw), result in zip(articles, results, strict=True):
        if isinstance(result, Exception):
            log.warning(
                "article.enrich_failed",
                article_id=raw.id,
                entry_id=delivery.entry_id,
                error=repr(result),
            )
            failed.append(
                Failure(
                    entry_id=delivery.entry_id,
                    reason="enrich_failed",
                    error=f"{type(result).__name__}: {result}",
                )
            )
        else:
            enriched.append((delivery, result))
    return enriched, failed


def _record(
    enriched: list[tuple[Delivery, EnrichedArticle]], duration_ms: float, batch_size: int
) -> None:
    for delivery, article in enriched:
        log.info(
            "article.enriched",
            article_id=article.id,
            entry_id=delivery.entry_id,
            entities=len(article.entities),
            places=len(article.places),
            focus=article.focus.resolved_name if article.focus else None,
            duration_ms=duration_ms,  # the batch's enrichment time
            batch_size=batch_size,
        )
        ENTITIES.inc(len(article.entities))
        PLACES.inc(len(article.places))
    ARTICLES.inc(len(enriched))


def load_enricher(settings: Settings) -> EnrichBatch:
    """The real enrichment: spaCy NER and the gazetteer, loaded from settings."""
    from services.enrich import Enricher

    return Enricher.load(settings).enrich_batch


def consumer_name() -> str:
    """Unique per process, and says where to look: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """One enrich worker process: the stage, its Redis client, its HTTP server."""

    def __init__(self, settings: Settings, load: LoadEnrichment = load_enricher) -> None:
        self.settings = settings
        self._load = load
        self._desk: EnrichDesk | None = None  # once the model is loaded
        self.consumer = consumer_name()
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
            group="enrich",
            consumer=self.consumer,
            handler=self._handle,
            settings=settings,
            batch_size=settings.enrich_batch_size,
        )
        self._stopping = asyncio.Event()

    async def _handle(self, batch: list[Delivery]) -> list[Failure]:
        assert self._desk is not None, "the stage starts only after the model is loaded"
        return await self._desk(batch)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        """Serve until stopped (0) or until the stage dies under us (1: let a supervisor restart)."""
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
                    "worker.started",
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
        self._desk = EnrichDesk(
            self.redis, await asyncio.to_thread(self._load, self.settings), self.settings.enrich_max_chars
        )
        log.info("enricher.loaded", seconds=round(time.perf_counter() - started, 2))

    async def _until_stopped(self) -> int:
        while not self._stopping.is_set():
            if not self.stage.running:  # e.g. the group vanished (NOGROUP): FastStream gave up
                log.error("worker.stage_stopped", consumer=self.consumer)
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
        return 0

    async def _shut_down(self) -> None:
        log.info("worker.stopping", consumer=self.consumer)
        await self.broker.stop()  # waits for the in-flight batch, up to graceful_timeout_s
        await self._forget_consumer()
        log.info(
            "worker.stopped", consumer=self.consumer, **msgspec.structs.asdict(self.stage.counts)
        )

    async def _forget_consumer(self) -> None:
        # Each process is a new consumer name; drop ours from the group when it holds
        # nothing, so XINFO stays readable. With entries pending it must stay: they are
        # claimed from it by the others.
        try:
            consumers = await self.redis.xinfo_consumers(RAW, "enrich")
        except ResponseError:  # the stream or group is gone: nothing to forget
            return
        mine = [c for c in consumers if as_str(c["name"]) == self.consumer]
        if mine and mine[0]["pending"] == 0:
            await self.redis.xgroup_delconsumer(RAW, "enrich", self.consumer)

    def _http_app(self):
        return build_app(
            "enrich",
            routes=[],
            checks={
                "redis": self._redis_reachable,
                "model": self._model_loaded,
                "stage": self.stage.readiness,
            },
            title="Dateline enrich worker",
        )

    async def _redis_reachable(self) -> str | None:
        return None if await self.redis.ping() else "Redis did not answer PING"

    async def _model_loaded(self) -> str | None:
        return None if self._desk is not None else "the NER model and gazetteer are loading"


async def serve(worker: Worker) -> int:
    """Run ``worker`` until SIGTERM or SIGINT; return the process exit code."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    return await worker.run()

