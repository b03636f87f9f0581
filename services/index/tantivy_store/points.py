"""The articles' own coordinates, for the standing queries (scan.py, fresh.py): they check
the few articles changed since a tick one by one, where a search builds a query
(geo_match.py)."""

from __future__ import annotations

import struct

import tantivy
from msgspec import Struct

from services.index.geo import Box, Circle
from services.index.tantivy_store.schema import POINT_SLOTS


class Candidates(Struct):
    """Coordinates of some articles, by position in their list."""

    slots: list[tuple[list, list]]  # (latitudes, longitudes) of one place slot; None where empty
    more: dict[int, list[tuple[float, float]]]  # places past the slots, for the rare long list


def all_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
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


def focus_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
    focus = (
        searcher.fast_field_values("focus_lat", addresses),
        searcher.fast_field_values("focus_lon", addresses),
    )
    return Candidates(slots=[focus], more={})


def positions_inside(shape: Box | Circle, candidates: Candidates) -> set[int]:
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
