"""One error shape for every HTTP answer that is not a success, and a request id for each.

Every error leaves as an :class:`~shared.schemas.ErrorBody` ``{status, error, detail,
errors, request_id}`` whoever produced it: a handler (:func:`error_response`), Litestar
(404, 405 with ``Allow``, 400 for bad parameters), a handler that raised (500, logged as
``http.failed`` with its traceback), the body deadline (408), or, for requests uvicorn
itself refuses, :mod:`shared.http_protocol`. Every response carries ``X-Request-ID``; the
same id is in the error body and in every log line of the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.error_shape import (
    ERROR_CODES,
    REQUEST_ID,
    error_body,
    request_id_of,
    send_error,
)
from shared.logging import get_logger
from shared.schemas import ErrorBody, ErrorDetail

__all__ = ["ERROR_CODES", "Edge", "error_response", "http_exception", "send_error", "unexpected_exception"]

log = get_logger("dateline.http")

def error_response(
    status: int,
    error: str,
    detail: str,
    errors: Sequence[ErrorDetail] = (),
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    return Response(error_body(status, error, detail, errors), status_code=status, headers=headers)


def http_exception(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    """Litestar's own errors (and any HTTPException a handler raises) in our shape."""
    if exc.status_code == 500:
        return unexpected_exception(_, exc)
    if isinstance(exc, ValidationException):
        errors = [
            ErrorDetail(reason=str(e.get("message", "")), field=e.get("key"))
            for e in (exc.extra or [])
            if isinstance(e, dict)
        ]
        return error_response(400, "invalid_parameter", exc.detail, errors)
    code = "not_found" if isinstance(exc, NotFoundException) else ERROR_CODES.get(exc.status_code) or _slug(exc.detail)
    # e.g. `Allow` on a 405, `Connection: close` on a 408
    return error_response(exc.status_code, code, exc.detail, headers=exc.headers)


def unexpected_exception(_: Request, exc: Exception) -> Response[ErrorBody]:
    """Anything a handler raised that is not an HTTP answer: a bug. Logged with its
    traceback; the caller gets the request id to quote, and no internals."""
    log.error("http.failed", status=500, error=f"{type(exc).__name__}: {exc}", exc_info=exc)
    return error_response(500, "internal_error", _INTERNAL_DETAIL)


_INTERNAL_DETAIL = "the service failed to answer this request; it is logged under its request_id"


def _slug(text: str) -> str:
    return "_".join(text.lower().split())[:40] or "error"


class BodyTimeout(HTTPException):
    """The request body did not arrive in time (raised by the receive of :class:`Edge`)."""

    status_code = 408

    def __init__(self, seconds: float) -> None:
        super().__init__(
            detail=f"the request body did not arrive within {seconds:g} s",
            headers={"Connection": "close"},
        )


class ClientGone(HTTPException):
    """The client closed the connection before its body was complete: nobody to answer,
    and nothing that needs an operator (Litestar alone would call it a 500)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(detail="the client closed the connection before its body was complete")


class Edge:
    """The outermost ASGI layer of every service, around Litestar's router.

    - gives the request its id (kept from a tame ``X-Request-ID`` header, else new):
      bound to every log line of the request, put in every error body and the
      ``X-Request-ID`` response header;
    - cuts off a body that has not fully arrived ``body_timeout_s`` after the request
      began (:class:`BodyTimeout` -> 408): a slow or lying client cannot hold a request
      open forever;
    - answers 500 in our shape if an exception got past Litestar's handlers;
    - sends ``GET`` of a path in ``lanes`` there rather than to Litestar
      (:class:`shared.http.Lane`).
    """

    def __init__(self, app: ASGIApp, body_timeout_s: float, lanes: Mapping[str, ASGIApp] | None = None) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.lanes = dict(lanes or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = REQUEST_ID.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        # bind/reset rather than structlog's bound_contextvars, which copies the whole
        # context to save what it rebinds: a cost on every request for the odd log line.
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        app = self.app
        if self.lanes and scope["method"] == "GET":
            app = self.lanes.get(scope["path"], app)
        try:
            await app(scope, self._in_time(receive), send_with_id)
        except Exception as exc:
            log.error("http.failed", status=500, error=f"{type(exc).__name__}: {exc}", exc_info=exc)
            if started:
                raise  # uvicorn closes the connection: nothing better can be said
            await send_error(send_with_id, error_body(500, "internal_error", _INTERNAL_DETAIL))
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            REQUEST_ID.reset(token)

    def _in_time(self, receive: Receive) -> Receive:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        complete = False

        async def receive_in_time() -> Message:
            nonlocal complete
            if complete:  # e.g. waiting for http.disconnect while streaming: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.body_timeout_s) from None
            if message["type"] == "http.disconnect":
                raise ClientGone
            complete = not message.get("more_body", False)
            return message

        return receive_in_time
