"""Derive the browser assets Dateline serves from the npm packages pinned in package-lock.json.

    cd assets && npm ci --ignore-scripts && cd .. && python3 assets/build.py

Writes, and the repository commits (so users need no Node):
- ``services/index/web/static/world.svg``: Natural Earth's 1:50m countries (npm
  ``world-atlas``, public domain) in Web Mercator, the map's background: land, coastlines
  and borders as three paths, each arc drawn once, simplified to 0.12 and rounded to 0.1
  of 1,000 units across the world;
- ``shared/docs_ui/``: Swagger UI's bundle, preset and stylesheet (npm ``swagger-ui-dist``,
  Apache-2.0) with its licence, so ``/docs`` works without the internet.

Only the standard library: the same inputs give the same bytes.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

ASSETS = Path(__file__).resolve().parent
ROOT = ASSETS.parent
MODULES = ASSETS / "node_modules"
STATIC = ROOT / "services" / "index" / "web" / "static"
DOCS_UI = ROOT / "shared" / "docs_ui"

WORLD = 1000.0  # the width (and height) of the Mercator square, in SVG units
TOLERANCE = 0.2  # Douglas-Peucker, in units: ~8 km at the equator
MIN_RING = 0.8  # islands smaller across than this (units: ~30 km at the equator) are left out
MAX_LAT = 85.0511287798  # where the Mercator square ends (Web Mercator's limit)
SWAGGER_FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "LICENSE",
    "NOTICE",
)


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """Longitude/latitude to the square's units (the same formula as the page's map.py)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = (lon + 180.0) / 360.0 * WORLD
    y = (1.0 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2.0 * WORLD
    return x, y


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantised, delta-encoded arcs as projected points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append(mercator(x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplified(
    points: list[tuple[float, float]], tolerance: float = TOLERANCE
) -> list[tuple[float, float]]:
    """Douglas-Peucker: the points that keep the line within ``tolerance`` of the original.

    Each arc is simplified once, so the two countries sharing a border still meet."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        length = math.hypot(bx - ax, by - ay)
        worst, at = 0.0, first
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                distance = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            else:
                distance = math.hypot(px - ax, py - ay)
            if distance > worst:
                worst, at = distance, i
        if worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def rings(geometry: dict) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return geometry["arcs"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["arcs"] for ring in polygon]
    return []


def arc_points(arcs: list, index: int) -> list[tuple[float, float]]:
    """Arc ``index``; a negative index (``~i``) is arc ``i`` reversed."""
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def path_data(lines: list[list[tuple[float, float]]], *, closed: bool) -> str:
    """Relative SVG path commands at 0.1 unit, points that round to the last one dropped."""
    out = []
    for line in lines:
        ticks = []
        for x, y in line:
            tick = (round(x * 10), round(y * 10))
            if not ticks or tick != ticks[-1]:
                ticks.append(tick)
        if len(ticks) < 2:
            continue
        (x0, y0), prev = ticks[0], ticks[0]
        steps = []
        for tick in ticks[1:]:
            steps.append(f"{_num(tick[0] - prev[0])}{_num(tick[1] - prev[1], lead=True)}")
            prev = tick
        out.append(
            f"M{_num(x0)}{_num(y0, lead=True)}l" + "".join(_joined(steps)) + ("z" if closed else "")
        )
    return "".join(out)


def _num(ticks: int, *, lead: bool = False) -> str:
    text = f"{ticks / 10:.1f}".rstrip("0").rstrip(".")
    text = re.sub(r"^(-?)0\.", r"\1.", text)
    return text if text.startswith("-") or not lead else f" {text}"


def _joined(steps: list[str]) -> list[str]:
    # Numbers run together where the next one starts with "-" (a valid SVG separator).
    return [step if i == 0 or step.startswith("-") else f" {step}" for i, step in enumerate(steps)]


def world_svg(topology: dict) -> str:
    arcs = [simplified(arc) for arc in decode_arcs(topology)]
    land = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("properties", {}).get("name") == "Antarctica":
            continue  # below the map's edge (60°S), and a ring round the pole Mercator cannot close
        for ring in rings(geometry):
            points = unwrapped([p for index in ring for p in arc_points(arcs, index)])
            if _extent(points) < MIN_RING:
                continue  # an islet: a speck at any zoom the page uses
            land.append(points)
            for shift in (-WORLD, WORLD):  # a ring across the antimeridian shows on both edges
                if any(not 0 <= x + shift <= WORLD for x, _ in points) and any(
                    0 <= x + shift <= WORLD for x, _ in points
                ):
                    land.append([(x + shift, y) for x, y in points])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WORLD:g} {WORLD:g}">'
        "<!-- Natural Earth 1:50m countries (public domain) via npm world-atlas 2.0.2; Web Mercator -->"
        # the page draws it with <use href="world.svg#land">: strokes stay thin at any zoom
        '<path id="land" fill="#e6e1d3" stroke="#a39d90" stroke-width=".7" stroke-linejoin="round" '
        f'vector-effect="non-scaling-stroke" d="{path_data(land, closed=True)}"/></svg>\n'
    )


def unwrapped(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The ring without its jumps at the antimeridian: x runs on past 0 or WORLD instead."""
    out = points[:1]
    offset = 0.0
    for (x0, _), (x, y) in itertools.pairwise(points):
        if x - x0 > WORLD / 2:
            offset -= WORLD
        elif x0 - x > WORLD / 2:
            offset += WORLD
        out.append((x + offset, y))
    return out


def _extent(points: list[tuple[float, float]]) -> float:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return math.hypot(max(xs) - min(xs), max(ys) - min(ys))


def copy_docs_ui() -> None:
    DOCS_UI.mkdir(parents=True, exist_ok=True)
    source = MODULES / "swagger-ui-dist"
    for name in SWAGGER_FILES:
        text = (source / name).read_text(encoding="utf-8")
        # no source maps are shipped: a browser would ask for them in vain
        text = re.sub(r"\n?(//|/\*)# sourceMappingURL=\S+( \*/)?\s*$", "\n", text)
        (DOCS_UI / name).write_text(text, encoding="utf-8")


def main() -> None:
    topology = json.loads((MODULES / "world-atlas" / "countries-50m.json").read_text())
    STATIC.mkdir(parents=True, exist_ok=True)
    (STATIC / "world.svg").write_text(world_svg(topology), encoding="utf-8")
    copy_docs_ui()
    for path in (STATIC / "world.svg", *(DOCS_UI / n for n in SWAGGER_FILES)):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
