"""A geo filter as a query: grid cells inside the shape, and the places on its border checked."""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from services.index.domain import GeoFilter
from services.index.geo import Box, Circle, covering, spot_point
from services.index.tantivy_store.schema import schema

# Spots are listed per border cell's ancestor this many levels up: one dictionary walk
# (~8-30 us) per ancestor instead of per cell, the spots of its other cells dropped by
# their quadkey alone (no coordinates read, no check).
LIST_LEVELS_UP = 2


def geo_query(searcher: tantivy.Searcher, geo: GeoFilter) -> Query:
    """Cells inside the shape match as they are; in its border cells, each distinct place
    (a spot term) is checked against the shape and matches by its term if inside.

    The check costs per distinct place, not per article: a busy city just across the
    edge is one term to reject, whatever the number of articles naming it, and the text
    or filters of the search play no part (the query is the same for every search).
    """
    cells, spots = ("focus_cell", "focus_spot") if geo.focus_only else ("cell", "spot")
    cover = covering(geo.shape)
    inside = _cells(cells, cover.inside)
    exact = _spots_inside(searcher, spots, geo.shape, cover.border)
    if not exact:
        return inside
    return Query.boolean_query(
        [(Occur.Should, inside), (Occur.Should, Query.term_set_query(schema(), spots, exact))]
    )


def _spots_inside(
    searcher: tantivy.Searcher, field: str, shape: Box | Circle, border: list[str]
) -> list[str]:
    """The spot terms in the ``border`` cells (quadkeys) whose place is inside ``shape``."""
    cells = set(border)
    lengths = {len(key) for key in cells}  # one, or two for a box across the antimeridian
    ancestors = {key[: max(1, len(key) - LIST_LEVELS_UP)] for key in cells}
    contains = shape.contains
    return [
        term
        for ancestor in ancestors
        for term, _ in searcher.terms_with_prefix(field, ancestor)
        if any(term[:n] in cells for n in lengths) and contains(*spot_point(term))
    ]


def _cells(field: str, tokens: list[str]) -> Query:
    return Query.term_set_query(schema(), field, tokens) if tokens else Query.empty_query()
