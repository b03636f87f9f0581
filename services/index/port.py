"""The search store as the rest of the service sees it: two narrow interfaces.

:class:`ArticleSearch` is what the HTTP layer calls (search, facets, timelines, one
article, a whole match for export, new commits for live streams); :class:`ArticleSink` is
what the indexer writes to. The Tantivy adapter (:mod:`services.index.tantivy_store`)
implements both; a Quickwit or OpenSearch adapter would implement the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, runtime_checkable

from services.index.domain import (
    Change,
    DateOrder,
    FacetName,
    Interval,
    Match,
    SearchRequest,
    SearchResult,
    StoreStats,
    UpsertReport,
)
from shared.schemas import Bucket, EnrichedArticle, TimeBucket

# Called with the articles one commit made searchable (in the writer's thread: be quick).
CommitListener = Callable[[list[Change]], None]


@runtime_checkable
class ArticleSearch(Protocol):
    def search(self, request: SearchRequest) -> SearchResult:
        """One page of hits, with the facets and histogram of the whole match it asks for."""
        ...

    def facets(
        self, match: Match, names: Iterable[FacetName], size: int = 10
    ) -> dict[str, list[Bucket]]:
        """The top ``size`` values per facet over the whole match, most articles first."""
        ...

    def histogram(self, match: Match, interval: Interval) -> list[TimeBucket]:
        """Articles of the match per day, week (from Monday) or month, oldest first."""
        ...

    def get(self, article_id: str) -> EnrichedArticle | None: ...

    def matches(
        self, match: Match, *, order: DateOrder = "newest", page_size: int = 500
    ) -> Iterator[EnrichedArticle]:
        """Every article of the match, as one commit saw it, read a page at a time:
        memory stays constant however large the match (exports)."""
        ...

    def changes(self, match: Match, *, after_seq: int, limit: int = 100) -> list[Change]:
        """Articles of the match changed after ``after_seq``, oldest change first
        (a live stream resuming from its last event, or a reader catching up)."""
        ...

    def on_commit(self, listener: CommitListener) -> Callable[[], None]:
        """Call ``listener`` after each commit of this process's writer; returns the
        function that stops it. Read-only processes see others' commits with :meth:`changes`."""
        ...

    def stats(self) -> StoreStats: ...


@runtime_checkable
class ArticleSink(Protocol):
    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertReport:
        """Stage the newest version of each article; nothing is visible before :meth:`commit`."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
