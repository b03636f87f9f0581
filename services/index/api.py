"""The search API: ``GET /v1/search`` and ``GET /v1/articles/{id}`` over the store port
(:class:`~services.index.port.ArticleSearch`), and ``/v1/reindex`` in the writer's process.

Handlers are thin: parameters -> :func:`~services.index.query.parse_search` -> the
store -> API bodies. Who may call what is decided before any handler runs
(:mod:`services.index.access`). ``GET /v1/search`` is also answered in a lane beside
Litestar (:func:`search_lane`), with the same parameters, check and handler code.

The store is called in the event loop's own thread, not a worker thread: a search takes
1-10 ms, and handing it to a thread and back costs two thread wake-ups, which on a busy
machine cost more than most searches (measured with ``make bench-search``; see the
README). A search process so answers one search at a time (tantivy's own work releases
the GIL, so the indexer's thread goes on meanwhile); more capacity is more search
processes (``python -m services.index search``).
"""

from __future__ import annotations

import re
import time
from typing import Annotated

from litestar import Controller, HttpMethod, Litestar, Request, Response, get, post, route
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import PathParameter
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope
from prometheus_client import Counter, Gauge, Histogram

from services.index.access import (
    ADMIN_REFUSALS,
    ADMIN_SECURITY,
    SEARCH_REFUSALS,
    SECURITY_SCHEMES,
    Gatekeeper,
    search_security,
)
from services.index.cursors import CursorSeal, load_cursor_key
from services.index.domain import BadQuery, SearchRequest, SearchResult, StoredHit, StoreStats
from services.index.export_api import export_routes
from services.index.live import LiveHub, stream_limits
from services.index.params import SEARCH_PARAMS, Searched, params_of_query
from services.index.port import ArticleSearch
from services.index.query import InvalidParameters, SearchParams, parse_search
from services.index.reindex import ReindexJob, ReindexStatus
from services.index.stream_api import stream_routes
from services.index.web.routes import page_routes
from shared.error_shape import error_body
from shared.http import JsonAnswer, Lane, ReadinessChecks, build_app, error_response
from shared.schemas import EnrichedArticle, ErrorBody, ErrorDetail, SearchHit, SearchResponse
from shared.settings import Settings

SEARCHES = Counter("dateline_search_queries_total", "Search requests by outcome.", ["outcome"])
_ANSWERED, _REFUSED = SEARCHES.labels("ok"), SEARCHES.labels("invalid")
SEARCH_SECONDS = Histogram(
    "dateline_search_seconds", "Time the store took to answer a search.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DOCUMENTS = Gauge("dateline_index_documents", "Articles in the live index.")
INDEX_BYTES = Gauge("dateline_index_size_bytes", "Bytes on disk of the live index generation.")

_ARTICLE_ID = re.compile(r"^[0-9a-f]{32}$")


def search_app(
    store: ArticleSearch, settings: Settings, *, degraded_when: ReadinessChecks | None = None,
    reindexing: ReindexJob | None = None,
) -> Litestar:
    """The search service's HTTP app (health, readiness, metrics and /docs included), every
    request first past the :class:`~services.index.access.Gatekeeper`. The writer's process
    passes its ``reindexing`` job: then ``/v1/reindex`` is served too. Search is ready
    whenever it answers from the index; ``degraded_when`` names what it works without
    (Redis, indexing)."""
    cursors, security, gate = CursorSeal(load_cursor_key(settings)), search_security(settings), Gatekeeper(settings)
    hub = LiveHub(store, stream_limits(settings))
    routes = search_routes(store, cursors, security) + export_routes(store, cursors, security)
    routes += stream_routes(hub, cursors, settings, security) + page_routes(store, cursors, settings)
    if reindexing is not None:
        routes += reindex_routes(reindexing)
    return build_app(
        "index", routes, degraded_when=degraded_when, title="Dateline search", on_drain=[hub.close],
        before_request=gate.admit, cors_config=_cors(settings), on_app_init=[_declare_security],
        lanes=[search_lane(store, cursors, gate)],
    )


def search_routes(store: ArticleSearch, cursors: CursorSeal, security: list[SecurityRequirement]) -> list:
    DOCUMENTS.set_function(lambda: store.stats().documents)
    INDEX_BYTES.set_function(lambda: store.stats().size_bytes)

    @get("/v1/search", sync_to_thread=False, summary="Search articles", security=security, dependencies=SEARCH_PARAMS,
         responses={200: ResponseSpec(SearchResponse, description="One page of hits, with facets and histogram."),
                    400: _error_doc("A parameter or the query text is malformed; `errors` names each one."),
                    **SEARCH_REFUSALS})
    def search(params: Searched) -> JsonAnswer:  # also for errors: Litestar sends it as it is
        return _search(store, cursors, params)

    @get("/v1/articles/{article_id:str}", sync_to_thread=False, summary="One article as stored", security=security,
         responses={200: ResponseSpec(EnrichedArticle, description="The enriched article as indexed."),
                    400: _error_doc("Not an article id."), 404: _error_doc("No article with this id."),
                    **SEARCH_REFUSALS})
    def article(article_id: Annotated[str, PathParameter(description="The article id (32 hex digits).", pattern=r"^[0-9a-f]{32}$")]) -> Response[EnrichedArticle] | Response[ErrorBody]:
        if not _ARTICLE_ID.match(article_id):
            return error_response(400, "invalid_parameter", f"article id {article_id!r} is not 32 hex digits",
                                  [ErrorDetail(field="id", reason="expected 32 lower-case hex digits")])
        found = store.get(article_id)
        if found is None:
            return error_response(404, "not_found", f"no article with id {article_id} in the index")
        return Response(found)

    @get("/v1/stats", sync_to_thread=False, summary="Documents, size and last commit of the live index",
         security=security, responses=SEARCH_REFUSALS)
    def stats() -> StoreStats:
        return store.stats()

    return [search, article, stats]


def search_lane(store: ArticleSearch, cursors: CursorSeal, gate: Gatekeeper) -> Lane:
    """``GET /v1/search`` without Litestar's per-request work (:class:`~shared.http.Lane`):
    the parameters read straight from the query string into the route's declaration, the
    same access check, the same handler code. Hot because the rest of a search is short."""

    async def answer(scope: Scope, receive: Receive) -> ASGIResponse:
        if gate.checks_search:
            request: Request = Request(scope, receive)
            refusal = await gate.admit(request)
            if refusal is not None:
                return refusal.to_asgi_response(None, request)
        return _search(store, cursors, params_of_query(scope["query_string"]))

    return Lane("/v1/search", answer)


def reindex_routes(job: ReindexJob) -> list:
    class Reindex(Controller):
        path = "/v1/reindex"

        # Litestar's own OPTIONS answer, made with the first handler of a path, lists only
        # that handler's method.
        @route(http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
        def reindex_options(self) -> Response[None]:
            return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})

        @post(status_code=202, sync_to_thread=False, summary="Rebuild the index from stored articles",
              security=ADMIN_SECURITY,
              responses={202: ResponseSpec(ReindexStatus, description="Started; follow it at GET /v1/reindex."),
                         409: _error_doc("A reindex is already running."), **ADMIN_REFUSALS})
        def start_reindex(self) -> Response[ReindexStatus] | Response[ErrorBody]:
            if not job.start():
                return error_response(409, "reindex_running", "a reindex is already running: GET /v1/reindex")
            return Response(job.status, status_code=202)

        @get(sync_to_thread=False, summary="Progress of the last reindex",
             security=ADMIN_SECURITY, responses=ADMIN_REFUSALS)
        def reindex_status(self) -> ReindexStatus:
            return job.status

    return [Reindex]


