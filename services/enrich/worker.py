"""The enrich worker: ``dateline:raw`` (group ``enrich``) -> Enricher -> ``dateline:enriched``.

One process, one event loop: the FastStream stages (:mod:`shared.consumer`) and the
health/metrics HTTP server (Litestar on uvicorn) share it, and the CPU-bound enrichment
runs in a thread so that /readyz and /metrics answer while a batch is in NER. Several
worker processes share the group to use several cores (``dateline up`` starts them).

No article holds up the others for more than a step of about ``STEP_CHARS`` of text
(a second or two of NER), with one worker as with several:
- a batch of short articles is enriched a step at a time, each step published as soon
  as it is done (searchable), the batch acked once all of it is settled;
- an article longer than ``LONG_TEXT_CHARS`` leaves its batch at once: it is set aside,
  untouched, on ``dateline:raw:long``, which every worker also reads (one article at a
  time) and enriches in slices of ``STEP_CHARS`` of passages;
- the two lanes take turns at the one model (``EnrichmentTurns``, first come first
  served), so short articles read while a long one is in NER pass between its slices.
A lane's entries stay claimed by their worker while it is busy (``ClaimKeeper``).

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
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

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
from shared.streams import DATA_FIELD, ENRICHED, RAW, RAW_LONG, add_all, as_str, ensure_groups

log = get_logger("dateline.enrich")

# Text per step of enrichment, about half a second of NER on one core: how long another
# article may have to wait for its turn at the model (a long article's last two steps,
# on all its mentions, take longer: ~1.5 s each for a million characters).
STEP_CHARS = 20_000
# A longer text is set aside and enriched in slices (most news is under 10,000).
LONG_TEXT_CHARS = 50_000
T = TypeVar("T")
_ENDED = object()


class Enrichment(Protocol):
    """What the worker needs of the enrichment (:class:`services.enrich.Enricher`)."""

    def enrich_batch(
        self, raws: Sequence[RawArticle]
    ) -> Sequence[EnrichedArticle | Exception]: ...  # one result per article, in order

    def enrich_in_slices(
        self, raw: RawArticle, slice_chars: int
    ) -> Iterator[EnrichedArticle | None]: ...  # None after each step, then the article


LoadEnrichment = Callable[[Settings], Enrichment]

ARTICLES = Counter("dateline_enrich_articles_total", "Articles enriched and published.")
ENTITIES = Counter("dateline_enrich_entities_total", "Entities found in published articles.")
PLACES = Counter("dateline_enrich_places_total", "Places resolved in published articles.")

_raw_decoder = msgspec.json.Decoder(RawArticle)


class EnrichmentTurns:
    """The one model, lent to one step of enrichment at a time, in the order asked."""

    def __init__(self, enrichment: Enrichment) -> None:
        self.enrichment = enrichment
        self._lock = asyncio.Lock()  # first come, first served

    async def run(self, step: Callable[..., T], *args: object) -> T:
        """``step(*args)`` in a thread, when it is this step's turn."""
        async with self._lock:
            work = asyncio.ensure_future(asyncio.to_thread(step, *args))
            try:
                return await asyncio.shield(work)
            except asyncio.CancelledError:
                # The thread cannot be stopped: the model stays lent until it is done.
                await asyncio.wait([work])
                raise


class EnrichDesk:
    """The stage's batch handler on ``dateline:raw``: decode, set long articles aside,
    enrich the rest a step at a time, publishing each step."""

    def __init__(self, redis: aioredis.Redis, turns: EnrichmentTurns, max_chars: int) -> None:
        self._redis = redis
        self._turns = turns
        self._max_chars = max_chars

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        articles, unreadable = _decode(batch, self._max_chars)
        long = [(d, raw) for d, raw in articles if len(raw.text) > LONG_TEXT_CHARS]
        await _set_aside(self._redis, long)
        short = [(d, raw) for d, raw in articles if len(raw.text) <= LONG_TEXT_CHARS]
        failed = []
        for step in _steps(short, STEP_CHARS):
            failed += await self._enrich(step, len(articles))
        return unreadable + failed

    async def _enrich(
        self, step: list[tuple[Delivery, RawArticle]], batch_size: int
    ) -> list[Failure]:
        started = time.perf_counter()
        enrichment = self._turns.enrichment
        results = await self._turns.run(enrichment.enrich_batch, [raw for _, raw in step])
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        enriched, failed = _sort(step, results)
        # Durable before the stage acks: one MULTI/EXEC per step.
        await add_all(self._redis, ENRICHED, [article for _, article in enriched])
        _record(enriched, duration_ms, batch_size)
        return failed


