"""Facets and the histogram of a match, as Tantivy (Elasticsearch-style) aggregations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec
import tantivy
from tantivy import Query

from services.index.domain import Interval
from services.index.tantivy_store.schema import FACET_FIELDS
from shared.schemas import Bucket, TimeBucket

HISTOGRAM = "histogram"  # the aggregation's name beside the facets' own


class Aggregated:
    __slots__ = ("facets", "histogram")

    def __init__(self, facets: dict[str, list[Bucket]], histogram: list[TimeBucket]) -> None:
        self.facets = facets
        self.histogram = histogram


def aggregate(
    searcher: tantivy.Searcher,
    matched: Query,
    facets: Iterable[str],
    size: int,
    interval: Interval | None,
) -> Aggregated:
    """The facets and the histogram over the whole match, in one pass."""
    aggs = {name: {"terms": {"field": FACET_FIELDS[name], "size": size}} for name in facets}
    if interval:
        aggs[HISTOGRAM] = _histogram_agg(interval)
    if not aggs:
        return Aggregated({}, [])
    result = searcher.aggregate(matched, aggs)
    return Aggregated(
        facets={name: _buckets(result[name]) for name in aggs if name != HISTOGRAM},
        histogram=_time_buckets(interval, result[HISTOGRAM]) if interval else [],
    )


def _buckets(result: dict) -> list[Bucket]:
    return [Bucket(key=str(b["key"]), count=b["doc_count"]) for b in result["buckets"]]


def _histogram_agg(interval: Interval) -> dict:
    if interval == "month":
        return {"terms": {"field": "month", "size": 100_000, "order": {"_key": "asc"}}}
    # 1970-01-01 was a Thursday: weeks shifted by -3 days start on Mondays.
    step = {"day": {"fixed_interval": "1d"}, "week": {"fixed_interval": "7d", "offset": "-3d"}}[
        interval
    ]
    return {"date_histogram": {"field": "published", **step}}


def _time_buckets(interval: Interval, result: dict) -> list[TimeBucket]:
    if interval == "month":
        return [
            TimeBucket(
                start=datetime(int(b["key"]) // 12, int(b["key"]) % 12 + 1, 1, tzinfo=UTC),
                count=b["doc_count"],
            )
            for b in result["buckets"]
        ]
    # msgspec turns the seconds into UTC datetimes in C: ~0.5 us a bucket against ~2 for
    # EPOCH + timedelta(milliseconds=...) in Python, 1.1 ms of a daily histogram over two
    # years (bench/search.py's index).
    return msgspec.convert(
        [{"start": b["key"] / 1000, "count": b["doc_count"]} for b in result["buckets"] if b["doc_count"]],
        list[TimeBucket],
        strict=False,
    )
