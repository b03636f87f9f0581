"""A geo filter as a query: grid cells inside the shape, and the places on its border checked."""

from __future__ import annotations

import struct

import tantivy
from msgspec import Struct
from tantivy import Occur, Query

from services.index.domain import GeoFilter
from services.index.geo import Box, Circle, covering, spot_point
from services.index.tantivy_store.schema import POINT_SLOTS, schema

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


# The articles' own coordinates, for the standing queries (scan.py): they check the few
# articles changed since a tick one by one instead of building the query above.


class Candidates(Struct):
    """Coordinates of some articles, by position in their list."""

    slots: list[tuple[list, list]]  # (latitudes, longitudes) of one place slot; None where empty
    more: dict[int, list[tuple[float, float]]]  # places past the slots, for the rare long list


def _all_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
    slots = []
    for i in range(POINT_SLOTS):
        lats = searcher.fast_field_values(f"lat{i}", addresses)
        if lats.count(None) == len(lats):
            break  # places fill slots in order: no candidate has more
        slots.append((lats, searcher.fast_field_values(f"lon{i}", addresses)))
    more = {
        i: list(struct.iter_unpack("<dd", searcher.doc(addresses[i]).get_first("points") or b""))[
            POINT_SLOTS:
        ]
        for i, flag in enumerate(searcher.fast_field_values("more_places", addresses))
        if flag
    }
    return Candidates(slots=slots, more=more)


def _focus_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
    focus = (
        searcher.fast_field_values("focus_lat", addresses),
        searcher.fast_field_values("focus_lon", addresses),
    )
    return Candidates(slots=[focus], more={})


def _inside(shape: Box | Circle, candidates: Candidates) -> set[int]:
    """Positions of the candidates with at least one place inside ``shape``."""
    contains = shape.contains
    found = {
        i for i, places in candidates.more.items() if any(contains(lat, lon) for lat, lon in places)
    }
    # Up to thousands of articles per call: the box test (the circle's bounds for a
    # circle) is inlined, and only points passing it pay for a call.
    box = shape.bounds() if isinstance(shape, Circle) else shape
    south, north, west, east = box.min_lat, box.max_lat, box.min_lon, box.max_lon
    wraps = west > east
    for lats, lons in candidates.slots:
        for i, lat, lon in zip(range(len(lats)), lats, lons, strict=True):
            if (
                lat is not None
                and south <= lat <= north
                and ((west <= lon or lon <= east) if wraps else west <= lon <= east)
                and i not in found
                and contains(lat, lon)
            ):
                found.add(i)
    return found
