"""The search parameters as HTTP declares them, once, for every route that takes a search.

A Litestar dependency: a route that asks for ``params: Searched`` gets the query
string's parameters exactly as they arrived (checking them is
:func:`~services.index.query.parse_search`'s job), and the API docs list them.
"""

from __future__ import annotations

from typing import Annotated

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
