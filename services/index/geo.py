"""Geography for search: grid cells per place, shapes, exact checks (coverings: coverings.py).

Every place is indexed as one cell token per level of a quad grid over lon/lat
(level k: square cells of 360 / 2**k degrees), and as one *spot*: its finest cell's
quadkey followed by its exact coordinates. A query shape is covered by cells that are
either wholly *inside* it (every place in them matches) or on its *border*, named by
quadkey: the spots starting with one are the distinct places in that cell, each checked
exactly against the shape. Cells and spots are terms of one place, never combined
across places, so two places of one article cannot make a false hit.
"""

from __future__ import annotations

import math
from functools import lru_cache

from msgspec import Struct

EARTH_RADIUS_KM = 6371.0088
MIN_LEVEL = 1
MAX_LEVEL = 14  # cells of ~0.022 degrees (~2.4 km) at the finest level
# Levels below the coarsest cell that still holds the shape: border cells are then
# 1/64 to 1/32 of the shape's extent (~160 of them), so few distinct places need the
# exact check; finer, the inside cells' tokens (~140) would cost the search more.
REFINE_LEVELS = 6


class Box(Struct, frozen=True, tag=True):
    """A lon/lat box; ``min_lon > max_lon`` means it crosses the antimeridian."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.min_lon <= self.max_lon:
            return self.min_lon <= lon <= self.max_lon
        return lon >= self.min_lon or lon <= self.max_lon


class Circle(Struct, frozen=True, tag=True):
    lat: float
    lon: float
    radius_km: float

    def contains(self, lat: float, lon: float) -> bool:
        return haversine_km(self.lat, self.lon, lat, lon) <= self.radius_km

    def bounds(self) -> Box:
        """The smallest lon/lat box around the circle (whole longitudes near a pole)."""
        angle = self.radius_km / EARTH_RADIUS_KM
        min_lat = self.lat - math.degrees(angle)
        max_lat = self.lat + math.degrees(angle)
        if min_lat <= -90 or max_lat >= 90:
            return Box(-180.0, max(min_lat, -90.0), 180.0, min(max_lat, 90.0))
        spread = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(self.lat)))))
        min_lon, max_lon = _wrap(self.lon - spread), _wrap(self.lon + spread)
        if spread >= 180:
            min_lon, max_lon = -180.0, 180.0
        return Box(min_lon, min_lat, max_lon, max_lat)


Shape = Box | Circle


class Covering(Struct, frozen=True):
    inside: list[str]  # cells wholly in the shape, as cell tokens
    border: list[str]  # cells partly in it, as quadkeys: the prefixes of their places' spots


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=65_536)
def cell_tokens(lat: float, lon: float) -> tuple[str, ...]:
    """The tokens of the cells holding one point, one per level (cached: news repeats places)."""
    x, y = cell_of(MAX_LEVEL, lat, lon)
    return tuple(
        f"{level}/{x >> (MAX_LEVEL - level)}/{y >> (MAX_LEVEL - level)}"
        for level in range(MIN_LEVEL, MAX_LEVEL + 1)
    )


@lru_cache(maxsize=65_536)
def spot_token(lat: float, lon: float) -> str:
    """One point's term: its finest cell's quadkey (the quadkey of a cell at any level is a
    prefix of it), then its exact coordinates (``repr`` gives the float back unchanged)."""
    x, y = cell_of(MAX_LEVEL, lat, lon)
    return f"{quadkey(MAX_LEVEL, x, y)}:{lat!r}:{lon!r}"


def spot_point(token: str) -> tuple[float, float]:
    """The (lat, lon) a spot token was made from."""
    _, lat, lon = token.split(":")
    return float(lat), float(lon)


def quadkey(level: int, x: int, y: int) -> str:
    """A cell as one digit per level from the coarsest: which quarter of its parent it is
    (x's bit, plus y's bit times two); built from 8-bit tables, as coverings need hundreds."""
    spread = _SPREAD[x & 255] | _SPREAD[x >> 8] << 16 | (_SPREAD[y & 255] | _SPREAD[y >> 8] << 16) << 1
    digits = _DIGITS[spread >> 24] + _DIGITS[spread >> 16 & 255] + _DIGITS[spread >> 8 & 255] + _DIGITS[spread & 255]
    return digits[len(digits) - level :]


# A byte's bits with a zero after each (so two interleave), and a byte as 4 base-4 digits.
_SPREAD = [sum((b >> i & 1) << 2 * i for i in range(8)) for b in range(256)]
_DIGITS = ["".join(str(b >> 2 * i & 3) for i in range(3, -1, -1)) for b in range(256)]


@lru_cache(maxsize=4096)
def covering(shape: Shape) -> Covering:
    """Cells over ``shape``: coarse ones wholly inside it, fine ones along its edge.

    Cached: paging through results and popular areas ask for the same shapes again.
    """
    # numpy (~0.2 s to import) is loaded at the first geo query, not at every start-up.
    from services.index.coverings import cover

    return cover(shape, REFINE_LEVELS)


def cell_of(level: int, lat: float, lon: float) -> tuple[int, int]:
    size = 360.0 / (1 << level)
    last = (1 << level) - 1
    x = min(last, int((lon + 180.0) // size))
    y = min(last, int((lat + 90.0) // size))
    return x, y


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0
