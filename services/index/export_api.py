"""``GET /v1/export`` (a whole match as CSV or NDJSON, streamed), ``/v1/export/facets`` and
``/v1/export/timeline`` (CSV): the search's own parameters, checked the same way.

The match is read in batches from one snapshot (:meth:`~services.index.port.ArticleSearch.scan`)
in date order, each batch encoded and sent before the next is read: memory stays flat
whatever the size of the match or of its articles (a batch is bounded in rows and in bytes),
and the first rows leave at once. Relevance has no
order to page through a whole match by, so ``sort=relevance`` exports newest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import QueryParameter
from litestar.response import Stream
from msgspec.structs import replace

from services.index import export
from services.index.access import SEARCH_REFUSALS
from services.index.cursors import CursorSeal
from services.index.domain import FACET_NAMES, BadQuery, SearchRequest, SearchResult
from services.index.params import SEARCH_PARAMS, Searched
from services.index.port import ArticleSearch, MatchBatches
from services.index.query import InvalidParameters, SearchParams, parse_search
from shared.http import error_response
from shared.logging import get_logger
from shared.schemas import ErrorBody, ErrorDetail

log = get_logger("dateline.index")

Format = Annotated[str | None, QueryParameter(description="csv (default) or ndjson.")]


def export_routes(
    store: ArticleSearch, cursors: CursorSeal, security: list[SecurityRequirement]
) -> list:
    bad = ResponseSpec(
        data_container=ErrorBody,
        description="A parameter or the query text is malformed; "
        "`errors` names each one. Sent before any row.",
    )

    @get(
        "/v1/export",
        dependencies=SEARCH_PARAMS,
        summary="Every article of a match, as CSV or NDJSON",
        security=security,
        responses={
            200: _file("csv", "or NDJSON (format=ndjson), streamed"),
            400: bad,
            **SEARCH_REFUSALS,
        },
        description="Takes the search's parameters (size, cursor and facets are ignored). Streams the whole "
        "match in date order (sort=oldest, else newest first); see the README for the columns.",
    )
    async def export_articles(
        params: Searched, format: Format = None
    ) -> Stream | Response[ErrorBody]:
        try:
            request, form = _checked(params, cursors, format)
            scan = await asyncio.to_thread(
                store.scan, request.match, oldest_first=request.sort == "oldest"
            )
        except (InvalidParameters, BadQuery) as exc:
            return search_refusal(exc)
        body = _streamed(export.chunks(scan.batches(), form), scan, form)
        return Stream(
            body, media_type=export.MEDIA_TYPES[form], headers=_attachment("articles", form)
        )

    def summary_csv(
        params: SearchParams,
        summarised: Callable[[SearchRequest], SearchRequest],
        encode: Callable[[SearchResult], bytes],
        name: str,
    ) -> Response:
        try:
            # a cursor means nothing to a summary: ignored, as the export ignores it
            result = store.search(summarised(parse_search(replace(params, cursor=None), cursors)))
        except (InvalidParameters, BadQuery) as exc:
            return search_refusal(exc)
        return Response(
            encode(result), media_type=export.MEDIA_TYPES["csv"], headers=_attachment(name, "csv")
        )

    @get(
        "/v1/export/facets",
        dependencies=SEARCH_PARAMS,
        sync_to_thread=True,
        security=security,
        summary="The facets of a match as CSV (facet,key,count)",
        responses={200: _file("csv"), 400: bad, **SEARCH_REFUSALS},
        description="`facets` (default: all) and `facet_size` as for search.",
    )
    def export_facets(params: Searched) -> Response[bytes] | Response[ErrorBody]:
        def facets_only(request: SearchRequest) -> SearchRequest:
            return replace(
                request, size=0, after=None, facets=request.facets or FACET_NAMES, histogram=None
            )

        return summary_csv(
            params, facets_only, lambda result: export.facets_csv(result.facets), "facets"
        )

    @get(
        "/v1/export/timeline",
        dependencies=SEARCH_PARAMS,
        sync_to_thread=True,
        security=security,
        summary="Articles over time for a match, as CSV (start,count)",
        responses={200: _file("csv"), 400: bad, **SEARCH_REFUSALS},
        description="`histogram`: day (default), week or month.",
    )
    def export_timeline(params: Searched) -> Response[bytes] | Response[ErrorBody]:
        def histogram_only(request: SearchRequest) -> SearchRequest:
            return replace(
                request, size=0, after=None, facets=(), histogram=request.histogram or "day"
            )

        return summary_csv(
            params, histogram_only, lambda result: export.timeline_csv(result.histogram), "timeline"
        )

    return [export_articles, export_facets, export_timeline]


def _file(form: str, more: str = "") -> ResponseSpec:
    return ResponseSpec(
        data_container=str,
        media_type=export.MEDIA_TYPES[form],
        description=f"{form.upper()} {more}".strip() + "; see the README for the columns.",
    )


def search_refusal(exc: InvalidParameters | BadQuery) -> Response[ErrorBody]:
    """The 400 of a search whose parameters or query text are wrong."""
    if isinstance(exc, InvalidParameters):
        return error_response(
            400, "invalid_parameter", f"invalid search parameters: {exc}", exc.errors
        )
    return error_response(
        400, "invalid_query", f"q: {exc.reason}", [ErrorDetail(field="q", reason=exc.reason)]
    )


def _checked(
    params: Searched, cursors: CursorSeal, form: str | None
) -> tuple[SearchRequest, export.ExportFormat]:
    try:
        request = parse_search(replace(params, cursor=None), cursors)
        errors = []
    except InvalidParameters as exc:
        request, errors = None, exc.errors
    if form not in (None, *export.EXPORT_FORMATS):
        errors.append(
            ErrorDetail(
                field="format", reason=f"{form!r} is not one of {', '.join(export.EXPORT_FORMATS)}"
            )
        )
    if errors:
        raise InvalidParameters(errors)
    return request, form or "csv"  # type: ignore[return-value]


def _attachment(what: str, form: str) -> dict[str, str]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"Content-Disposition": f'attachment; filename="dateline-{what}-{stamp}.{form}"'}


async def _streamed(chunks: Iterator[bytes], scan: MatchBatches, form: str) -> AsyncIterator[bytes]:
    """``chunks`` read in a worker thread one at a time (tantivy and CSV work off the event
    loop); a client that leaves stops the reading."""
    started, complete = time.monotonic(), False
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield chunk
        complete = True
    except Exception:
        log.exception("export.failed", rows=scan.rows, format=form)
        raise
    finally:
        with contextlib.suppress(
            ValueError
        ):  # still running in its thread: the collector closes it
            chunks.close()
        log.info(
            "export.finished",
            rows=scan.rows,
            format=form,
            complete=complete,
            seconds=round(time.monotonic() - started, 3),
        )
