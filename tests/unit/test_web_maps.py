"""The page's maps: Web Mercator points, views and tiles (services/index/web/maps.py)."""

import math

import pytest

from services.index.web import maps
from shared.schemas import Bucket
from tests.factories import NAIROBI, PARIS, SUVA


def test_mercator_corners_and_the_equator():
    assert maps.project(-180, 0) == (0.0, pytest.approx(500.0))
    assert maps.project(180, maps.MAX_LAT) == (pytest.approx(1000.0), pytest.approx(0.0, abs=1e-6))
    assert maps.project(0, 90) == maps.project(
        0, maps.MAX_LAT
    )  # the poles are clamped, not infinite


def test_points_of_a_match_are_sized_by_articles_largest_first():
    buckets = [
        Bucket(key="2988507|48.8566|2.3522|Paris", count=1),
        Bucket(key="184745|-1.2864|36.8172|Nairobi", count=100),
        Bucket(key="not a point", count=5),
    ]
    points = maps.match_points(buckets)
    assert [p.name for p in points] == ["Nairobi", "Paris"]
    assert points[0].r == maps.RADIUS[1] and points[1].r == pytest.approx(3 + 13 * math.sqrt(0.01))
    assert (points[1].place_id, points[1].x) == (
        "2988507",
        pytest.approx((2.3522 + 180) / 360 * 1000, abs=0.005),
    )
    assert maps.match_points(buckets, scale=0.5)[0].r == maps.RADIUS[1] / 2


def test_an_articles_view_holds_its_places_and_marks_the_focus():
    points = maps.article_points([PARIS, NAIROBI, PARIS], PARIS, r=2)
    assert [(p.name, p.focus) for p in points] == [("Paris", True), ("Nairobi", False)]
    view = maps.view_around([(p.x, p.y) for p in points])
    for p in points:
        assert view.x < p.x < view.x + view.width and view.y < p.y < view.y + view.height
    alone = maps.view_around([(points[0].x, points[0].y)])
    assert alone.width == 30.0 and alone.height == 15.0


def test_a_view_never_leaves_the_world():
    x, y = maps.project(SUVA.lon, SUVA.lat)
    view = maps.view_around([(x, y)])
    assert view.x + view.width <= maps.WORLD and view.x >= 0


def test_a_bbox_filter_is_a_rectangle_and_a_zoomed_view():
    box = maps.box_rect("-10,40,10,50")
    (x0, y0), (x1, y1) = maps.project(-10, 50), maps.project(10, 40)
    assert (box.x, box.y, box.width, box.height) == pytest.approx((x0, y0, x1 - x0, y1 - y0))
    view = maps.view_of_box(box)
    assert view.x < box.x and view.x + view.width > box.x + box.width
    assert maps.box_rect("not,a,box") is None
    assert maps.box_rect("170,-20,-170,-10").width == pytest.approx(
        20 / 360 * 1000
    )  # across the antimeridian


def test_tiles_cover_the_view_at_a_zoom_fitting_its_width():
    assert maps.tiles("", maps.world_view()) == []
    tiles = maps.tiles("https://t.example/{z}/{x}/{y}.png", maps.world_view())
    assert {t.url.split("/")[3] for t in tiles} == {"2"} and len({t.url for t in tiles}) == len(
        tiles
    )
    assert "https://t.example/2/0/0.png" in {t.url for t in tiles} and tiles[0].size == 250
    close = maps.tiles("https://t.example/{z}/{x}/{y}.png", maps.ViewBox(500, 300, 10, 5))
    assert close[0].url.startswith("https://t.example/8/") and len(close) <= 12
