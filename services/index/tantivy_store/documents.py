"""An EnrichedArticle as a Tantivy document, and back; the dates and versions that order them."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import msgspec
from tantivy import Document

from services.index.geo import cell_tokens, spot_token
from services.index.tantivy_store.schema import LABEL_FACETS, POINT_SLOTS, PREFIX_BITS
from shared.schemas import EnrichedArticle, Place

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(EnrichedArticle).decode
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def document(article: EnrichedArticle, seq: int) -> Document:
    published = effective_date(article)
    doc = Document()
    doc.add_text("id", article.id)
    doc.add_bytes("article", _encode(article))
    _add_points(doc, article)
    for field, values in _VALUES.items():
        for value in values(article):
            doc.add_text(field, value)
    doc.add_text("source_facet", article.source)
    doc.add_date("published", published)
    doc.add_integer("sort_key", sort_key(published, article.id))
    doc.add_integer("month", published.year * 12 + published.month - 1)
    doc.add_integer("received_us", micros(article.received_at))
    doc.add_integer("enriched_us", micros(article.enriched_at))
    doc.add_integer("seq", seq)
    _add_entity_facets(doc, article)
    _add_places(doc, article.places, focus=False)
    if article.focus is not None:
        _add_places(doc, [article.focus], focus=True)
    return doc


def field_values(article: EnrichedArticle, field: str) -> list[str]:
    """The values :func:`document` gives ``field`` (before its tokenizer), for the fields
    made of the article's words, entities, places and labels: what standing queries read
    of a changed article to match it as the index would (fresh.py). KeyError for others."""
    return _VALUES[field](article)


def _keys(places: list[Place]) -> list[str]:
    return [key for p in places for key in dict.fromkeys((p.name, p.resolved_name, str(p.geonames_id)))]


def _countries(places: list[Place]) -> list[str]:
    return [p.country_code for p in places if p.country_code]


def _focus(article: EnrichedArticle) -> list[Place]:
    return [article.focus] if article.focus is not None else []


_VALUES: dict[str, Callable[[EnrichedArticle], list[str]]] = {
    "title": lambda a: [a.title],
    "text": lambda a: [a.text],
    "source": lambda a: [a.source],
    "language": lambda a: [a.language],
    "entity": lambda a: [e.text for e in a.entities],
    "entity_key": lambda a: [key for e in a.entities for key in (e.text, f"{e.label}:{e.text}")],
    "place": lambda a: [f"{p.name} {p.resolved_name}" for p in a.places],
    "place_key": lambda a: _keys(a.places),
    "country": lambda a: _countries(a.places),
    "focus_key": lambda a: _keys(_focus(a)),
    "focus_country": lambda a: _countries(_focus(a)),
}
ARTICLE_FIELDS = frozenset(_VALUES)  # the fields field_values knows


def article_of(doc: Document) -> EnrichedArticle:
    return _decode(doc.get_first("article"))


def _add_entity_facets(doc: Document, article: EnrichedArticle) -> None:
    for entity in article.entities:
        doc.add_text("entity_facet", f"{entity.label}:{entity.text}")
        if entity.label in LABEL_FACETS:
            doc.add_text(LABEL_FACETS[entity.label], entity.text)


def _add_places(doc: Document, places: list[Place], *, focus: bool) -> None:
    cell, spot = ("focus_cell", "focus_spot") if focus else ("cell", "spot")
    for place in places:
        for token in cell_tokens(place.lat, place.lon):
            doc.add_text(cell, token)
        doc.add_text(spot, spot_token(place.lat, place.lon))
        if focus:
            continue
        doc.add_text("place_facet", place.resolved_name)
        doc.add_text("place_point", point_key(place))
        if place.country_code and place.admin1:
            doc.add_text("admin1", f"{place.country_code}.{place.admin1}")


def _add_points(doc: Document, article: EnrichedArticle) -> None:
    for i, place in enumerate(article.places[:POINT_SLOTS]):
        doc.add_float(f"lat{i}", place.lat)
        doc.add_float(f"lon{i}", place.lon)
    if article.focus is not None:
        doc.add_float("focus_lat", article.focus.lat)
        doc.add_float("focus_lon", article.focus.lon)
    more = len(article.places) > POINT_SLOTS
    doc.add_integer("more_places", int(more))
    if more:
        doc.add_bytes("points", b"".join(struct.pack("<dd", p.lat, p.lon) for p in article.places))


def point_key(place: Place) -> str:
    """The ``points`` facet's key: one GeoNames entry with where it is, for a map."""
    return f"{place.geonames_id}|{place.lat:.4f}|{place.lon:.4f}|{place.resolved_name}"


def sort_key(published: datetime, article_id: str) -> int:
    """Date order with a stable tie-break: epoch seconds, then 29 bits of the id's hash."""
    seconds = max(0, int((published - EPOCH).total_seconds()))
    return (seconds << PREFIX_BITS) | (zlib.crc32(article_id.encode()) & ((1 << PREFIX_BITS) - 1))


def effective_date(article: EnrichedArticle) -> datetime:
    # Articles without a publication date sort and filter by when we received them.
    when = article.published_at or article.received_at
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def version(article: EnrichedArticle) -> tuple[int, int]:
    return (micros(article.received_at), micros(article.enriched_at))


def now_us() -> int:
    return time.time_ns() // 1000


def micros(when: datetime | None) -> int:
    if when is None:
        return 0
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (when - EPOCH) // timedelta(microseconds=1)


def newest_per_id(articles: Iterable[EnrichedArticle]) -> list[EnrichedArticle]:
    newest: dict[str, EnrichedArticle] = {}
    for article in articles:
        held = newest.get(article.id)
        if held is None or version(article) >= version(held):
            newest[article.id] = article
    return list(newest.values())
