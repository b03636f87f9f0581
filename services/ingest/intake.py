"""Decoded articles in, per-article results out: normalise, publish, log and count.

Both entries of ingest (HTTP and dateline:incoming) go through :class:`Intake`, so an
article is judged the same way whichever door it came in by.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from prometheus_client import Counter

from services.ingest.decode import Candidate, Decoded, Rejection
from services.ingest.extraction import PageReader
from services.ingest.normalise import NotAnArticle, normalise
from services.ingest.page import PageReading
from services.ingest.press import Press
from services.ingest.publish import Published
from shared.logging import get_logger
from shared.schemas import IngestResult, RawArticle

log = get_logger("dateline.ingest")

ARTICLES = Counter(
    "dateline_ingest_articles_total",
    "Articles ingest has judged, by outcome and entry (http, incoming).",
    ["status", "via"],
)


# Why an article that was not rejected was (not) published again, for the logs.
_REASONS = {
    "accepted": {},
    "updated": {"reason": "content changed since it was last published"},
    "duplicate": {"reason": "already published with the same content"},
}


def _now() -> datetime:
    return datetime.now(UTC)


class Intake:
    def __init__(
        self,
        press: Press,
        pages: PageReader,
        max_chars: int,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._press = press
        self._pages = pages
        self._max_chars = max_chars
        self._clock = clock

    async def take(
        self, decoded: Sequence[Decoded], via: str, origins: Sequence[str] = ()
    ) -> list[IngestResult]:
        """Publish the valid articles; one result per item, in order.

        ``origins`` names where each item came from (the dateline:incoming entry id), for
        the logs. Raises BacklogFull when the articles would take the enrich backlog past
        its limit, redis.exceptions.RedisError when Redis fails: then nothing was published.
        """
        judged = await self._normalised(decoded)
        raws = [item for item in judged if isinstance(item, RawArticle)]
        published = iter(await self._press.publish(raws))
        results = []
        for position, (item, article) in enumerate(zip(decoded, judged, strict=True)):
            origin = origins[position] if origins else None
            if isinstance(article, Rejection):
                results.append(self._rejected(article, via, origin))
            else:
                results.append(self._published(item.index, article, next(published), via, origin))
        return results

    async def _normalised(self, decoded: Sequence[Decoded]) -> list[RawArticle | Rejection]:
        received_at = self._clock()
        # One page at a time: a request holds at most one extraction worker.
        readings = [
            await self._pages.read(d.article.html)
            if isinstance(d, Candidate) and d.article.html is not None else None
            for d in decoded
        ]
        # Long texts to clean, a language model loading: off the event loop, so that health
        # checks and other requests keep being answered meanwhile.
        return await asyncio.to_thread(_normalise_all, decoded, readings, received_at, self._max_chars)

    def _rejected(self, rejection: Rejection, via: str, origin: str | None) -> IngestResult:
        ARTICLES.labels("rejected", via).inc()
        log.info(
            "article.rejected", via=via, index=rejection.index, field=rejection.field,
            reason=rejection.reason, **_sender(rejection.url), **_origin(origin),
        )
        return IngestResult(
            index=rejection.index, status="rejected", field=rejection.field, reason=rejection.reason
        )

    def _published(
        self, index: int, article: RawArticle, outcome: Published, via: str, origin: str | None
    ) -> IngestResult:
        ARTICLES.labels(outcome.status, via).inc()
        log.info(
            f"article.{outcome.status}", article_id=article.id, entry_id=outcome.entry_id,
            source=article.source, via=via, **_REASONS[outcome.status], **_origin(origin),
        )
        return IngestResult(index=index, status=outcome.status, id=article.id)


def _normalise_all(
    decoded: Sequence[Decoded], readings: Sequence[PageReading | None], received_at: datetime, max_chars: int
) -> list[RawArticle | Rejection]:
    return [
        _normalise_one(item, reading, received_at, max_chars)
        for item, reading in zip(decoded, readings, strict=True)
    ]


def _normalise_one(
    item: Decoded, reading: PageReading | None, received_at: datetime, max_chars: int
) -> RawArticle | Rejection:
    if isinstance(item, Rejection):
        return item
    try:
        return normalise(item.article, received_at, max_chars, reading)
    except NotAnArticle as exc:
        return Rejection(item.index, exc.field, exc.reason, url=item.article.url)


def _sender(url: str | None) -> dict[str, str]:
    """Who sent a rejected article, as far as its URL tells."""
    if not url:
        return {}
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = ""
    return {"url": url[:300], "source": host}


def _origin(origin: str | None) -> dict[str, str]:
    return {"incoming_entry_id": origin} if origin else {}
