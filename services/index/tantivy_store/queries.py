"""A request's Match and page as Tantivy queries: text scored, filters not."""

from __future__ import annotations

import msgspec
import tantivy
from tantivy import FieldType, Occur, Query

from services.index.domain import After, Match, SearchRequest
from services.index.tantivy_store.geo_match import geo_query
from services.index.tantivy_store.schema import schema
from services.index.tantivy_store.text import parsed_text, text_query


class Matched:
    """The query for a match, and its text part alone (for scores and snippets)."""

    __slots__ = ("query", "text")

    def __init__(self, query: Query, text: Query | None) -> None:
        self.query = query
        self.text = text


def matched(index: tantivy.Index, searcher: tantivy.Searcher, match: Match) -> Matched:
    text = text_query(index, match.text)
    scored = [text] if text else []
    filters = _filters(match)
    if match.geo is not None:
        filters.append(geo_query(searcher, match.geo))
    return Matched(all_of(scored, filters), text)


class StandingQuery:
    """A match compiled once, when a stream opens (BadQuery then), its text parsed once:
    each change set restricts it by position (scan.py), or evaluates its tree (fresh.py)."""

    __slots__ = ("filters", "key", "match", "scored", "tree")

    def __init__(self, index: tantivy.Index, match: Match) -> None:
        text = parsed_text(index, match.text)
        self.match = match
        self.key = msgspec.json.encode(match)  # identical queries are matched once a tick
        self.scored = [text.query] if text is not None else []
        self.tree = text.tree if text is not None else None
        self.filters = _filters(match)


def all_of(scored: list[Query], filters: list[Query]) -> Query:
    """Scored parts as they are, filters with no effect on the score."""
    if not scored and not filters:
        return Query.all_query()
    parts = [(Occur.Must, q) for q in scored]
    parts += [(Occur.Must, Query.const_score_query(q, 0.0)) for q in filters]
    return parts[0][1] if len(parts) == 1 else Query.boolean_query(parts)


def _filters(match: Match) -> list[Query]:
    s = schema()
    filters: list[Query] = [
        Query.term_query(s, field, terms[0])
        if len(terms) == 1
        else Query.term_set_query(s, field, terms)
        for field, terms in filter_terms(match)
    ]
    if match.published_from or match.published_to:
        filters.append(
            Query.range_query(
                s, "published", FieldType.Date, match.published_from, match.published_to
            )
        )
    return filters


def filter_terms(match: Match) -> list[tuple[str, list[str]]]:
    """The match's term filters as (field, terms), each term as the field's tokenizer
    indexes it: an article passes a filter when its field holds one of the terms, the
    match when it passes them all (also what standing queries check in Python, fresh.py)."""
    found: list[tuple[str, list[str]]] = []
    for entity in match.entities:
        value = f"{entity.label}:{entity.text}" if entity.label else entity.text
        found.append(("entity_key", [value.lower()]))
    for place in match.places:
        value = str(place.geonames_id) if place.geonames_id is not None else place.name or ""
        found.append(("place_key", [value.lower()]))
    for field, values in (
        ("country", match.countries),
        ("source", [v.lower() for v in match.sources]),
        ("language", match.languages),
    ):
        if values:
            found.append((field, list(values)))
    return found


def page_query(matched: Query, request: SearchRequest) -> Query:
    """The match below where the previous page ended, as the first page saw it."""
    after = request.after
    if after is None:
        return matched
    parts = []
    if request.by_date and after.sort_key is not None:
        parts.append(beyond(after.sort_key, oldest_first=request.sort == "oldest"))
    return all_of([seen(matched, after)], parts)


def beyond(key: int, *, oldest_first: bool) -> Query:
    """Sort keys after ``key`` in the page order."""
    lower, upper = (key, None) if oldest_first else (None, key)
    return Query.range_query(
        schema(),
        "sort_key",
        FieldType.Integer,
        lower,
        upper,
        include_lower=not oldest_first,
        include_upper=oldest_first,
    )


def seen(matched: Query, after: After) -> Query:
    """What the first page's search could see: later changes do not shift the pages."""
    return all_of([matched], [changed_after(None, after.seq_ceiling)])


def changed_after(
    seq: int | None, ceiling: int | None = None, *, within: tantivy.Schema | None = None
) -> Query:
    """Documents whose last change is after ``seq`` (exclusive) and at most ``ceiling``
    (``within``: the schema of an older generation, for replay)."""
    return Query.range_query(
        within or schema(), "seq", FieldType.Integer, seq, ceiling, include_lower=seq is None
    )
