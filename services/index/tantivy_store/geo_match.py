"""A geo filter as a query: grid cells inside the shape, and an exact check of the border."""

from __future__ import annotations

import struct

import tantivy
from msgspec import Struct
from tantivy import Occur, Query

from services.index.domain import GeoFilter
from services.index.geo import REFINE_LEVELS, Box, Circle, covering
from services.index.tantivy_store.schema import POINT_SLOTS, schema

MAX_GEO_CANDIDATES = 1_000_000  # articles in a shape's border cells, checked one by one
MANY_GEO_CANDIDATES = 1_000  # more than this: cover the edge with finer cells first


def geo_query(searcher: tantivy.Searcher, geo: GeoFilter, base: Query) -> Query:
    """Cells inside the shape match as they are; places in border cells are checked
    (only among the articles ``base`` matches).

    A busy place just across the edge makes thousands of candidates: then the edge is
    covered again with finer cells, which often puts it wholly out (or in).
    """
    cell_field = "focus_cell" if geo.focus_only else "cell"
    # Finer circle coverings cost more (a new 300 km circle: 4 ms at +0, 8 at +1, 17 at +2).
    finer = 2 if isinstance(geo.shape, Box) else 1
    for refine in (REFINE_LEVELS, REFINE_LEVELS + finer):
        last = refine != REFINE_LEVELS
        cover = covering(geo.shape, refine)
        inside = _cells(cell_field, cover.inside)
        border = _cells(cell_field, cover.border)
        # Articles with a place in an inside cell as well are candidates too (a few per
        # cent more): excluding them evaluated the inside cells once more (~0.4 ms), and
        # the check only adds them to what `inside` matches anyway.
        candidates = Query.const_score_query(
            Query.boolean_query([(Occur.Must, base), (Occur.Must, border)]), 0.0
        )
        # Unscored, so fetching every candidate is cheap (~0.1 ms for thousands); before
        # the last covering, only enough to know whether it is too many (~1 ms saved
        # on a busy edge: the list of thousands is built once).
        limit = MAX_GEO_CANDIDATES if last else MANY_GEO_CANDIDATES + 1
        addresses = [a for _, a in searcher.search(candidates, limit, count=False).hits]
        if len(addresses) <= MANY_GEO_CANDIDATES:
            break
    if not addresses:
        return inside
    points = _focus_points if geo.focus_only else _all_points
    seqs = searcher.fast_field_values("seq", addresses)
    exact = [seqs[i] for i in _inside(geo.shape, points(searcher, addresses))]
    if not exact:
        return inside
    return Query.boolean_query(
        [(Occur.Should, inside), (Occur.Should, Query.term_set_query(schema(), "seq", exact))]
    )


def _cells(field: str, tokens: list[str]) -> Query:
    return Query.term_set_query(schema(), field, tokens) if tokens else Query.empty_query()


class Candidates(Struct):
    """Coordinates of the candidates of a geo query, by position in the candidate list."""

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
    # Thousands of candidates per query: the box test (the circle's bounds for a circle)
    # is inlined, and only points passing it pay for a call.
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
