"""POST /v1/articles: the HTTP entry of ingest, a thin edge over decode, intake and backlog.

A request goes through these steps, each of which may answer with an ErrorBody:
authorise (401) -> media type (415) -> read the body (408, 413) -> decode (400, 413) ->
backpressure (429) -> publish (429, 503) -> 202 with one result per article, or 400/422
when no article of the request could be taken.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from litestar import Request, Response, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from redis.exceptions import RedisError

from services.ingest.backlog import RETRY_AFTER_SECONDS, Backlog
from services.ingest.decode import (
    BodyFormat,
    Decoded,
    MalformedBody,
    Rejection,
    TooManyArticles,
    UnsupportedMediaType,
    as_utf8,
    body_charset,
    body_format,
    decode_articles,
)
from services.ingest.intake import Intake
from services.ingest.openapi import BEARER, BODY_FOR_THE_DOCS, RESPONSES, ArticlesOperation
from services.ingest.publish import BacklogFull
from shared.http import error_response
from shared.logging import get_logger
from shared.schemas import ErrorDetail, IngestResponse, IngestResult
from shared.settings import Settings

log = get_logger("dateline.ingest")


class Refusal(Exception):
    """A request ingest will not take; becomes an ErrorBody response."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        errors: Sequence[ErrorDetail] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.response = error_response(status, error, detail, errors, headers)


class Keys:
    """The bearer keys ingest accepts. None at all means open: ingest starts like that only
    with DATELINE_OPEN_INGEST=true (see bootstrap); configured keys are always required."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [key.encode() for key in keys]

    def check(self, authorization: str | None) -> None:
        if not self._keys:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="dateline"'}
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Refusal(401, "unauthorized", "send your API key as `Authorization: Bearer <key>`", headers=challenge)
        # Compare with every key, in constant time: timing does not reveal a near miss.
        offered = key.strip().encode()
        if not any([hmac.compare_digest(offered, known) for known in self._keys]):  # noqa: C419 - all, not first
            raise Refusal(401, "unauthorized", "the API key is not valid", headers=challenge)


def articles_route(intake: Intake, backlog: Backlog, settings: Settings):
    keys = Keys(settings.api_keys)

    @post(
        "/v1/articles",
        status_code=202,
        request_max_body_size=settings.max_body_bytes,
        summary="Push articles: one JSON article, a JSON array, or NDJSON",
        description=(
            "Content-Type `application/json` (an ArticleIn object or an array of them) or "
            "`application/x-ndjson` (one ArticleIn per line). Each article is answered on "
            "its own: accepted, updated, duplicate, or rejected with the field and reason."
        ),
        responses=RESPONSES,
        dependencies=BODY_FOR_THE_DOCS,
        operation_class=ArticlesOperation,
        security=[{BEARER: []}] if settings.api_keys else None,
    )
    async def post_articles(request: Request) -> Response[IngestResponse]:
        try:
            keys.check(request.headers.get("authorization"))
            fmt, charset = _media_type(request.headers.get("content-type"))
            decoded = _decode(await _body(request, settings.max_body_bytes), fmt, charset, settings)
            if all(isinstance(d, Rejection) for d in decoded):
                raise _nothing_valid(decoded, fmt)  # type: ignore[arg-type]
            await _check_backlog(backlog)
            results = await _take(intake, decoded)
            if all(r.status == "rejected" for r in results):  # e.g. HTML without text
                raise _nothing_valid(_rejections(results, decoded), fmt)
        except Refusal as refusal:
            return refusal.response  # type: ignore[return-value]
        return Response(_response(results), status_code=202)

    return post_articles


def _media_type(content_type: str | None) -> tuple[BodyFormat, str]:
    try:
        return body_format(content_type), body_charset(content_type)
    except UnsupportedMediaType as exc:
        raise Refusal(415, "unsupported_media_type", str(exc)) from None


async def _body(request: Request, limit: int) -> bytes:
    try:
        return await request.body()
    except RequestEntityTooLarge:
        raise Refusal(413, "body_too_large", f"the body is larger than {limit} bytes") from None


def _decode(body: bytes, fmt: BodyFormat, charset: str, settings: Settings) -> list[Decoded]:
    try:
        return decode_articles(as_utf8(body, charset), fmt, settings.max_articles_per_request)
    except MalformedBody as exc:
        errors = [ErrorDetail(reason=exc.reason, field=exc.field, line=exc.line)]
        raise Refusal(400, "invalid_json", exc.reason, errors) from None
    except TooManyArticles as exc:
        raise Refusal(413, "too_many_articles", str(exc)) from None


def _nothing_valid(rejections: Sequence[Rejection], fmt: BodyFormat) -> Refusal:
    malformed = any(r.malformed for r in rejections)
    errors = [_detail(r, fmt, len(rejections)) for r in rejections]
    if malformed:
        return Refusal(400, "invalid_json", "no article of the request is well-formed JSON", errors)
    if len(rejections) == 1:
        only = rejections[0]
        return Refusal(422, "validation_failed", f"{only.field} {only.reason}", errors)
    return Refusal(422, "validation_failed", "no article of the request is valid", errors)


def _rejections(results: list[IngestResult], decoded: Sequence[Decoded]) -> list[Rejection]:
    malformed = {d.index for d in decoded if isinstance(d, Rejection) and d.malformed}
    return [
        Rejection(r.index, r.field or "$", r.reason or "", malformed=r.index in malformed)
        for r in results
    ]


def _detail(rejection: Rejection, fmt: BodyFormat, count: int) -> ErrorDetail:
    if fmt is BodyFormat.NDJSON:
        return ErrorDetail(reason=rejection.reason, field=rejection.field, line=rejection.index + 1)
    if count == 1 and rejection.index == 0:
        return ErrorDetail(reason=rejection.reason, field=rejection.field)
    # an element of a JSON array: its path from the top of the body
    return ErrorDetail(reason=rejection.reason, field=f"$[{rejection.index}]{rejection.field[1:]}")


async def _check_backlog(backlog: Backlog) -> None:
    """Turn a request away early, before its articles are normalised, while the backlog is
    full as last read; whether it fits is decided when it is published (see _take)."""
    try:
        full = await backlog.full()
    except RedisError as exc:
        raise _unavailable(exc) from None
    if full:
        raise _backlog_full(backlog.limit)


async def _take(intake: Intake, decoded: Sequence[Decoded]) -> list[IngestResult]:
    try:
        return await intake.take(decoded, via="http")
    except RedisError as exc:
        raise _unavailable(exc) from None
    except BacklogFull as full:
        if full.adding > full.limit:  # would not fit even with enrichment caught up
            raise Refusal(
                413, "too_many_articles",
                f"{full.adding} new articles in one request, more than DATELINE_MAX_BACKLOG="
                f"{full.limit} lets wait for enrichment; send them in smaller requests",
            ) from None
        raise _backlog_full(full.limit) from None


def _backlog_full(limit: int) -> Refusal:
    return Refusal(
        429, "backlog_full",
        f"enrichment is behind: this request would take it past {limit} articles waiting; "
        f"nothing of it was published, send it again in {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unavailable(exc: RedisError) -> Refusal:
    log.error("redis.unavailable", error=f"{type(exc).__name__}: {exc}")
    return Refusal(
        503, "redis_unavailable",
        f"Redis is unavailable ({type(exc).__name__}); nothing of this request was published, "
        "send it again",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _response(results: list[IngestResult]) -> IngestResponse:
    counts = {"accepted": 0, "updated": 0, "duplicate": 0, "rejected": 0}
    for result in results:
        counts[result.status] += 1
    return IngestResponse(**counts, results=results)
