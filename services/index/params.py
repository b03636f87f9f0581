"""The search parameters as HTTP declares them, once, for every route that takes a search.

A Litestar dependency: a route that asks for ``params: Searched`` gets the query
string's parameters exactly as they arrived (checking them is
:func:`~services.index.query.parse_search`'s job), and the API docs list them.
:func:`params_of_query` reads the same declaration straight from a query string, for
the search's hot lane (:mod:`services.index.api`), with Litestar's rules.
"""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any
from urllib.parse import parse_qsl

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from services.index.query import SearchParams

Many = Annotated[list[str] | None, QueryParameter(description="Repeatable.")]


def search_params(
    q: Annotated[
        str | None,
        QueryParameter(
            description="Full text: phrases, AND/OR/NOT, title:/text:/entity:/place:; all terms required."
        ),
    ] = None,
    entity: Annotated[
        list[str] | None,
        QueryParameter(description="Repeatable. Canonical entity text, optionally LABEL:text."),
    ] = None,
    place: Annotated[
        list[str] | None, QueryParameter(description="Repeatable. Place name or GeoNames id.")
    ] = None,
    country: Annotated[
        list[str] | None, QueryParameter(description="Repeatable. ISO 3166-1 alpha-2.")
    ] = None,
    source: Many = None,
    language: Many = None,
    published_from: Annotated[
        str | None,
        QueryParameter(name="from", description="Published at or after (date or RFC 3339)."),
    ] = None,
    published_to: Annotated[
        str | None,
        QueryParameter(
            name="to", description="Published at or before (a date includes the whole day)."
        ),
    ] = None,
    near: Annotated[
        str | None,
        QueryParameter(description="lat,lon,radius_km: mentions a place within the radius."),
    ] = None,
    bbox: Annotated[
        str | None,
        QueryParameter(description="min_lon,min_lat,max_lon,max_lat: mentions a place inside."),
    ] = None,
    focus_only: Annotated[
        str | None, QueryParameter(description="true: geo matches the story's focus place only.")
    ] = None,
    sort: Annotated[
        str | None, QueryParameter(description="relevance (default), newest, oldest.")
    ] = None,
    size: Annotated[
        str | None, QueryParameter(description="Hits per page, 0..100 (default 10).")
    ] = None,
    cursor: Annotated[
        str | None, QueryParameter(description="`next_cursor` of the previous page.")
    ] = None,
    facets: Annotated[
        list[str] | None,
        QueryParameter(
            description="Comma-separated: entities,people,organizations,places,countries,sources,languages,"
            "points (keys `geonames_id|lat|lon|name`, for maps)."
        ),
    ] = None,
    facet_size: Annotated[
        str | None, QueryParameter(description="Buckets per facet, 1..100 (default 10).")
    ] = None,
    histogram: Annotated[
        str | None, QueryParameter(description="day, week or month: article counts over time.")
    ] = None,
) -> SearchParams:
    return SearchParams(
        q=q,
        entity=entity or [],
        place=place or [],
        country=country or [],
        source=source or [],
        language=language or [],
        published_from=published_from,
        published_to=published_to,
        near=near,
        bbox=bbox,
        focus_only=focus_only,
        sort=sort,
        size=size,
        cursor=cursor,
        facets=facets or [],
        facet_size=facet_size,
        histogram=histogram,
    )


SEARCH_PARAMS = {"params": Provide(search_params, sync_to_thread=False)}
Searched = NamedDependency[SearchParams]  # a route's ``params: Searched``, with SEARCH_PARAMS


def _wire_names() -> dict[str, tuple[str, bool]]:
    """Each parameter's name in the query string -> its field, and whether it repeats."""
    names = {}
    for field, parameter in inspect.signature(search_params, eval_str=True).parameters.items():
        declared = next(m for m in parameter.annotation.__metadata__ if isinstance(m, QueryParameter))
        value_type = typing.get_args(parameter.annotation)[0]  # X | None
        repeats = any(typing.get_origin(t) is list for t in typing.get_args(value_type))
        names[declared.name or field] = (field, repeats)
    return names


_WIRE_NAMES = _wire_names()


def params_of_query(query_string: bytes) -> SearchParams:
    """The parameters :func:`search_params` gives, read from a raw query string as Litestar
    reads one: percent-escapes decoded as UTF-8 (a bad byte becomes U+FFFD), blank values
    kept, the last of a repeated single parameter taken, names not declared ignored."""
    fields: dict[str, Any] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&"):
        found = _WIRE_NAMES.get(name)
        if found is None:
            continue
        field, repeats = found
        if repeats:
            fields.setdefault(field, []).append(value)
        else:
            fields[field] = value
    return SearchParams(**fields)
