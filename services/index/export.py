"""Export formats: a match as CSV or NDJSON rows, facets and the timeline as CSV.

Pure: stored articles (their JSON, as the store keeps them) in, encoded chunks out, one
chunk per batch (bounded in rows and bytes by the scan), so a download of any size is
written in constant memory.

- NDJSON: one stored article per line, exactly the body of ``GET /v1/articles/{id}``.
- CSV (RFC 4180, UTF-8, ``\\r\\n``): one row per article, :data:`ARTICLE_COLUMNS`; lists
  are joined with ``"; "``. Text cells that begin with ``= + - @`` (or a tab or carriage
  return) get a leading ``'`` so a spreadsheet shows them instead of running them as a
  formula (OWASP "CSV injection"); numbers are left as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

import msgspec
from msgspec import Struct

from shared.schemas import Bucket, TimeBucket

ExportFormat = Literal["csv", "ndjson"]
EXPORT_FORMATS: tuple[str, ...] = ExportFormat.__args__  # type: ignore[attr-defined]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}

ARTICLE_COLUMNS = (
    "id",
    "published_at",
    "source",
    "language",
    "title",
    "url",
    "authors",
    "focus",
    "focus_country",
    "focus_lat",
    "focus_lon",
    "places",
    "countries",
    "people",
    "organizations",
    "entities",
)
FACET_COLUMNS = ("facet", "key", "count")
TIMELINE_COLUMNS = ("start", "count")
LIST_SEPARATOR = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# What a CSV row needs of a stored article: decoding only these skips the text and spans.
class _Named(Struct):
    text: str
    label: str


class _Located(Struct):
    resolved_name: str
    lat: float
    lon: float
    country_code: str | None = None


class _Row(Struct):
    id: str
    source: str
    language: str
    title: str
    url: str
    published_at: datetime | None = None
    authors: list[str] = []
    focus: _Located | None = None
    places: list[_Located] = []
    entities: list[_Named] = []


_decode_row = msgspec.json.Decoder(_Row).decode


def ndjson_chunk(stored: Iterable[bytes]) -> bytes:
    return b"".join(article + b"\n" for article in stored)


def csv_header(columns: tuple[str, ...] = ARTICLE_COLUMNS) -> bytes:
    return _csv([list(columns)])


def csv_chunk(stored: Iterable[bytes]) -> bytes:
    return _csv(_article_row(_decode_row(article)) for article in stored)


def facets_csv(facets: dict[str, list[Bucket]]) -> bytes:
    rows = [[name, _cell(b.key), b.count] for name, buckets in facets.items() for b in buckets]
    return csv_header(FACET_COLUMNS) + _csv(rows)


def timeline_csv(buckets: list[TimeBucket]) -> bytes:
    return csv_header(TIMELINE_COLUMNS) + _csv([[_when(b.start), b.count] for b in buckets])


def _article_row(a: _Row) -> list[object]:
    focus = a.focus
    return [
        a.id,
        _when(a.published_at),
        _cell(a.source),
        a.language,
        _cell(a.title),
        _cell(a.url),
        _joined(a.authors),
        _cell(focus.resolved_name) if focus else "",
        (focus.country_code or "") if focus else "",
        focus.lat if focus else "",
        focus.lon if focus else "",
        _joined(p.resolved_name for p in a.places),
        _joined(p.country_code for p in a.places if p.country_code),
        _joined(e.text for e in a.entities if e.label == "PERSON"),
        _joined(e.text for e in a.entities if e.label == "ORG"),
        _joined(f"{e.label}:{e.text}" for e in a.entities),
    ]


def _joined(values: Iterable[str]) -> str:
    return _cell(LIST_SEPARATOR.join(dict.fromkeys(values)))  # once each, in article order


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _when(when: datetime | None) -> str:
    return when.isoformat().replace("+00:00", "Z") if when else ""


def _csv(rows: Iterable[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def chunks(batches: Iterator[list[bytes]], form: ExportFormat) -> Iterator[bytes]:
    """The whole body: a header (CSV), then one chunk per batch of stored articles."""
    if form == "csv":
        yield csv_header()
    encode = csv_chunk if form == "csv" else ndjson_chunk
    # map keeps no batch while its chunk waits for the client (a loop variable would)
    yield from map(encode, batches)
