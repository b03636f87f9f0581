"""The search API's query parameters, checked and turned into a store request.

Pure: strings in, a :class:`~services.index.domain.SearchRequest` out, or
:class:`InvalidParameters` naming every bad parameter and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import msgspec
from msgspec import Struct

from services.index.cursors import BadCursor, CursorSeal
from services.index.domain import (
    FACET_NAMES,
    After,
    EntityFilter,
    GeoFilter,
    Match,
    PlaceFilter,
    SearchRequest,
)
from services.index.geo import Box, Circle
from shared.schemas import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ErrorDetail

MAX_SIZE = 100
MAX_FACET_SIZE = 100
MAX_RADIUS_KM = 5000.0
MAX_RELEVANCE_DEPTH = 10_000
# A query a person writes is far below these; the parser recurses on nesting (10 KB of "("
# crashed the process) and its cost grows with the operators.
MAX_QUERY_CHARS = 2_000
MAX_QUERY_NESTING = 20
MAX_QUERY_TERMS = 200
MAX_GEONAMES_ID_DIGITS = 10
SORTS = ("relevance", "newest", "oldest")
INTERVALS = ("day", "week", "month")
# `from` and `to` must lie where the store's 64-bit nanosecond dates reach.
_WINDOW = f"{EARLIEST_TIMESTAMP:%Y-%m-%dT%H:%M:%SZ}..{LATEST_TIMESTAMP:%Y-%m-%dT%H:%M:%SZ}"

_LABELED = re.compile(r"^([A-Za-z_]{2,20}):(.+)$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2}$")


class SearchParams(Struct, kw_only=True):
    """The parameters exactly as they arrived (repeatable ones as lists)."""

    q: str | None = None
    entity: list[str] = []
    place: list[str] = []
    country: list[str] = []
    source: list[str] = []
    language: list[str] = []
    published_from: str | None = None
    published_to: str | None = None
    near: str | None = None
    bbox: str | None = None
    focus_only: str | None = None
    sort: str | None = None
    size: str | None = None
    cursor: str | None = None
    facets: list[str] = []
    facet_size: str | None = None
    histogram: str | None = None


class InvalidParameters(ValueError):
    def __init__(self, errors: list[ErrorDetail]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


class _Problems:
    """Collects every bad parameter so one response can name them all."""

    def __init__(self) -> None:
        self.errors: list[ErrorDetail] = []

    def add(self, field: str, reason: str) -> None:
        self.errors.append(ErrorDetail(field=field, reason=reason))


def parse_search(params: SearchParams, cursors: CursorSeal) -> SearchRequest:
    """``cursors`` opens the ``cursor`` parameter (only cursors it issued are taken)."""
    problems = _Problems()
    match = Match(
        text=_query_text(problems, params.q),
        entities=tuple(_entity(v) for v in params.entity),
        places=tuple(_place(v) for v in params.place),
        countries=tuple(_codes(problems, "country", params.country, _COUNTRY, str.upper, "an ISO 3166-1 alpha-2 code such as FR")),
        sources=tuple(v.strip() for v in params.source if v.strip()),
        languages=tuple(_codes(problems, "language", params.language, _LANGUAGE, str.lower, "an ISO 639-1 code such as en")),
        published_from=_when(problems, "from", params.published_from, end_of_day=False),
        published_to=_when(problems, "to", params.published_to, end_of_day=True),
        geo=_geo(problems, params),
    )
    if match.published_from and match.published_to and match.published_from > match.published_to:
        problems.add("from", "is after `to`")
    sort = _choice(problems, "sort", params.sort, SORTS, "relevance")
    request = SearchRequest(
        match=match,
        sort=sort,  # type: ignore[arg-type]
        size=_bounded_int(problems, "size", params.size, 10, 0, MAX_SIZE),
        facets=tuple(_facets(problems, params.facets)),
        facet_size=_bounded_int(problems, "facet_size", params.facet_size, 10, 1, MAX_FACET_SIZE),
        histogram=_choice(problems, "histogram", params.histogram, INTERVALS, None),  # type: ignore[arg-type]
    )
    after = _after(problems, params.cursor, request, cursors)
    if problems.errors:
        raise InvalidParameters(problems.errors)
    return msgspec.structs.replace(request, after=after)


# -- one parameter each ---------------------------------------------------------------------


def _entity(value: str) -> EntityFilter:
    labeled = _LABELED.match(value.strip())
    if labeled:
        return EntityFilter(text=labeled.group(2).strip(), label=labeled.group(1).upper())
    return EntityFilter(text=value.strip())


def _query_text(problems: _Problems, raw: str | None) -> str | None:
    text = raw.strip() if raw else ""
    if not text:
        return None
    if len(text) > MAX_QUERY_CHARS:
        problems.add("q", f"is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    elif _nesting(text) > MAX_QUERY_NESTING:
        problems.add("q", f"nests parentheses more than {MAX_QUERY_NESTING} deep")
    elif len(text.split()) > MAX_QUERY_TERMS:
        problems.add("q", f"has more than {MAX_QUERY_TERMS} terms and operators")
    return text


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    return deepest


def _place(value: str) -> PlaceFilter:
    value = value.strip()
    # isdigit() also holds for "²" and other digits int() does not read; a negative id
    # names a place of the enrichment's own physical table (a sea, a region)
    digits = value.removeprefix("-")
    numeric = digits.isascii() and digits.isdigit() and len(digits) <= MAX_GEONAMES_ID_DIGITS
    return PlaceFilter(geonames_id=int(value)) if numeric else PlaceFilter(name=value)


def _codes(
    problems: _Problems, field: str, values: list[str], pattern: re.Pattern,
    case: Callable[[str], str], expected: str,
) -> list[str]:
    codes = []
    for value in values:
        if not value.strip():
            continue  # an empty field of a form: no filter
        if pattern.match(value.strip()):
            codes.append(case(value.strip()))
        else:
            problems.add(field, f"{value!r} is not {expected}")
    return codes


def _when(problems: _Problems, field: str, raw: str | None, *, end_of_day: bool) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        if len(raw) == 10:  # a calendar day covers the whole day
            when = datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        else:
            when = datetime.fromisoformat(raw)
    except ValueError:
        problems.add(field, f"{raw!r} is not a date (YYYY-MM-DD) or an RFC 3339 time")
        return None
    if when.tzinfo is None:
        problems.add(field, f"{raw!r} has no UTC offset (add Z or +HH:MM)")
        return None
    if not EARLIEST_TIMESTAMP <= when <= LATEST_TIMESTAMP:
        problems.add(field, f"{raw!r} is outside {_WINDOW}, the instants the index can hold")
        return None
    if len(raw) == 10 and end_of_day:
        return min(when + timedelta(days=1, microseconds=-1), LATEST_TIMESTAMP)
    return when



def _geo(problems: _Problems, params: SearchParams) -> GeoFilter | None:
    focus_only = _flag(problems, "focus_only", params.focus_only)
    if params.near and params.bbox:
        problems.add("near", "give either `near` or `bbox`, not both")
        return None
    shape = None
    if params.near:
        shape = _circle(problems, params.near)
    elif params.bbox:
        shape = _box(problems, params.bbox)
    elif focus_only:
        problems.add("focus_only", "needs `near` or `bbox`")
    return GeoFilter(shape=shape, focus_only=focus_only) if shape else None


def _numbers(problems: _Problems, field: str, raw: str, names: tuple[str, ...]) -> list[float] | None:
    parts = raw.split(",")
    expected = ",".join(names)
    if len(parts) != len(names):
        problems.add(field, f"{raw!r} must be {len(names)} numbers: {expected}")
        return None
    try:
        return [float(p) for p in parts]
    except ValueError:
        problems.add(field, f"{raw!r} must be numbers: {expected}")
        return None


def _circle(problems: _Problems, raw: str) -> Circle | None:
    numbers = _numbers(problems, "near", raw, ("lat", "lon", "radius_km"))
    if numbers is None:
        return None
    lat, lon, radius = numbers
    ok = _latitude(problems, "near", lat) & _longitude(problems, "near", lon)
    if not 0 < radius <= MAX_RADIUS_KM:
        problems.add("near", f"radius_km {radius:g} must be above 0 and at most {MAX_RADIUS_KM:g}")
        ok = False
    return Circle(lat=lat, lon=lon, radius_km=radius) if ok else None


def _box(problems: _Problems, raw: str) -> Box | None:
    numbers = _numbers(problems, "bbox", raw, ("min_lon", "min_lat", "max_lon", "max_lat"))
    if numbers is None:
        return None
    min_lon, min_lat, max_lon, max_lat = numbers
    ok = _longitude(problems, "bbox", min_lon) & _longitude(problems, "bbox", max_lon)
    ok &= _latitude(problems, "bbox", min_lat) & _latitude(problems, "bbox", max_lat)
    if min_lat > max_lat:
        problems.add("bbox", f"min_lat {min_lat:g} is above max_lat {max_lat:g}")
        ok = False
    # min_lon > max_lon is allowed: the box crosses the antimeridian.
    return Box(min_lon, min_lat, max_lon, max_lat) if ok else None


def _latitude(problems: _Problems, field: str, value: float) -> bool:
    if -90 <= value <= 90:
        return True
    problems.add(field, f"latitude {value:g} is outside -90..90")
    return False


def _longitude(problems: _Problems, field: str, value: float) -> bool:
    if -180 <= value <= 180:
        return True
    problems.add(field, f"longitude {value:g} is outside -180..180")
    return False


def _flag(problems: _Problems, field: str, raw: str | None) -> bool:
    if raw is None or raw.lower() in ("", "false", "0", "no"):
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    problems.add(field, f"{raw!r} is not true or false")
    return False


def _choice(problems: _Problems, field: str, raw: str | None, allowed: tuple[str, ...], default: str | None) -> str | None:
    if raw is None or raw == "":
        return default
    if raw in allowed:
        return raw
    problems.add(field, f"{raw!r} is not one of {', '.join(allowed)}")
    return default


def _bounded_int(problems: _Problems, field: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.add(field, f"{raw!r} is not a whole number")
        return default
    if not low <= value <= high:
        problems.add(field, f"{value} is outside {low}..{high}")
        return default
    return value


def _facets(problems: _Problems, raw: list[str]) -> list[str]:
    names: list[str] = []
    for name in (n.strip() for value in raw for n in value.split(",")):
        if not name:
            continue
        if name not in FACET_NAMES:
            problems.add("facets", f"{name!r} is not one of {', '.join(FACET_NAMES)}")
        elif name not in names:
            names.append(name)
    return names


def _after(problems: _Problems, raw: str | None, request: SearchRequest, cursors: CursorSeal) -> After | None:
    if not raw:
        return None
    try:
        after = cursors.open(raw, request)
    except BadCursor as exc:
        problems.add("cursor", str(exc))
        return None
    if after.offset + request.size > MAX_RELEVANCE_DEPTH:
        problems.add("cursor", f"relevance paging stops at {MAX_RELEVANCE_DEPTH} hits: sort=newest pages without limit")
        return None
    return after
