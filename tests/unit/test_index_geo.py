"""Grid cells and coverings: every point of a shape is reachable, inside cells never lie."""

import random

import pytest

from services.index.geo import (
    Box,
    Circle,
    cell_of,
    cell_tokens,
    covering,
    haversine_km,
    quadkey,
    spot_point,
    spot_token,
)


def test_haversine_paris_to_berlin_is_about_878_km():
    assert haversine_km(48.8566, 2.3522, 52.52, 13.405) == pytest.approx(878, abs=5)


def test_one_token_per_level_and_neighbours_share_coarse_cells():
    paris, versailles = cell_tokens(48.8566, 2.3522), cell_tokens(48.8049, 2.1204)
    assert len(paris) == len(set(paris)) == 14
    assert paris[:8] == versailles[:8]
    assert paris[-1] != versailles[-1]


def test_a_cells_quadkey_starts_the_spot_of_every_point_in_it_and_spots_keep_exact_coordinates():
    rng = random.Random(3)
    for _ in range(2000):
        lat, lon = rng.uniform(-90, 90), rng.uniform(-180, 180)
        spot = spot_token(lat, lon)
        assert spot_point(spot) == (lat, lon)
        for level in range(1, 15):
            assert spot.startswith(quadkey(level, *cell_of(level, lat, lon)))
    assert spot_token(90.0, 180.0).startswith(quadkey(14, *cell_of(14, 90.0, 180.0)))


@pytest.mark.parametrize(
    "shape",
    [
        Box(-10.0, 35.0, 30.0, 60.0),
        Box(2.2, 48.8, 2.5, 48.9),
        Box(170.0, -25.0, -170.0, -10.0),  # across the antimeridian
        Circle(48.85, 2.35, 300.0),
        Circle(-18.14, 178.44, 500.0),  # Suva, wrapping the antimeridian
        Circle(89.0, 0.0, 400.0),  # over the pole
    ],
)
def test_covering_reaches_every_point_inside_and_inside_cells_are_exact(shape):
    cover = covering(shape)
    inside, border = set(cover.inside), set(cover.border)
    for lat, lon in _points_around(shape):
        tokens = set(cell_tokens(lat, lon))
        spot = spot_token(lat, lon)
        if shape.contains(lat, lon):
            assert tokens & inside or {spot[:n] for n in range(1, 15)} & border, (lat, lon)
        elif tokens & inside:
            pytest.fail(f"({lat}, {lon}) is outside {shape} but in an inside cell")


def _points_around(shape):
    """Points anywhere on the globe, and as many near the shape's edges."""
    rng = random.Random(7)
    box = shape.bounds() if isinstance(shape, Circle) else shape
    width = (box.max_lon - box.min_lon) % 360 or 360
    height = box.max_lat - box.min_lat
    for _ in range(10_000):
        yield rng.uniform(-90, 90), rng.uniform(-180, 180)
        lat = min(90.0, max(-90.0, rng.uniform(box.min_lat - height / 2, box.max_lat + height / 2)))
        lon = (box.min_lon + rng.uniform(-width / 2, width * 1.5) + 180) % 360 - 180
        yield lat, lon


def test_coverings_stay_small():
    for shape in (Box(-180.0, -90.0, 180.0, 90.0), Box(-10.0, 35.0, 30.0, 60.0), Circle(0.0, 0.0, 5000.0)):
        cover = covering(shape)
        assert len(cover.inside) + len(cover.border) < 2000
