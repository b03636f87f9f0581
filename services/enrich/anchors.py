"""The places a story resolved with confidence, looked up by nearness and by state.

Disambiguation asks, for every candidate of every toponym, how far the nearest anchor
is and whether one lies in the candidate's state. Asked of a list, both read every
anchor: a long story naming thousands of places made it quadratic. Here the states are
counted, and the anchors are a k-d tree of points on the unit sphere: a search reads
the few branches that can hold an anchor nearer than the nearest found so far (and than
``reach_km``, beyond which nearness counts for nothing).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable

from msgspec import Struct

from services.enrich.distance import EARTH_RADIUS_KM
from services.enrich.gazetteer import GazetteerEntry

# Rounding in either distance is far below this: a search never prunes the nearest.
SLACK = 1e-9

Distance = Callable[[float, float, float, float], float]  # (lat1, lon1, lat2, lon2) -> km
Point = tuple[float, float, float]
Anchor = tuple[str, GazetteerEntry]  # (toponym key, entry)


class _Branch(Struct):
    point: Point
    anchor: Anchor
    axis: int
    lower: _Branch | None  # the points below this one on ``axis``
    upper: _Branch | None


class Anchors:
    def __init__(self, anchors: Iterable[Anchor], reach_km: float, distance: Distance) -> None:
        """Nearness is asked only up to ``reach_km``, measured by ``distance``."""
        self.reach_km = reach_km
        self._distance = distance
        self._states: Counter[tuple[str, str | None]] = Counter()
        self._own_states: Counter[tuple[str, str, str | None]] = Counter()
        self._countries: Counter[str] = Counter()
        self._own_countries: Counter[tuple[str, str]] = Counter()
        self._own: Counter[str] = Counter()
        self._nearest: dict[tuple[int, str], float | None] = {}
        filed = []
        for key, entry in anchors:
            self._states[entry.country_code, entry.admin1] += 1
            self._own_states[key, entry.country_code, entry.admin1] += 1
            self._countries[entry.country_code] += 1
            self._own_countries[key, entry.country_code] += 1
            self._own[key] += 1
            filed.append((_point(entry), (key, entry)))
        self._total = len(filed)
        self._tree = _tree(filed, axis=0)

    def nearest_km(self, entry: GazetteerEntry, besides: str) -> float | None:
        """How far the nearest anchor other than the toponym ``besides``'s own is, if one
        lies within reach (one a little farther may be answered too)."""
        asked = (entry.row, besides)
        if asked not in self._nearest:  # features ask it more than once
            search = _Search(entry, _point(entry), besides, self._distance, self.reach_km)
            search.visit(self._tree)
            self._nearest[asked] = search.nearest
        return self._nearest[asked]

    def any_in(self, country: str, admin1: str | None, besides: str) -> bool:
        """Whether an anchor other than the toponym ``besides``'s lies in the country (or,
        given ``admin1``, the state)."""
        if admin1 is None:
            return self._in_country(country, besides) > 0
        return self._in_state(country, admin1, besides) > 0

    def state_share(self, entry: GazetteerEntry, besides: str) -> float:
        """The share of the anchors other than the toponym ``besides``'s in ``entry``'s state."""
        return self._share(self._in_state(entry.country_code, entry.admin1, besides), besides)

    def country_share(self, entry: GazetteerEntry, besides: str) -> float:
        """The share of the anchors other than the toponym ``besides``'s in ``entry``'s country."""
        return self._share(self._in_country(entry.country_code, besides), besides)

    def _in_state(self, country: str, admin1: str | None, besides: str) -> int:
        """The anchors other than the toponym ``besides``'s in the state."""
        return self._states[country, admin1] - self._own_states[besides, country, admin1]

    def _in_country(self, country: str, besides: str) -> int:
        return self._countries[country] - self._own_countries[besides, country]

    def _share(self, count: int, besides: str) -> float:
        others = self._total - self._own[besides]
        return count / others if others else 0.0


class _Search:
    """One nearest-anchor search: exact distances for the anchors it reads, and a chord
    (straight through the sphere, shorter for nearer points) to skip branches."""

    def __init__(
        self, entry: GazetteerEntry, point: Point, besides: str, distance: Distance, reach_km: float
    ) -> None:
        self.nearest: float | None = None
        self._entry, self._point, self._besides = entry, point, besides
        self._distance = distance
        self._bound = _chord(reach_km)

    def visit(self, branch: _Branch | None) -> None:
        if branch is None:
            return
        key, anchor = branch.anchor
        if key != self._besides:
            km = self._distance(self._entry.lat, self._entry.lon, anchor.lat, anchor.lon)
            if self.nearest is None or km < self.nearest:
                self.nearest = km
                self._bound = min(self._bound, _chord(km))
        off = self._point[branch.axis] - branch.point[branch.axis]
        near, far = (branch.lower, branch.upper) if off < 0 else (branch.upper, branch.lower)
        self.visit(near)
        if abs(off) <= self._bound * (1 + SLACK) + SLACK:  # the far side may hold a nearer one
            self.visit(far)


def _tree(filed: list[tuple[Point, Anchor]], axis: int) -> _Branch | None:
    if not filed:
        return None
    filed.sort(key=lambda item: item[0][axis])
    middle = len(filed) // 2
    point, anchor = filed[middle]
    following = (axis + 1) % 3
    return _Branch(
        point, anchor, axis, _tree(filed[:middle], following), _tree(filed[middle + 1 :], following)
    )


def _point(entry: GazetteerEntry) -> Point:
    lat, lon = math.radians(entry.lat), math.radians(entry.lon)
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


def _chord(km: float) -> float:
    """The straight line between two points ``km`` apart on the sphere, on the unit sphere."""
    return 2 * math.sin(min(km / EARTH_RADIUS_KM, math.pi) / 2)
