"""Coverings of a query shape by grid cells: coarse cells wholly inside, fine ones on its edge.

Built level by level as numpy array operations (see :mod:`services.index.geo` for the
grid and the shapes); :func:`services.index.geo.covering` is the cached entry point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from services.index.geo import (
    EARTH_RADIUS_KM,
    MAX_LEVEL,
    MIN_LEVEL,
    Box,
    Circle,
    Covering,
    Shape,
    cell_of,
    quadkey,
)


def cover(shape: Shape, refine: int) -> Covering:
    """The covering of ``shape``, border cells ``refine`` levels finer than the coarsest
    cell holding it; a box across the antimeridian is covered as its two halves."""
    box = shape.bounds() if isinstance(shape, Circle) else shape
    inside: list[str] = []
    border: list[str] = []
    for part in _unwrapped(box):
        start = _start_level(part)
        finest = min(MAX_LEVEL, start + refine)
        test = _circle_test(shape) if isinstance(shape, Circle) else _box_test(part)
        _descend(part, test, start, finest, inside, border)
    return Covering(inside=inside, border=border)


Cells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # west, south, east, north


def _descend(part: Box, test: Callable[[Cells], np.ndarray], start: int, finest: int,
             inside: list[str], border: list[str]) -> None:
    """Level by level, all cells of a level at once: a new shape's covering is thousands
    of cell tests, 3-5x faster as array operations than one Python call each."""
    x0, y0 = cell_of(start, part.min_lat, part.min_lon)
    x1, y1 = cell_of(start, part.max_lat, part.max_lon)
    xs, ys = (a.ravel() for a in np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1), indexing="ij"))
    for level in range(start, finest + 1):
        size = 360.0 / (1 << level)
        west, south = xs * size - 180.0, ys * size - 90.0
        east, north = (xs + 1) * size - 180.0, (ys + 1) * size - 90.0
        touching = ~((west > part.max_lon) | (part.min_lon > east) | (south > part.max_lat) | (part.min_lat > north))
        xs, ys = xs[touching], ys[touching]
        where = test((west[touching], south[touching], east[touching], north[touching]))
        inside.extend(_tokens(level, xs[where == INSIDE], ys[where == INSIDE]))
        edge = where == EDGE
        if level >= finest:
            border.extend(quadkey(level, x, y) for x, y in zip(xs[edge].tolist(), ys[edge].tolist(), strict=True))
            return
        xs, ys = 2 * xs[edge], 2 * ys[edge]
        xs = np.concatenate((xs, xs, xs + 1, xs + 1))
        ys = np.concatenate((ys, ys + 1, ys, ys + 1))


OUTSIDE, EDGE, INSIDE = 0, 1, 2


def _box_test(part: Box) -> Callable[[Cells], np.ndarray]:
    def test(cells: Cells) -> np.ndarray:
        west, south, east, north = cells
        inside = (west >= part.min_lon) & (east <= part.max_lon) & (south >= part.min_lat) & (north <= part.max_lat)
        return np.where(inside, INSIDE, EDGE)  # cells not touching the part never get here

    return test


def _circle_test(circle: Circle) -> Callable[[Cells], np.ndarray]:
    """Cells by their corners' angular closeness to the centre (cosines, no haversines)."""
    lat0, lon0 = math.radians(circle.lat), math.radians(circle.lon)
    sin0, cos0 = math.sin(lat0), math.cos(lat0)
    angle = circle.radius_km / EARTH_RADIUS_KM
    cos_radius = math.cos(angle)

    def row(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.radians(lat)
        return np.sin(p) * sin0, np.cos(p) * cos0

    def column(lon: np.ndarray) -> np.ndarray:
        return np.cos(np.radians(lon) - lon0)

    def test(cells: Cells) -> np.ndarray:
        # The cosine of the angle to the centre: row's sine term + row's cosine term * column's.
        west, south, east, north = cells
        center_s, center_c = row((south + north) / 2)
        center = center_s + center_c * column((west + east) / 2)
        # A point of the cell is within `reach` of its centre: the centre farther than
        # radius + reach puts the whole cell outside.
        farthest_allowed = np.cos(np.minimum(math.pi, angle + _reach(south, north, east - west) / EARTH_RADIUS_KM))
        # In a circle smaller than a hemisphere, the farthest point of a lon/lat cell from
        # any point is one of its corners (the distance has no maximum inside the cell).
        (south_s, south_c), (north_s, north_c) = row(south), row(north)
        west_c, east_c = column(west), column(east)
        corners_in = ((south_s + south_c * west_c >= cos_radius) & (south_s + south_c * east_c >= cos_radius)
                      & (north_s + north_c * west_c >= cos_radius) & (north_s + north_c * east_c >= cos_radius))
        return np.where(center < farthest_allowed, OUTSIDE, np.where(corners_in, INSIDE, EDGE))

    return test


def _reach(min_lat: np.ndarray, max_lat: np.ndarray, width: np.ndarray) -> np.ndarray:
    """How far the farthest point of a cell is from its centre (at a corner)."""
    center = (min_lat + max_lat) / 2
    return np.maximum(_haversines(center, width / 2, min_lat), _haversines(center, width / 2, max_lat))


def _haversines(lat1: np.ndarray, half_width: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """:func:`haversine_km` from (lat1, 0) to (lat2, half_width), over arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(half_width) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _tokens(level: int, xs: np.ndarray, ys: np.ndarray) -> list[str]:
    return [f"{level}/{x}/{y}" for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]


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
