"""The one error shape and the request ids, without a web framework.

What :mod:`shared.http_errors` (Litestar's side), :mod:`shared.http_protocol` (uvicorn's)
and :mod:`shared.health` (the services without an API) answer with: an
:class:`~shared.schemas.ErrorBody` and the request's id. Nothing here imports Litestar, so
a process that serves only health and metrics does not pay for importing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextvars import ContextVar
from typing import Any

import msgspec

from shared.schemas import ErrorBody, ErrorDetail

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# A request id a client (or a proxy in front of us) sent is kept if it is this tame.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# The id of the request being answered, for error bodies and log lines.
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")

# The stable `error` codes of the statuses Litestar or the server answer by themselves.
ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "body_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}


def new_request_id() -> str:
    """32 random hex digits (a uuid4's randomness without building a UUID: every request makes one)."""
    return os.urandom(16).hex()


def current_request_id() -> str:
    """The id of the request being answered ("" outside one)."""
    return REQUEST_ID.get()


def error_body(status: int, error: str, detail: str, errors: Sequence[ErrorDetail] = (), request_id: str = "") -> ErrorBody:
    return ErrorBody(
        status=status, error=error, detail=detail, errors=list(errors),
        request_id=request_id or current_request_id(),
    )


def request_id_of(scope: Scope) -> str:
    """The request's id: its own ``X-Request-ID`` when tame, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            offered = value.decode("latin-1")
            return offered if _CLIENT_REQUEST_ID.match(offered) else new_request_id()
    return new_request_id()


_encoder = msgspec.json.Encoder()


def raw_error(body: ErrorBody, *, close: bool = False) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """An ErrorBody as bytes and the headers that go with it, for answers made below Litestar."""
    encoded = _encoder.encode(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    return encoded, headers


async def send_error(send: Send, body: ErrorBody) -> None:
    """An ErrorBody straight onto an ASGI ``send``, where no Litestar response can be made."""
    encoded, headers = raw_error(body)
    await send({"type": "http.response.start", "status": body.status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded, "more_body": False})
