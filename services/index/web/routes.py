"""The page's routes: ``/`` (search), ``/articles/{id}``, two fragments its script asks
for, and ``/static/`` (its stylesheet, script and map). Mounted by the search app.

Thin: the URL -> :class:`~.state.PageState` -> a view (:mod:`.views`) -> a template.
Unlike the API's handlers these run in worker threads: a page renders for milliseconds
more than a search takes, and the event loop meanwhile serves the API and live streams.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import MediaType, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.params import PathParameter
from litestar.static_files import create_static_files_router

from services.index.cursors import CursorSeal
from services.index.port import ArticleSearch
from services.index.web import views
from services.index.web.landing import LandingCache
from services.index.web.state import PageState
from shared.http_errors import error_response
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
STATIC_PATH = "/static"
# The API routes the page offers when this service has them (they came later than the page).
API_PATHS = {
    "export": "/v1/export",
    "export_facets": "/v1/export/facets",
    "export_timeline": "/v1/export/timeline",
    "stream": "/v1/stream",
}
_ARTICLE_ID = re.compile(r"^[0-9a-f]{32}$")


def page_routes(store: ArticleSearch, cursors: CursorSeal, settings: Settings) -> list:
    templates = _templates(settings)
    features: dict[str, bool] = {}
    landing = LandingCache(store)

    def render(request: Request, name: str, status: int = 200, **context) -> Response[str]:
        if not features:
            features.update(_api_features(request))
        html = templates.get_template(name).render(api=features, **context)
        return Response(html, media_type=MediaType.HTML, status_code=status)

    @get("/", sync_to_thread=True, include_in_schema=False)
    def search_page(request: Request) -> Response[str]:
        state = PageState.from_query(request.query_params.dict())
        started = time.perf_counter()
        page = views.search_page(
            store,
            cursors,
            state,
            cursor=request.query_params.get("cursor"),
            tile_url=settings.map_tiles,
            landing=landing,
        )
        took_ms = (time.perf_counter() - started) * 1000
        return render(
            request, "search.html", 400 if page.errors else 200, page=page, took_ms=took_ms
        )

    @get("/results", sync_to_thread=True, include_in_schema=False)
    def more_results(request: Request) -> Response[str]:
        # the cursor read here, not declared: a missing one is the fragment's own 400 (HTML,
        # as the page's other refusals), not Litestar's JSON
        state = PageState.from_query(request.query_params.dict())
        cursor = request.query_params.get("cursor")
        try:
            if not cursor:
                raise views.Failed(["cursor: required (the link of the page before)"])
            hits = views.more_hits(store, cursors, state, cursor)
        except views.Failed as exc:
            return render(request, "_errors.html", 400, errors=exc.errors)
        return render(
            request, "_hits.html", hits=hits.hits, next_cursor=hits.next_cursor, state=state
        )

    @get("/hits/{article_id:str}", sync_to_thread=True, include_in_schema=False)
    def one_hit(request: Request, article_id: Annotated[str, PathParameter()]) -> Response[str]:
        article = store.get(article_id) if _ARTICLE_ID.match(article_id) else None
        if article is None:
            return render(request, "_errors.html", 404, errors=[f"no article with id {article_id}"])
        state = PageState.from_query(request.query_params.dict())
        return render(
            request,
            "_hits.html",
            hits=[views.new_hit(article, state)],
            next_cursor=None,
            state=state,
        )

    @get("/articles/{article_id:str}", sync_to_thread=True, include_in_schema=False)
    def article_page(
        request: Request, article_id: Annotated[str, PathParameter()]
    ) -> Response[str]:
        article = store.get(article_id) if _ARTICLE_ID.match(article_id) else None
        if article is None:
            return render(request, "missing.html", 404, article_id=article_id, state=PageState())
        page = views.article_page(article, tile_url=settings.map_tiles)
        return render(request, "article.html", page=page, state=PageState())

    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[HERE / "static"],
        name="page_static",
        cache_control=CacheControlHeader(max_age=3600, public=True),
        before_request=_only_assets(HERE / "static"),
    )
    return [search_page, more_results, one_hit, article_page, static]


def _only_assets(directory: Path):
    """Refuses, before the file system is asked, any path that is not one of the page's
    assets (a NUL or a name too long for the file system raised there: a 500)."""
    assets = {"/" + str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}

    def check(request: Request) -> Response | None:
        if request.scope["path"].removeprefix(STATIC_PATH) not in assets:
            return error_response(404, "not_found", "no such file")
        return None

    return check


def _templates(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates change with a new Dateline, not while it runs
    )
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["day"] = lambda when: when.strftime("%-d %b %Y") if when else ""
    env.globals.update(
        static=STATIC_PATH,
        tiles_attribution=settings.map_tiles_attribution,
        paths=API_PATHS,
        facet_names=",".join(name for name, *_ in views.FACETS),
    )
    return env


def _api_features(request: Request) -> dict[str, bool]:
    """Which of the later API routes this app serves: the page offers only those."""
    served = {route.path for route in request.app.routes}
    return {name: path in served for name, path in API_PATHS.items()}
