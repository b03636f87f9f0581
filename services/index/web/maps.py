"""The page's maps: places as points on Web Mercator, over the bundled country shapes.

Pure. Coordinates are those of ``static/world.svg`` (built by ``assets/build.py``): the
Mercator square is :data:`WORLD` units wide and high, x east from 180°W, y south from
85.05°N. ``static/page.js`` inverts the same formulas when a box is dragged. A tile server
(``DATELINE_MAP_TILES``) uses the same square, so its tiles sit under the shapes exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from msgspec import Struct

from shared.schemas import Bucket, Place

WORLD = 1000.0
MAX_LAT = 85.0511287798
# The world map leaves out the polar seas: 84°N (Svalbard, Greenland) to 60°S.
NORTH, SOUTH = 84.0, -60.0
RADIUS = (3.0, 16.0)  # a point's radius in units of the world view: the fewest articles, the most


class ViewBox(Struct, frozen=True):
    x: float
    y: float
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.x:.2f} {self.y:.2f} {self.width:.2f} {self.height:.2f}"


class Point(Struct, frozen=True, kw_only=True):
    place_id: str
    name: str
    lat: float
    lon: float
    x: float  # rounded: as the page writes it
    y: float
    r: float
    count: int = 0
    focus: bool = False


class Tile(Struct, frozen=True):
    url: str
    x: float
    y: float
    size: float


def project(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = (lon + 180.0) / 360.0 * WORLD
    y = (1.0 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2.0 * WORLD
    return x, y


def world_view() -> ViewBox:
    _, top = project(0.0, NORTH)
    _, bottom = project(0.0, SOUTH)
    return ViewBox(0.0, top, WORLD, bottom - top)


def parse_point(bucket: Bucket) -> tuple[str, float, float, str] | None:
    """A ``points`` facet key (``geonames_id|lat|lon|name``) as its parts; None if malformed."""
    parts = bucket.key.split("|", 3)
    if len(parts) != 4:
        return None
    try:
        return parts[0], float(parts[1]), float(parts[2]), parts[3]
    except ValueError:
        return None


def match_points(buckets: Iterable[Bucket], *, scale: float = 1.0) -> list[Point]:
    """The places of a match, sized by articles (area grows with the count); largest first,
    so smaller points are drawn on top and stay clickable. ``scale``: the view's width
    over the world's, so points keep their size on the screen in a zoomed view."""
    parsed = [(bucket.count, p) for bucket in buckets if (p := parse_point(bucket))]
    peak = max((count for count, _ in parsed), default=1)
    low, high = (r * scale for r in RADIUS)
    points = []
    for count, (place_id, lat, lon, name) in parsed:
        x, y = project(lon, lat)
        r = low + (high - low) * math.sqrt(count / peak)
        points.append(
            Point(
                place_id=place_id,
                name=name,
                lat=lat,
                lon=lon,
                x=round(x, 2),
                y=round(y, 2),
                r=round(r, 3),
                count=count,
            )
        )
    return sorted(points, key=lambda p: -p.count)


def article_points(places: list[Place], focus: Place | None, *, r: float = 1.0) -> list[Point]:
    """An article's places (its focus marked), each once, all of radius ``r``."""
    focus_id = focus.geonames_id if focus else None
    seen: dict[int, Point] = {}
    for place in [*places, *([focus] if focus else [])]:
        if place.geonames_id in seen:
            continue
        x, y = project(place.lon, place.lat)
        seen[place.geonames_id] = Point(
            place_id=str(place.geonames_id),
            name=place.resolved_name,
            lat=place.lat,
            lon=place.lon,
            x=round(x, 3),
            y=round(y, 3),
            r=r,
            focus=place.geonames_id == focus_id,
        )
    return list(seen.values())


def view_around(
    corners: list[tuple[float, float]], *, aspect: float = 2.0, min_width: float = 30.0
) -> ViewBox:
    """The view that shows every point of ``corners`` (x, y) with a margin, at least
    ``min_width`` units wide (about 11° of longitude), ``aspect`` wide to high."""
    if not corners:
        return world_view()
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    width = max(min_width, (max(xs) - min(xs)) * 1.4)
    height = max(width / aspect, (max(ys) - min(ys)) * 1.4)
    width = max(width, height * aspect)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    width, height = min(width, WORLD), min(height, WORLD)
    x = min(max(cx - width / 2, 0.0), WORLD - width)
    y = min(max(cy - height / 2, 0.0), WORLD - height)
    return ViewBox(x, y, width, height)


def view_of_box(box: ViewBox) -> ViewBox:
    """The search map zoomed to a ``bbox`` filter, with a margin around the box."""
    corners = [(box.x, box.y), (box.x + box.width, box.y + box.height)]
    world = world_view()
    return view_around(corners, aspect=world.width / world.height, min_width=60.0)


def box_rect(bbox: str) -> ViewBox | None:
    """The ``bbox`` filter (min_lon,min_lat,max_lon,max_lat) as a rectangle on the map."""
    try:
        west, south, east, north = (float(v) for v in bbox.split(","))
    except ValueError:
        return None
    x0, y0 = project(west, north)
    x1, y1 = project(east if east >= west else east + 360.0, south)
    return ViewBox(x0, y0, x1 - x0, y1 - y0)


def tiles(template: str, view: ViewBox, *, across: float = 4.0) -> list[Tile]:
    """Tiles of ``template`` ({z}/{x}/{y}) covering ``view``, at the zoom where about
    ``across`` tiles (or fewer) span its width."""
    if not template:
        return []
    zoom = max(1, min(18, math.floor(math.log2(WORLD * across / view.width))))
    size = WORLD / 2**zoom
    first_x, last_x = int(view.x // size), int(min(view.x + view.width, WORLD - 1e-9) // size)
    first_y, last_y = int(view.y // size), int(min(view.y + view.height, WORLD - 1e-9) // size)
    return [
        Tile(
            url=template.replace("{z}", str(zoom)).replace("{x}", str(tx)).replace("{y}", str(ty)),
            x=tx * size,
            y=ty * size,
            size=size,
        )
        for ty in range(first_y, last_y + 1)
        for tx in range(first_x, last_x + 1)
    ]
