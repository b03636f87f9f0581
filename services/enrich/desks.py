"""The enrich worker's handlers: stream entries in, enriched articles out, the model shared.

No article holds up the others for more than a step of about ``STEP_CHARS`` of text
(about half a second of NER), with one worker as with several:
- a batch of short articles is enriched a step at a time, each step published as soon
  as it is done (searchable), the batch acked once all of it is settled (``EnrichDesk``);
- an article longer than ``LONG_TEXT_CHARS`` leaves its batch at once: it is set aside,
  untouched, on ``dateline:raw:long``, which every worker also reads (one article at a
  time) and enriches in slices of ``STEP_CHARS`` of passages (``LongArticleDesk``);
- the two take turns at the one model (``EnrichmentTurns``, first come first served),
  so short articles read while a long one is in NER pass between its slices.
Both stages keep their entries claimed while they are busy (``shared.consumer.ClaimKeeper``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

import msgspec
import redis.asyncio as aioredis
from prometheus_client import Counter

from shared.consumer import Delivery, Failure
from shared.logging import get_logger
from shared.schemas import EnrichedArticle, RawArticle
from shared.streams import DATA_FIELD, ENRICHED, RAW_LONG, add_all

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
        return await _publish(self._redis, step, results, started, batch_size)


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
            failed += await _publish(self._redis, [(delivery, raw)], [result], started, 1)
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


async def _publish(
    redis: aioredis.Redis,
    articles: list[tuple[Delivery, RawArticle]],
    results: Sequence[EnrichedArticle | Exception],
    started: float,
    batch_size: int,
) -> list[Failure]:
    """The enriched ones onto ``dateline:enriched`` (durable before the stage acks: one
    MULTI/EXEC), logged and counted; the failures returned."""
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    enriched, failed = _sort(articles, results)
    await add_all(redis, ENRICHED, [article for _, article in enriched])
    _record(enriched, duration_ms, batch_size)
    return failed


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