class LongArticleDesk:
    """The stage's handler on ``dateline:raw:long``: each article enriched in slices,
    taking turns at the model with the short articles' steps."""

    def __init__(self, redis: aioredis.Redis, turns: EnrichmentTurns, max_chars: int) -> None:
        self._redis = redis
        self._turns = turns
        self._max_chars = max_chars

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        articles, failed = _decode(batch, self._max_chars)
        for delivery, raw in articles:
            started = time.perf_counter()
            result = await self._in_slices(raw)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            enriched, not_enriched = _sort([(delivery, raw)], [result])
            await add_all(self._redis, ENRICHED, [article for _, article in enriched])
            _record(enriched, duration_ms, 1)
            failed += not_enriched
        return failed

    async def _in_slices(self, raw: RawArticle) -> EnrichedArticle | Exception:
        slices = self._turns.enrichment.enrich_in_slices(raw, STEP_CHARS)
        try:
            while True:
                done = await self._turns.run(next, slices, _ENDED)
                if done is _ENDED:
                    raise RuntimeError(f"the enrichment of {raw.id} ended without an article")
                if done is not None:
                    return done
        except Exception as exc:  # noqa: BLE001 - reported per article, like a batch's
            return exc


async def _set_aside(redis: aioredis.Redis, articles: list[tuple[Delivery, RawArticle]]) -> None:
    """Long articles onto ``dateline:raw:long``, their entries untouched; durable before
    the stage acks them here."""
    if not articles:
        return
    async with redis.pipeline(transaction=True) as pipe:
        for delivery, _ in articles:
            pipe.xadd(RAW_LONG, {DATA_FIELD: delivery.body})
        await pipe.execute()
    for delivery, raw in articles:
        log.info(
            "article.set_aside",
            article_id=raw.id,
            entry_id=delivery.entry_id,
            chars=len(raw.text),
            stream=RAW_LONG,
        )


def _steps(
    articles: list[tuple[Delivery, RawArticle]], chars: int
) -> Iterator[list[tuple[Delivery, RawArticle]]]:
    """Consecutive runs of ``articles`` of about ``chars`` characters of text each."""
    step: list[tuple[Delivery, RawArticle]] = []
    size = 0
    for article in articles:
        step.append(article)
        size += len(article[1].text)
        if size >= chars:
            yield step
            step, size = [], 0
    if step:
        yield step


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


def load_enricher(settings: Settings) -> Enrichment:
    """The real enrichment: spaCy NER and the gazetteer, loaded from settings."""
    from services.enrich import Enricher

    return Enricher.load(settings)


def consumer_name() -> str:
    """Unique per process, and says where to look: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """One enrich worker process: the stage, its Redis client, its HTTP server."""

    def __init__(self, settings: Settings, load: LoadEnrichment = load_enricher) -> None:
        self.settings = settings
        self._load = load
        self._desks: tuple[EnrichDesk, LongArticleDesk] | None = None  # once the model is loaded
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
        self.long_stage: Stage = add_stage(
            self.broker,
            stage="enrich",
            stream=RAW_LONG,
            group="enrich",
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
            "worker.stopped",
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
                consumers = await self.redis.xinfo_consumers(stream, "enrich")
            except ResponseError:  # the stream or group is gone: nothing to forget
                continue
            mine = [c for c in consumers if as_str(c["name"]) == self.consumer]
            if mine and mine[0]["pending"] == 0:
                await self.redis.xgroup_delconsumer(stream, "enrich", self.consumer)

    def _http_app(self):
        return build_app(
            "enrich",
            routes=[],
            checks={
                "redis": self._redis_reachable,
                "model": self._model_loaded,
                "stage": self.stage.readiness,
                "long_stage": self.long_stage.readiness,
            },
            title="Dateline enrich worker",
        )

    async def _redis_reachable(self) -> str | None:
        return None if await self.redis.ping() else "Redis did not answer PING"

    async def _model_loaded(self) -> str | None:
        return None if self._desks is not None else "the NER model and gazetteer are loading"


async def serve(worker: Worker) -> int:
    """Run ``worker`` until SIGTERM or SIGINT; return the process exit code."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    return await worker.run()

