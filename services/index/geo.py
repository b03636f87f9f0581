"""Geography for search: grid cells per place, box and circle coverings, exact checks.

Every place is indexed as one cell token per level of a quad grid over lon/lat
(level k: square cells of 360 / 2**k degrees). A query shape is covered by cells that
are either wholly *inside* it (every place in them matches) or on its *border* (their
places must still be checked exactly against the shape). Cells are tokens of one place,
never combined across places, so two places of one article cannot make a false hit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from msgspec import Struct

EARTH_RADIUS_KM = 6371.0088
MIN_LEVEL = 1
MAX_LEVEL = 14  # cells of ~0.022 degrees (~2.4 km) at the finest level
# Levels below the coarsest cell that still holds the shape: border cells are then
# 1/32 of the shape's extent, so only a thin band of places needs the exact check.
REFINE_LEVELS = 5


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
    inside: list[str]  # cells wholly in the shape
    border: list[str]  # cells partly in it: their places need `contains`


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def cell_tokens(lat: float, lon: float) -> list[str]:
    """The tokens of the cells holding one point, one per level."""
    return [_token(level, *_cell_of(level, lat, lon)) for level in range(MIN_LEVEL, MAX_LEVEL + 1)]


def covering(shape: Shape) -> Covering:
    box = shape.bounds() if isinstance(shape, Circle) else shape
    inside: list[str] = []
    border: list[str] = []
    for part in _unwrapped(box):
        start = _start_level(part)
        finest = min(MAX_LEVEL, start + REFINE_LEVELS)
        for level, x, y in _cells_over(start, part):
            _descend(shape, part, level, x, y, finest, inside, border)
    return Covering(inside=inside, border=border)


def _descend(
    shape: Shape, part: Box, level: int, x: int, y: int, finest: int,
    inside: list[str], border: list[str],
) -> None:
    cell = _cell_box(level, x, y)
    if not _intersects(cell, part):
        return
    if _within(cell, shape):
        inside.append(_token(level, x, y))
    elif level >= finest:
        border.append(_token(level, x, y))
    else:
        for dx in (0, 1):
            for dy in (0, 1):
                _descend(shape, part, level + 1, 2 * x + dx, 2 * y + dy, finest, inside, border)


def _within(cell: Box, shape: Shape) -> bool:
    # Inside a box, or inside a circle smaller than a hemisphere, a lon/lat cell is
    # wholly contained when its four corners are.
    corners = (
        (cell.min_lat, cell.min_lon), (cell.min_lat, cell.max_lon),
        (cell.max_lat, cell.min_lon), (cell.max_lat, cell.max_lon),
    )
    return all(shape.contains(lat, lon) for lat, lon in corners)


def _unwrapped(box: Box) -> Iterator[Box]:
    if box.min_lon <= box.max_lon:
        yield box
    else:
        yield Box(box.min_lon, box.min_lat, 180.0, box.max_lat)
        yield Box(-180.0, box.min_lat, box.max_lon, box.max_lat)


def _start_level(box: Box) -> int:
    extent = max(box.max_lon - box.min_lon, box.max_lat - box.min_lat, 1e-9)
    level = math.floor(math.log2(360.0 / extent))
    return max(MIN_LEVEL, min(MAX_LEVEL, level))


def _cells_over(level: int, box: Box) -> Iterator[tuple[int, int, int]]:
    x0, y0 = _cell_of(level, box.min_lat, box.min_lon)
    x1, y1 = _cell_of(level, box.max_lat, box.max_lon)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield level, x, y


def _cell_of(level: int, lat: float, lon: float) -> tuple[int, int]:
    size = 360.0 / (1 << level)
    last = (1 << level) - 1
    x = min(last, int((lon + 180.0) // size))
    y = min(last, int((lat + 90.0) // size))
    return x, y


def _cell_box(level: int, x: int, y: int) -> Box:
    size = 360.0 / (1 << level)
    return Box(x * size - 180.0, y * size - 90.0, (x + 1) * size - 180.0, (y + 1) * size - 90.0)


def _intersects(a: Box, b: Box) -> bool:
    return a.min_lon <= b.max_lon and b.min_lon <= a.max_lon and a.min_lat <= b.max_lat and b.min_lat <= a.max_lat


def _token(level: int, x: int, y: int) -> str:
    return f"{level}/{x}/{y}"


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0
