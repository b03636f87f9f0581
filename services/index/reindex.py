"""Rebuild the index from its replayable source: the enriched articles it stores.

Every document keeps its whole EnrichedArticle, so a new schema is applied by reading
the live generation and writing a fresh one, then switching ``CURRENT``. Search carries
on throughout (readers follow ``CURRENT`` at their next request). Two ways in:

- the index service is running (it holds the only writer): ``POST /v1/reindex`` on it;
  the bulk copy runs beside indexing, and the catch-up plus switch happen between two
  batches (:meth:`~services.index.indexer.IndexDesk.paused`);
- it is not: :func:`reindex` does the same from the command line (``dateline reindex``,
  ``python -m services.index reindex``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Literal

from msgspec import Struct

from services.index import generations
from services.index.domain import Change, StoreStats
from services.index.tantivy_store import ArticleStore, IndexBusy, stored_articles, writer_lock
from shared.logging import get_logger
from shared.schemas import EnrichedArticle
from shared.settings import Settings

log = get_logger("dateline.index")

__all__ = ["IndexBusy", "ReindexJob", "ReindexStatus", "rebuild", "reindex"]

COPY_BATCH = 1000


class ReindexStatus(Struct, kw_only=True, omit_defaults=True):
    state: Literal["idle", "running", "done", "failed"] = "idle"
    copied: int = 0
    generation: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    error: str | None = None


def rebuild(
    live: ArticleStore,
    *,
    pause: Callable[[], AbstractContextManager[None]] = nullcontext,
    progress: Callable[[int], None] = lambda copied: None,
) -> StoreStats:
    """Copy every article of ``live`` into a fresh generation and switch ``live`` to it.

    The bulk copy runs beside indexing; ``pause`` holds the indexer off for the short
    catch-up (what changed meanwhile) and the switch.
    """
    target = ArticleStore(generations.fresh(live.root), writable=True, follow=False)
    try:
        copied, last_seq = _copy(live.articles(), target, progress)
        with pause():
            more, _ = _copy(live.articles(after_seq=last_seq), target, progress)
            target.close()  # release its writer: the live store takes it over
            live.switch_to(target.path)
    except BaseException:
        target.close()
        raise
    stats = live.stats()
    log.info("index.reindexed", articles=copied + more, generation=stats.generation)
    return stats


def reindex(settings: Settings) -> StoreStats:
    """Rebuild the index at ``settings.index_dir`` while no index service runs.

    Reads the live generation whatever schema built it (a schema change is what this is
    for), holding its writer lock so that no indexer writes meanwhile.
    """
    root = settings.index_dir
    root.mkdir(parents=True, exist_ok=True)
    live = generations.current(root)
    if not (live / "meta.json").exists():
        return ArticleStore(root).stats()  # nothing indexed yet: a fresh index is current
    try:
        with writer_lock(live):
            target = ArticleStore(generations.fresh(root), writable=True, follow=False)
            try:
                copied, _ = _copy(stored_articles(live), target, lambda n: None)
            finally:
                target.close()
            generations.switch(root, target.path)
    except IndexBusy as exc:
        raise IndexBusy(
            f"the index at {root} is held by the running index service: "
            f"ask it with POST http://{settings.search_host}:{settings.search_port}/v1/reindex"
        ) from exc
    stats = ArticleStore(root).stats()
    log.info("index.reindexed", articles=copied, generation=stats.generation)
    return stats


class ReindexJob:
    """At most one rebuild at a time inside the index service, run in a thread."""

    def __init__(self, live: ArticleStore, pause: Callable[[], AbstractContextManager[None]]) -> None:
        self._live = live
        self._pause = pause
        self._guard = threading.Lock()
        self.status = ReindexStatus()

    def start(self) -> bool:
        """Start a rebuild; False when one is already running."""
        with self._guard:
            if self.status.state == "running":
                return False
            self.status = ReindexStatus(state="running", started_at=datetime.now(UTC))
        threading.Thread(target=self._run, name="reindex", daemon=True).start()
        return True

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            stats = rebuild(self._live, pause=self._pause, progress=self._count)
            self.status.state, self.status.generation = "done", stats.generation
        except Exception as exc:  # reported through the status, and logged
            log.exception("index.reindex_failed")
            self.status.state, self.status.error = "failed", f"{type(exc).__name__}: {exc}"
        self.status.finished_at = datetime.now(UTC)
        self.status.seconds = round(time.perf_counter() - started, 3)

    def _count(self, copied: int) -> None:
        self.status.copied += copied


def _copy(
    source: Iterable[Change], target: ArticleStore, progress: Callable[[int], None]
) -> tuple[int, int]:
    """Upsert everything from ``source`` into ``target`` keeping change numbers; return
    (articles copied, the last change number seen)."""
    copied, last_seq, batch, seqs = 0, 0, [], {}
    for change in source:
        batch.append(change.article)
        seqs[change.article.id] = last_seq = change.seq
        if len(batch) == COPY_BATCH:
            copied += _flush(target, batch, seqs, progress)
            batch, seqs = [], {}
    copied += _flush(target, batch, seqs, progress)
    return copied, last_seq


def _flush(
    target: ArticleStore, batch: list[EnrichedArticle], seqs: dict[str, int], progress: Callable[[int], None]
) -> int:
    if not batch:
        return 0
    target.upsert(batch, keep_seq=seqs)
    target.commit()
    progress(len(batch))
    return len(batch)
