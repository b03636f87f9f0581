"""The places a story resolved with confidence, looked up by nearness and by state.

Disambiguation asks, for every candidate of every toponym, how far the nearest anchor
is and whether one lies in the candidate's state. Asked of a list, both read every
anchor: a long story naming thousands of places made it quadratic. Nearness only counts
within ``reach_km``, so anchors are filed in cells of a grid over the unit sphere at
least that wide, and a lookup reads the 27 cells around the candidate.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator

from services.enrich.gazetteer import GazetteerEntry

EARTH_RADIUS_KM = 6_371.0

Cell = tuple[int, int, int]


class Anchors:
    def __init__(self, anchors: Iterable[tuple[str, GazetteerEntry]], reach_km: float) -> None:
        """``anchors``: (toponym key, entry); nearness is asked only up to ``reach_km``."""
        # Two points closer than reach_km are closer than this chord, in every coordinate.
        self._cell_size = 1.01 * 2 * math.sin(reach_km / EARTH_RADIUS_KM / 2)
        self._cells: dict[Cell, list[tuple[str, GazetteerEntry]]] = {}
        self._states: Counter[tuple[str, str | None]] = Counter()
        self._key_states: Counter[tuple[str, str, str | None]] = Counter()
        for key, entry in anchors:
            self._cells.setdefault(self._cell(entry), []).append((key, entry))
            self._states[entry.country_code, entry.admin1] += 1
            self._key_states[key, entry.country_code, entry.admin1] += 1

    def within_reach(self, entry: GazetteerEntry, besides: str) -> Iterator[GazetteerEntry]:
        """Every anchor within reach of ``entry`` (and some a little beyond), except the
        toponym ``besides``'s own."""
        x, y, z = self._cell(entry)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    for key, anchor in self._cells.get((x + dx, y + dy, z + dz), ()):
                        if key != besides:
                            yield anchor

    def in_state_of(self, entry: GazetteerEntry, besides: str) -> bool:
        """Whether an anchor other than the toponym ``besides``'s lies in ``entry``'s state."""
        state = (entry.country_code, entry.admin1)
        return self._states[state] > self._key_states[besides, *state]

    def _cell(self, entry: GazetteerEntry) -> Cell:
        lat, lon = math.radians(entry.lat), math.radians(entry.lon)
        point = (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))
        x, y, z = (math.floor(c / self._cell_size) for c in point)
        return x, y, z
