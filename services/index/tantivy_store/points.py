"""The articles' own coordinates, for the standing queries (scan.py, fresh.py): they check
the few articles changed since a tick one by one, where a search builds a query
(geo_match.py)."""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right

import tantivy
from msgspec import Struct

from services.index.geo import Box, Circle
from services.index.tantivy_store.schema import POINT_SLOTS


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


def read_points(searcher: tantivy.Searcher, addresses: list, *, focus_only: bool) -> Points:
    """The places (or only the focus) of the articles at ``addresses``, by position."""
    return Points((_focus_points if focus_only else _all_points)(searcher, addresses))


class Points:
    """Some articles' places, sorted by latitude once: a shape tests only those of its band.

    Read once, they are tested against many shapes (every geo query waiting at a position).
    Measured against testing every point with the bounds inlined, at 10 to 1,000 articles
    and bench.search's shapes: 2x faster from 10 shapes, 3.5-6.6x at 300; 3-4x slower for
    a single shape (0.7 against 0.2 ms at 1,000 articles: a stream far behind, paged).
    """

    __slots__ = ("_lats", "_more", "_sorted")

    def __init__(self, candidates: Candidates) -> None:
        self._sorted = sorted(
            (lat, lon, i)
            for lats, lons in candidates.slots
            for i, lat, lon in zip(range(len(lats)), lats, lons, strict=True)
            if lat is not None
        )
        self._lats = [lat for lat, _, _ in self._sorted]
        self._more = candidates.more

    def inside(self, shape: Box | Circle) -> int:
        """Which articles have a place inside ``shape``: bit i for the article at position i.
        The bounds first (a circle's box), and only points within them pay for a call."""
        contains = shape.contains
        found = 0
        for i, places in self._more.items():
            if any(contains(lat, lon) for lat, lon in places):
                found |= 1 << i
        box = shape.bounds() if isinstance(shape, Circle) else shape
        west, east = box.min_lon, box.max_lon
        wraps = west > east
        first = bisect_left(self._lats, box.min_lat)
        last = bisect_right(self._lats, box.max_lat)
        for lat, lon, i in self._sorted[first:last]:
            if ((west <= lon or lon <= east) if wraps else west <= lon <= east) and contains(lat, lon):
                found |= 1 << i
        return found


def positions(mask: int) -> list[int]:
    """The set bits of ``mask``, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found
