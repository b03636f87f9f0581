"""``GET /v1/stream``: server-sent events of every newly indexed article that matches the
search's parameters, resumable with ``Last-Event-ID`` (:mod:`services.index.live`)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import HeaderParameter, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from services.index.access import SEARCH_REFUSALS, caller_of
from services.index.cursors import CursorSeal
from services.index.domain import BadQuery
from services.index.export_api import search_refusal
from services.index.live import LiveHub, StreamRefused, Subscription
from services.index.params import SEARCH_PARAMS, Searched
from services.index.query import InvalidParameters, parse_search
from shared.http import error_response
from shared.http_protocol import cut_off_of
from shared.schemas import ErrorBody, ErrorDetail
from shared.settings import Settings

_POSITION_DIGITS = 19  # a 64-bit change number


def stream_routes(
    hub: LiveHub, cursors: CursorSeal, settings: Settings, security: list[SecurityRequirement]
) -> list:
    @get(
        "/v1/stream",
        dependencies=SEARCH_PARAMS,
        summary="New matching articles as server-sent events",
        security=security,
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type="text/event-stream",
                description="Server-sent events: ready, article, expired; heartbeat comments.",
            ),
            400: ResponseSpec(
                data_container=ErrorBody,
                description="A parameter, the query text or "
                "Last-Event-ID is malformed; `errors` names each one.",
            ),
            **SEARCH_REFUSALS,
            429: ResponseSpec(
                data_container=ErrorBody,
                description="Too many streams open for this "
                "key (DATELINE_STREAM_PER_CALLER), or in this process, or over the rate.",
            ),
            503: ResponseSpec(data_container=ErrorBody, description="The service is stopping: reconnect."),
        },
        description="Takes the search's match parameters (sort, size, cursor and facets are ignored). Events: "
        "`ready` (first), `article` (data: the article as GET /v1/articles/{id} returns it; id: "
        "its position), `expired` (Last-Event-ID could not be resumed). Heartbeat comments carry "
        "the position as id. Resume with the `Last-Event-ID` header or `last_event_id`.",
    )
    async def stream(
        request: Request,
        params: Searched,
        last_event_id_header: Annotated[
            str | None,
            HeaderParameter(
                name="Last-Event-ID",
                required=False,
                description="The id of the last event received.",
            ),
        ] = None,
        last_event_id: Annotated[
            str | None, QueryParameter(description="As the header, for clients that cannot set it.")
        ] = None,
    ) -> EventStream:  # or a Response[ErrorBody]: Litestar sends a Response as it is
        try:
            match = parse_search(msgspec.structs.replace(params, cursor=None), cursors).match
            position = _position(last_event_id_header or last_event_id)
            subscription, first = await hub.subscribe(match, caller_of(request, settings), position)
        except (InvalidParameters, BadQuery) as exc:
            return search_refusal(exc)
        except StreamRefused as exc:
            return error_response(exc.status, exc.error, str(exc))
        return EventStream(hub, subscription, first)

    return [stream]


class EventStream(ASGIResponse):
    """The open stream's response: the hub writes its events to the connection itself, as
    pre-encoded bytes (Litestar's streaming response costs a task switch and an async
    generator step per write, which 1,000 streams paid on every commit)."""

    __slots__ = ("first", "hub", "subscription")

    def __init__(self, hub: LiveHub, subscription: Subscription, first: bytes) -> None:
        self.hub, self.subscription, self.first = hub, subscription, first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": _EVENT_HEADERS})
        await self.hub.serve(self.subscription, self.first, send, receive, cut_off=cut_off_of(scope))


_EVENT_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def _position(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _POSITION_DIGITS):
        raise InvalidParameters(
            [
                ErrorDetail(
                    field="Last-Event-ID",
                    reason=f"{raw[:40]!r} is not an event id of this service (a whole number)",
                )
            ]
        )
    return int(raw)
