"""The indexer: ``dateline:enriched`` (group ``index``) -> the article store, one batch per commit.

The shared stage (:mod:`shared.consumer`) reads and settles entries; :class:`IndexDesk`
is its handler: decode, upsert the batch, commit, and only then return, so the stage
acks only what is durable in the index. A crash between commit and ack redelivers the
batch, and the upserts, idempotent by article id and version, change nothing.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import msgspec
from prometheus_client import Counter, Gauge, Histogram

from services.index.domain import UpsertReport
from services.index.port import ArticleSink
from shared.consumer import Delivery, Failure
from shared.logging import get_logger
from shared.schemas import EnrichedArticle

log = get_logger("dateline.index")

INDEXED = Counter("dateline_index_articles_total", "Articles by what indexing did: written, stale, rejected.", ["outcome"])
COMMIT_SECONDS = Histogram(
    "dateline_index_commit_seconds", "Time to upsert and commit one batch.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELAY_SECONDS = Gauge(
    "dateline_index_delay_seconds",
    "For the last committed batch: seconds from enrichment of its newest article to searchable.",
)
SEARCHABLE_SECONDS = Histogram(
    "dateline_time_to_searchable_seconds",
    "Per written article: seconds from ingest's receipt (received_at) to the index commit.",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

_decoder = msgspec.json.Decoder(EnrichedArticle)


class IndexDesk:
    """The stage's batch handler. Writes happen in a worker thread, one batch at a time,
    under a lock that a reindex takes to switch generations between two batches."""

    def __init__(self, store: ArticleSink) -> None:
        self.store = store
        self._writing = threading.Lock()

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        articles, unreadable = _decode(batch)
        if not articles:
            return unreadable
        report = await asyncio.to_thread(self._write, [article for _, article in articles])
        _record(articles, report)
        return unreadable + _rejections(articles, report)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No batch is written while inside (a reindex catches up and switches here)."""
        with self._writing:
            yield

    def _write(self, articles: list[EnrichedArticle]) -> UpsertReport:
        started = time.perf_counter()
        with self._writing:
            try:
                report = self.store.upsert(articles)
                self.store.commit()
            except Exception:
                self.store.rollback()  # nothing half-staged may ride along with the next batch
                raise
        COMMIT_SECONDS.observe(time.perf_counter() - started)
        return report


def _decode(batch: list[Delivery]) -> tuple[list[tuple[Delivery, EnrichedArticle]], list[Failure]]:
    articles, unreadable = [], []
    for delivery in batch:
        try:
            articles.append((delivery, _decoder.decode(delivery.body)))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            unreadable.append(Failure(
                entry_id=delivery.entry_id, reason="invalid_article",
                error=f"not an EnrichedArticle: {exc}", permanent=True,
            ))
    return articles, unreadable


def _rejections(articles: list[tuple[Delivery, EnrichedArticle]], report: UpsertReport) -> list[Failure]:
    reasons = {r.id: r.reason for r in report.rejected}
    return [
        Failure(entry_id=d.entry_id, reason="store_rejected", error=reasons[a.id], permanent=True)
        for d, a in articles
        if a.id in reasons
    ]


def _record(articles: list[tuple[Delivery, EnrichedArticle]], report: UpsertReport) -> None:
    written, stale = set(report.written), set(report.stale)
    now = datetime.now(UTC)
    for delivery, article in articles:
        if article.id in written:
            log.info("article.indexed", article_id=article.id, entry_id=delivery.entry_id)
            SEARCHABLE_SECONDS.observe(max(0.0, (now - article.received_at).total_seconds()))
        elif article.id in stale:
            log.info("article.stale", article_id=article.id, entry_id=delivery.entry_id,
                     detail="a newer version is already indexed")
    INDEXED.labels("written").inc(len(report.written))
    INDEXED.labels("stale").inc(len(report.stale))
    INDEXED.labels("rejected").inc(len(report.rejected))
    enriched = [a.enriched_at for _, a in articles if a.enriched_at is not None]
    if enriched:
        newest = max(e if e.tzinfo else e.replace(tzinfo=UTC) for e in enriched)
        DELAY_SECONDS.set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