def _search(store: ArticleSearch, cursors: CursorSeal, params: SearchParams) -> JsonAnswer:
    started = time.perf_counter()
    try:
        request = parse_search(params, cursors)
        with SEARCH_SECONDS.time():
            result = store.search(request)
    except InvalidParameters as exc:
        _REFUSED.inc()
        return _refused("invalid_parameter", f"invalid search parameters: {exc}", exc.errors)
    except BadQuery as exc:
        _REFUSED.inc()
        return _refused("invalid_query", f"q: {exc.reason}", [ErrorDetail(field="q", reason=exc.reason)])
    _ANSWERED.inc()
    return JsonAnswer(_response(request, result, cursors, took_ms=(time.perf_counter() - started) * 1000))


def _refused(error: str, detail: str, errors: list[ErrorDetail]) -> JsonAnswer:
    return JsonAnswer(error_body(400, error, detail, errors), status_code=400)


def _response(request: SearchRequest, result: SearchResult, cursors: CursorSeal, *, took_ms: float) -> SearchResponse:
    return SearchResponse(
        total=result.total,
        hits=[_hit(h) for h in result.hits],
        next_cursor=cursors.issue(result.next, request) if result.next else None,
        facets=result.facets,
        histogram=result.histogram,
        took_ms=round(took_ms, 3),
    )


def _hit(hit: StoredHit) -> SearchHit:
    a = hit.article
    return SearchHit(
        id=a.id, title=a.title, url=a.url, source=a.source, published_at=a.published_at,
        score=hit.score, snippet=hit.snippet, entities=a.entities, places=a.places, focus=a.focus,
    )


def _error_doc(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description)


def _cors(settings: Settings) -> CORSConfig | None:
    """Browsers on these origins may search (GET, with a key header); none by default."""
    if not settings.cors_origins:
        return None
    return CORSConfig(allow_origins=list(settings.cors_origins), allow_methods=["GET"],
                      allow_headers=["Authorization"], expose_headers=["Retry-After"])


def _declare_security(config: AppConfig) -> AppConfig:
    # build_app makes the OpenAPI config (one per app); the key schemes the routes refer to
    # are added to it here.
    if config.openapi_config is not None:
        config.openapi_config.components = SECURITY_SCHEMES
    return config
