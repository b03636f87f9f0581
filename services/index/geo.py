"""Geography for search: grid cells per place, box and circle coverings, exact checks.

Every place is indexed as one cell token per level of a quad grid over lon/lat
(level k: square cells of 360 / 2**k degrees). A query shape is covered by cells that
are either wholly *inside* it (every place in them matches) or on its *border* (their
places must still be checked exactly against the shape). Cells are tokens of one place,
never combined across places, so two places of one article cannot make a false hit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import cache, lru_cache

from msgspec import Struct

EARTH_RADIUS_KM = 6371.0088
MIN_LEVEL = 1
MAX_LEVEL = 14  # cells of ~0.022 degrees (~2.4 km) at the finest level
# Levels below the coarsest cell that still holds the shape: border cells are then
# 1/32 of the shape's extent, so only a thin band of places needs the exact check.
REFINE_LEVELS = 7


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


@lru_cache(maxsize=65_536)
def cell_tokens(lat: float, lon: float) -> tuple[str, ...]:
    """The tokens of the cells holding one point, one per level (cached: news repeats places)."""
    x, y = _cell_of(MAX_LEVEL, lat, lon)
    return tuple(
        f"{level}/{x >> (MAX_LEVEL - level)}/{y >> (MAX_LEVEL - level)}"
        for level in range(MIN_LEVEL, MAX_LEVEL + 1)
    )


@lru_cache(maxsize=4096)
def covering(shape: Shape, refine: int = REFINE_LEVELS) -> Covering:
    """Cells over ``shape``: coarse ones wholly inside it, fine ones along its edge.

    Cached: paging through results and popular areas ask for the same shapes again.
    """
    box = shape.bounds() if isinstance(shape, Circle) else shape
    inside: list[str] = []
    border: list[str] = []
    for part in _unwrapped(box):
        start = _start_level(part)
        finest = min(MAX_LEVEL, start + refine)
        test = _circle_test(shape) if isinstance(shape, Circle) else _box_test(part)
        bounds = (part.min_lon, part.min_lat, part.max_lon, part.max_lat)
        for level, x, y in _cells_over(start, part):
            _descend(bounds, test, level, x, y, finest, inside, border)
    return Covering(inside=inside, border=border)


Bounds = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def _descend(
    part: Bounds, test: Callable[[Bounds], int], level: int, x: int, y: int, finest: int,
    inside: list[str], border: list[str],
) -> None:
    cell = _cell_bounds(level, x, y)
    if cell[0] > part[2] or part[0] > cell[2] or cell[1] > part[3] or part[1] > cell[3]:
        return
    where = test(cell)
    if where == OUTSIDE:
        return
    if where == INSIDE:
        inside.append(_token(level, x, y))
    elif level >= finest:
        border.append(_token(level, x, y))
    else:
        for dx in (0, 1):
            for dy in (0, 1):
                _descend(part, test, level + 1, 2 * x + dx, 2 * y + dy, finest, inside, border)


OUTSIDE, EDGE, INSIDE = 0, 1, 2


def _box_test(part: Box) -> Callable[[Bounds], int]:
    def test(cell: Bounds) -> int:
        inside = (cell[0] >= part.min_lon and cell[2] <= part.max_lon
                  and cell[1] >= part.min_lat and cell[3] <= part.max_lat)
        return INSIDE if inside else EDGE  # cells not touching the part never get here

    return test


def _circle_test(circle: Circle) -> Callable[[Bounds], int]:
    """Cells by their corners' angular closeness to the centre (cosines, no haversines):
    grid lines repeat, so each latitude's and longitude's trigonometry is done once."""
    lat0, lon0 = math.radians(circle.lat), math.radians(circle.lon)
    sin0, cos0 = math.sin(lat0), math.cos(lat0)
    angle = circle.radius_km / EARTH_RADIUS_KM
    cos_radius = math.cos(angle)

    @cache
    def row(lat: float) -> tuple[float, float]:
        p = math.radians(lat)
        return math.sin(p) * sin0, math.cos(p) * cos0

    @cache
    def column(lon: float) -> float:
        return math.cos(math.radians(lon) - lon0)

    def closeness(lat: float, lon: float) -> float:  # the cosine of the angle to the centre
        s, c = row(lat)
        return s + c * column(lon)

    @cache
    def farthest_allowed(min_lat: float, max_lat: float, width: float) -> float:
        # A point of the cell is within `reach` of its centre: the centre farther than
        # radius + reach puts the whole cell outside.
        return math.cos(min(math.pi, angle + _reach(min_lat, max_lat, width) / EARTH_RADIUS_KM))

    def test(cell: Bounds) -> int:
        center = closeness((cell[1] + cell[3]) / 2, (cell[0] + cell[2]) / 2)
        if center < farthest_allowed(cell[1], cell[3], cell[2] - cell[0]):
            return OUTSIDE
        # In a circle smaller than a hemisphere, the farthest point of a lon/lat cell from
        # any point is one of its corners (the distance has no maximum inside the cell).
        corners = ((cell[1], cell[0]), (cell[1], cell[2]), (cell[3], cell[0]), (cell[3], cell[2]))
        if all(closeness(lat, lon) >= cos_radius for lat, lon in corners):
            return INSIDE
        return EDGE

    return test


def _reach(min_lat: float, max_lat: float, width: float) -> float:
    """How far the farthest point of a cell is from its centre (at a corner)."""
    center = (min_lat + max_lat) / 2
    return max(haversine_km(center, 0.0, lat, width / 2) for lat in (min_lat, max_lat))


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


def _cell_bounds(level: int, x: int, y: int) -> Bounds:
    size = 360.0 / (1 << level)
    return (x * size - 180.0, y * size - 90.0, (x + 1) * size - 180.0, (y + 1) * size - 90.0)


def _token(level: int, x: int, y: int) -> str:
    return f"{level}/{x}/{y}"


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0
