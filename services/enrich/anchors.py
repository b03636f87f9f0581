"""The places a story resolved with confidence, looked up by nearness and by state.

Disambiguation asks, for every candidate of every toponym, how far the nearest anchor
is and whether one lies in the candidate's state. Asked of a list, both read every
anchor: a long story naming thousands of places made it quadratic. Here the states are
counted, and the anchors sorted by latitude: walking out from a candidate's latitude,
the walk stops where the difference in latitude alone is farther than the nearest anchor
found so far (or than ``reach_km``, beyond which nearness counts for nothing).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable

from services.enrich.gazetteer import GazetteerEntry

EARTH_RADIUS_KM = 6_371.0
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180  # along a meridian: the least a degree of latitude costs
# Rounding in the distance formula is far below this: the walk never stops short of the nearest.
SLACK_KM = 1e-6

Distance = Callable[[float, float, float, float], float]  # (lat1, lon1, lat2, lon2) -> km


class Anchors:
    def __init__(
        self, anchors: Iterable[tuple[str, GazetteerEntry]], reach_km: float, distance: Distance
    ) -> None:
        """``anchors``: (toponym key, entry); nearness is asked only up to ``reach_km``."""
        self._reach_km = reach_km
        self._distance = distance
        self._by_latitude = sorted(anchors, key=lambda anchor: anchor[1].lat)
        self._latitudes = [entry.lat for _, entry in self._by_latitude]
        self._states: Counter[tuple[str, str | None]] = Counter()
        self._own_states: Counter[tuple[str, str, str | None]] = Counter()
        for key, entry in self._by_latitude:
            self._states[entry.country_code, entry.admin1] += 1
            self._own_states[key, entry.country_code, entry.admin1] += 1

    def nearest_km(self, entry: GazetteerEntry, besides: str) -> float | None:
        """How far the nearest anchor other than the toponym ``besides``'s own is, if one
        lies within reach (one a little farther may be answered too)."""
        nearest: float | None = None
        below = bisect_left(self._latitudes, entry.lat) - 1
        above = below + 1
        while below >= 0 or above < len(self._latitudes):
            bound = self._reach_km if nearest is None else min(nearest, self._reach_km)
            gap_below = self._gap_km(entry, below)
            gap_above = self._gap_km(entry, above)
            if min(gap_below, gap_above) > bound + SLACK_KM:
                break
            if gap_below <= gap_above:
                at, below = below, below - 1
            else:
                at, above = above, above + 1
            key, anchor = self._by_latitude[at]
            if key != besides:
                km = self._distance(entry.lat, entry.lon, anchor.lat, anchor.lon)
                nearest = km if nearest is None else min(nearest, km)
        return nearest

    def in_state_of(self, entry: GazetteerEntry, besides: str) -> bool:
        """Whether an anchor other than the toponym ``besides``'s lies in ``entry``'s state."""
        state = (entry.country_code, entry.admin1)
        return self._states[state] > self._own_states[besides, *state]

    def _gap_km(self, entry: GazetteerEntry, at: int) -> float:
        if not 0 <= at < len(self._latitudes):
            return math.inf
        return abs(self._latitudes[at] - entry.lat) * KM_PER_DEGREE
