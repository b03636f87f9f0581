"""The Tantivy schema: which fields an article becomes, and opening an index with it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tantivy

from services.index.domain import QUERY_FIELDS

KEYWORD = "keyword"  # the whole value, lower-cased: exact, case-insensitive filters
KEYWORD_FIELDS = ("entity_key", "place_key", "focus_key", "source")
PREFIX_BITS = 29  # sort key: epoch seconds above, a hash of the id below

# Coordinates for checking a few changed articles against a standing query's shape are
# read from fast fields, one column per place slot, without loading stored documents; only articles with more places than slots
# (flagged `more_places`) have the rest read from the stored `points`.
POINT_SLOTS = 6
SLOT_FIELDS = [f"{axis}{i}" for i in range(POINT_SLOTS) for axis in ("lat", "lon")]

FACET_FIELDS = {
    "entities": "entity_facet",  # keys are LABEL:text, the `entity` filter's own syntax
    "people": "person_facet",
    "organizations": "org_facet",
    "places": "place_facet",
    "countries": "country",
    "sources": "source_facet",
    "languages": "language",
    "points": "place_point",  # keys are documents.point_key(): id|lat|lon|name
}
# Labels with a facet of their own: a field each, as a regex `include` on entity_facet
# costs ~6 ms a query.
LABEL_FACETS = {"PERSON": "person_facet", "ORG": "org_facet"}


@cache  # one object, shared: every generation's schema, queries are built against it
def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", tokenizer_name="raw", index_option="basic")
    b.add_bytes_field("article", stored=True)
    b.add_bytes_field("points", stored=True)  # every place's (lat, lon) as float64 pairs
    for name in (*SLOT_FIELDS, "focus_lat", "focus_lon"):
        b.add_float_field(name, fast=True)
    for name in QUERY_FIELDS:
        b.add_text_field(name, tokenizer_name="en_stem")
    for name in KEYWORD_FIELDS:
        b.add_text_field(name, tokenizer_name=KEYWORD, index_option="basic")
    for name in (
        "entity_facet",
        "person_facet",
        "org_facet",
        "place_facet",
        "source_facet",
        "country",
        "focus_country",
        "language",
        "place_point",
    ):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("admin1", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("cell", tokenizer_name="raw", index_option="basic")
    b.add_text_field("focus_cell", tokenizer_name="raw", index_option="basic")
    # geo.spot_token per place: the places of a border cell, listed by prefix
    b.add_text_field("spot", tokenizer_name="raw", index_option="basic")
    b.add_text_field("focus_spot", tokenizer_name="raw", index_option="basic")
    b.add_date_field("published", indexed=True, fast=True)
    for name in ("sort_key", "seq"):
        b.add_integer_field(name, indexed=True, fast=True)
    for name in ("month", "received_us", "enriched_us", "more_places"):
        b.add_integer_field(name, fast=True)
    return b.build()


class IndexBusy(RuntimeError):
    """Another process holds the index's writer: there is one writer per index."""


class SchemaChanged(RuntimeError):
    """The index on disk was built with another schema: it needs a reindex."""


def open_index(path: Path) -> tantivy.Index:
    """The index at ``path`` with this schema, reloading only when asked (Manual policy)."""
    try:
        index = tantivy.Index(schema(), path=str(path))
    except ValueError as exc:
        if "schema does not match" not in str(exc):
            raise
        raise SchemaChanged(
            f"the index at {path} was built with another schema: reindex it "
            "(python -m services.index reindex)"
        ) from exc
    keyword = keyword_analyzer()
    index.register_tokenizer(KEYWORD, keyword)
    index.register_fast_field_tokenizer(KEYWORD, keyword)
    index.config_reader(reload_policy="Manual")  # before any other thread can see it
    return index


def keyword_analyzer() -> tantivy.TextAnalyzer:
    """The KEYWORD tokenizer: the whole value, lower-cased (also what standing queries
    analyse a changed article's keyword values with, fresh.py)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def open_writer(index: tantivy.Index, path: Path, **options: int) -> tantivy.IndexWriter:
    try:
        return index.writer(**options)
    except ValueError as exc:
        if "LockBusy" not in str(exc):
            raise
        raise IndexBusy(
            f"another process writes the index at {path} (one writer per index)"
        ) from exc
