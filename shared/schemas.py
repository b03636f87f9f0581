"""The contracts: every message on the streams and every API body, as msgspec Structs.

Field names are the contract between services (see DESIGN.md). Constraints live in the
types so that decoding *is* validation: a bad field fails with msgspec's message, which
names the field path (e.g. ``Expected `str` of length <= 1000 - at `$.title` ``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

SCHEMA_VERSION = 1

# -- field types -----------------------------------------------------------------------

HttpUrl = Annotated[
    str,
    Meta(
        min_length=10,
        max_length=2048,
        pattern=r"^[hH][tT][tT][pP][sS]?://[^\s/?#@]+(?:[/?#][^\s]*)?$",
        description="An absolute http(s) URL.",
    ),
]
Title = Annotated[str, Meta(min_length=1, max_length=1000)]
Body = Annotated[str, Meta(max_length=2_000_000, description="Up to 2 MB of characters.")]
# A news page as saved, inline scripts and styles included: CNN's article pages are 2.5 to
# 2.9 million characters. What reading a page costs is bounded by its elements and time
# (services/ingest/html_text.py, extraction.py), not by this.
PageHtml = Annotated[str, Meta(max_length=5_000_000, description="Up to 5 million characters of HTML.")]
LanguageCode = Annotated[
    str, Meta(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, lower case.")
]
CountryCode = Annotated[
    str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, upper case.")
]
Timestamp = Annotated[datetime, Meta(tz=True, description="RFC 3339 with a UTC offset.")]
# The instants an article can be dated at: the search store keeps nanoseconds since 1970 in
# 64 bits (1677-09-21 .. 2262-04-11), so ingest refuses `published_at` and search refuses
# `from`/`to` outside this window rather than failing later.
EARLIEST_TIMESTAMP = datetime(1678, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2261, 12, 31, 23, 59, 59, tzinfo=UTC)
SourceName = Annotated[str, Meta(min_length=1, max_length=200)]
AuthorName = Annotated[str, Meta(min_length=1, max_length=200)]
MetaKey = Annotated[str, Meta(min_length=1, max_length=64)]
MetaValue = Annotated[str, Meta(max_length=1024)]
ArticleId = Annotated[str, Meta(pattern=r"^[0-9a-f]{32}$", description="32 hex digits.")]
Confidence = Annotated[float, Meta(ge=0.0, le=1.0)]
Latitude = Annotated[float, Meta(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0)]


# -- what upstream sends ---------------------------------------------------------------


class ArticleIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """One article as an upstream feed pushes it. Exactly one of ``text`` or ``html``;
    ``title`` may be left out with ``html`` only (the page's own title is taken)."""

    url: HttpUrl
    title: Title | None = None
    text: Body | None = None
    html: PageHtml | None = None
    published_at: Timestamp | None = None
    source: SourceName | None = None
    language: LanguageCode | None = None
    authors: Annotated[list[AuthorName], Meta(max_length=50)] = []
    meta: Annotated[dict[MetaKey, MetaValue], Meta(max_length=32)] = {}

    def __post_init__(self) -> None:
        # msgspec turns a ValueError raised here into a ValidationError at `$`.
        if (self.text is None) == (self.html is None):
            raise ValueError("exactly one of `text` or `html` is required")
        if self.title is None and self.html is None:
            raise ValueError("`title` is required (it may be left out only with `html`)")


# -- ingest's output: dateline:raw -----------------------------------------------------


class RawArticle(Struct, kw_only=True):
    """A validated, normalised article: what enrich reads from ``dateline:raw``."""

    id: ArticleId
    url: str
    canonical_url: str
    source: str
    title: str
    text: str
    language: str
    published_at: datetime | None
    received_at: datetime
    content_hash: str
    authors: list[str] = []
    meta: dict[str, str] = {}
    schema_version: int = SCHEMA_VERSION


# -- enrich's output: dateline:enriched ------------------------------------------------


class Span(Struct, frozen=True):
    """Character offsets ``[start, end)`` into the article's title or text."""

    field: Literal["title", "text"]
    start: int
    end: int


class Entity(Struct, kw_only=True):
    """One entity of the article, all its mentions merged."""

    text: str  # canonical surface form
    label: str  # PERSON, ORG, GPE, LOC, NORP, FAC, EVENT, ...
    count: int
    spans: list[Span] = []


class Place(Struct, kw_only=True):
    """A place mention resolved to one GeoNames entry."""

    name: str  # as written in the article
    # A GeoNames id; negative for a sea, region or river from the vendored physical
    # table that GeoNames has no id for (services/enrich/data/README.md).
    geonames_id: int
    resolved_name: str
    lat: Latitude
    lon: Longitude
    country_code: str | None = None
    admin1: str | None = None
    feature_code: str | None = None
    population: int = 0
    confidence: Confidence = 0.0
    spans: list[Span] = []


# What enrichment looked for in an article: "full" (entities and places: an NER model
# reads its language), "places-only" (no model for its language: places from its
# capitalised names and the gazetteer's names in many languages; no entities looked for),
# "none" (neither: a script the gazetteer's names are not written in).
EnrichmentKind = Literal["full", "places-only", "none"]


class EnrichedArticle(RawArticle, kw_only=True):
    """A RawArticle plus what enrichment found in it."""

    entities: list[Entity] = []
    places: list[Place] = []
    focus: Place | None = None
    enriched_at: datetime | None = None
    model: str = ""  # NER model name and version ("" when no model read it)
    gazetteer: str = ""  # gazetteer name and version
    enrichment: EnrichmentKind = "full"


def enriched_from(raw: RawArticle, **found: object) -> EnrichedArticle:
    """An EnrichedArticle carrying every field of ``raw`` plus ``found``."""
    return EnrichedArticle(**msgspec.structs.asdict(raw), **found)


# -- failures: dateline:dlq ------------------------------------------------------------


class DeadLetter(Struct, kw_only=True):
    """An entry that failed ``attempts`` times, kept with its untouched payload."""

    stage: Literal["ingest", "enrich", "index"]
    reason: str  # one of shared.vocabulary.DeadLetterReason; kept open on the wire so a
    # DLQ written by a newer stage stays readable
    error: str  # the exception or validation message
    attempts: int
    stream: str  # where it was read from, and where a replay puts it back
    entry_id: str
    payload: str  # the original message, untouched
    failed_at: datetime


# -- ingest API bodies -----------------------------------------------------------------

IngestStatus = Literal["accepted", "duplicate", "updated", "rejected"]


class IngestResult(Struct, kw_only=True, omit_defaults=True):
    """What happened to one article of a request, in request order."""

    index: int  # position in the request (0-based); the NDJSON line is index + 1
    status: IngestStatus
    id: str | None = None
    field: str | None = None  # for rejected: the JSON path of the bad field
    reason: str | None = None


class IngestResponse(Struct, kw_only=True):
    accepted: int
    updated: int
    duplicate: int
    rejected: int
    results: list[IngestResult]


class ErrorDetail(Struct, kw_only=True, omit_defaults=True):
    reason: str
    field: str | None = None
    line: int | None = None


class ErrorBody(Struct, kw_only=True):
    """Every error response of every service; every field is always sent."""

    status: int
    error: str  # short, stable code: "invalid_json", "validation_failed", ...
    detail: str  # a sentence for a person
    errors: list[ErrorDetail]  # what is wrong where (field, line); may be empty
    request_id: str  # also the X-Request-ID header and in the logs: quote it in a report


# -- search API bodies -----------------------------------------------------------------


class Bucket(Struct, kw_only=True):
    key: str
    count: int


class TimeBucket(Struct, kw_only=True):
    start: datetime
    count: int


class SearchHit(Struct, kw_only=True):
    id: str
    title: str
    url: str
    source: str
    published_at: datetime | None
    score: float
    snippet: str
    entities: list[Entity]
    places: list[Place]
    focus: Place | None


class SearchResponse(Struct, kw_only=True, omit_defaults=True):
    total: int
    hits: list[SearchHit]
    next_cursor: str | None = None
    facets: dict[str, list[Bucket]] = {}
    histogram: list[TimeBucket] = []
    took_ms: float = 0.0
