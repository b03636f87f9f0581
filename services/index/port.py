"""The search store as the rest of the service sees it: two narrow interfaces.

:class:`ArticleSearch` is what the HTTP layer calls (search, facets, timelines, one
article, a whole match in batches for export, the changes standing queries are checked
against); :class:`ArticleSink` is what the indexer writes to. The Tantivy adapter
(:mod:`services.index.tantivy_store`) implements both; a Quickwit or OpenSearch adapter
would implement the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from services.index.domain import (
    FacetName,
    Interval,
    Match,
    SearchRequest,
    SearchResult,
    StoreStats,
    UpsertReport,
)
from shared.schemas import Bucket, EnrichedArticle, TimeBucket


class MatchBatches(Protocol):
    """A whole match from one snapshot, in date order."""

    rows: int  # sent so far

    def batches(self) -> Iterator[list[bytes]]:
        """Stored articles (their JSON), a small first batch and then bigger ones, each
        bounded in bytes too (long articles make shorter batches)."""
        ...


class ChangeSet(Protocol):
    """One snapshot of the index as standing queries see it. Positions are change
    numbers: increasing, and an article's is that of its last change."""

    newest: int  # the newest position in the snapshot
    mark: object  # pass as ``since`` to the next :meth:`ArticleSearch.changes`

    def matching(self, standing: object, after: int, limit: int) -> list[tuple[int, bytes]]:
        """(position, stored article) of the first ``limit`` changes after ``after`` that
        match ``standing`` (from :meth:`ArticleSearch.standing`), oldest first."""
        ...

    def any_between(self, after: int, upto: int) -> bool:
        """Whether an article changed after ``after`` and at or before ``upto``."""
        ...


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

    def scan(self, match: Match, *, oldest_first: bool = False) -> MatchBatches:
        """Every article of the match, newest (or oldest) first; checks the query at once
        (:class:`~services.index.domain.BadQuery`)."""
        ...

    def standing(self, match: Match) -> object:
        """``match`` compiled once for :meth:`ChangeSet.matching` (BadQuery at once)."""
        ...

    def changes(
        self, since: object | None = None, waiting: Mapping[int, int] | None = None
    ) -> ChangeSet:
        """The newest snapshot; ``since``: the last one's ``mark`` (cheaper when nothing
        changed); ``waiting``: how many standing queries will ask after each position."""
        ...

    def stats(self) -> StoreStats: ...

    def commit_stamp(self) -> bytes:
        """Changes with every commit readers can see (and every switch of generation):
        what a cache of whole-index answers is kept by. Cheap (a file read, nothing
        reloaded: fine on the event loop); a request after it sees that commit or a newer one."""
        ...


@runtime_checkable
class ArticleSink(Protocol):
    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertReport:
        """Stage the newest version of each article; nothing is visible before :meth:`commit`."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
