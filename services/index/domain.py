"""What search is about, store-neutral: requests, results and their errors (msgspec Structs).

The HTTP layer turns parameters into these (:mod:`services.index.query`), a store answers
them (:mod:`services.index.port`), and nothing here knows Tantivy or Litestar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from msgspec import Struct

from services.index.geo import Box, Circle
from shared.schemas import Bucket, EnrichedArticle, TimeBucket

Sort = Literal["relevance", "newest", "oldest"]
DateOrder = Literal["newest", "oldest"]
Interval = Literal["day", "week", "month"]
FacetName = Literal[
    "entities", "people", "organizations", "places", "countries", "sources", "languages", "points"
]
FACET_NAMES: tuple[str, ...] = FacetName.__args__  # type: ignore[attr-defined]
QUERY_FIELDS = ("title", "text", "entity", "place")  # the field prefixes query text may use

# -- requests ------------------------------------------------------------------------------


class EntityFilter(Struct, frozen=True):
    text: str
    label: str | None = None


class PlaceFilter(Struct, frozen=True):
    name: str | None = None
    geonames_id: int | None = None


class GeoFilter(Struct, frozen=True):
    shape: Box | Circle
    focus_only: bool = False


class Match(Struct, kw_only=True, frozen=True):
    """Which articles a request is about; every part given must hold."""

    text: str | None = None  # query syntax: phrases, AND/OR/NOT, title:/text:/entity:/place:
    entities: tuple[EntityFilter, ...] = ()
    places: tuple[PlaceFilter, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    geo: GeoFilter | None = None


class After(Struct, frozen=True):
    """Where the previous page ended: a sort key (date order) or an offset (relevance),
    and the newest change the first page saw, so later arrivals do not shift pages."""

    sort_key: int | None
    offset: int
    seq_ceiling: int


class SearchRequest(Struct, kw_only=True, frozen=True):
    match: Match = Match()
    sort: Sort = "relevance"
    size: int = 10
    after: After | None = None
    facets: tuple[FacetName, ...] = ()
    facet_size: int = 10
    histogram: Interval | None = None

    @property
    def by_date(self) -> bool:
        """Pages in date order (keyed by ``sort_key``), else by relevance (by offset)."""
        return self.sort != "relevance" or not self.match.text


# -- results -------------------------------------------------------------------------------


class StoredHit(Struct, kw_only=True):
    article: EnrichedArticle
    score: float
    snippet: str  # HTML: the matched terms in <b>, everything else escaped


class SearchResult(Struct, kw_only=True):
    total: int
    hits: list[StoredHit]
    next: After | None
    facets: dict[str, list[Bucket]]
    histogram: list[TimeBucket]


class Change(Struct, frozen=True):
    """An article as one commit left it; ``seq`` (microseconds of the change, increasing)
    orders changes and is where a reader that saw this one resumes."""

    seq: int
    article: EnrichedArticle


class Rejected(Struct):
    id: str
    reason: str


class UpsertReport(Struct, kw_only=True):
    written: list[str]
    stale: list[str]  # a newer version is already stored
    rejected: list[Rejected]


class StoreStats(Struct):
    documents: int
    size_bytes: int
    generation: str
    last_commit: datetime | None = None  # when the live generation last committed


class BadQuery(ValueError):
    """The query text does not parse; ``position`` is a 0-based character offset."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position
