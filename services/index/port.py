"""The search store as the rest of the service sees it: two narrow interfaces.

:class:`ArticleSearch` is what the HTTP layer calls (search, facets, timelines, one
article); :class:`ArticleSink` is what the indexer writes to. Export and live streams read
the index in batches from one snapshot through :mod:`services.index.tantivy_store.scan`,
which is Tantivy's own. The Tantivy adapter (:mod:`services.index.tantivy_store`)
implements both; a Quickwit or OpenSearch adapter would implement the same.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def stats(self) -> StoreStats: ...


@runtime_checkable
class ArticleSink(Protocol):
    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertReport:
        """Stage the newest version of each article; nothing is visible before :meth:`commit`."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
