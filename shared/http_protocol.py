"""uvicorn's HTTP/1.1 protocol, answering in our error shape where uvicorn answers alone.

A request uvicorn cannot parse (raw UTF-8 in a query string, a broken request line or
header) never reaches the app: uvicorn answers a plain-text 400 itself. Here that answer
is an :class:`~shared.schemas.ErrorBody` with a request id, logged as ``http.rejected``.
And a client that opens a connection and sends its request line and headers slower than
the deadline is answered 408 and cut off, where uvicorn would wait forever (its only
timeout is for idle keep-alive connections). And a response leaves in one write where
uvicorn makes two (:class:`OneWrite`). And an app may drop its connection at once
(:data:`CUT_OFF`), which ASGI alone cannot say.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.error_shape import error_body, new_request_id, raw_error
from shared.logging import get_logger

log = get_logger("dateline.http")

# The ASGI scope extension (``scope["extensions"]``) of every request served here: a
# callable that drops the connection at once, its unsent bytes discarded. For a long
# response whose client stopped reading: closing would wait for that client to read them.
CUT_OFF = "dateline.cut_off"

_HINT = "a URL must be ASCII, with other bytes percent-encoded (RFC 3986)"


class JsonHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with our error bodies and a deadline for the head of
    each request (:attr:`head_timeout_s`; see :func:`protocol_with_deadline`)."""

    head_timeout_s: float = 30.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        cycle = self.cycle
        super().on_headers_complete()
        if self.cycle is not cycle:  # a request to answer (not an upgrade)
            self.cycle.transport = OneWrite(self.transport, self.loop)
            self.scope["extensions"] = {CUT_OFF: self.transport.abort}

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._cancel_head_timer()
        # Called while uvicorn handles the parser's error, which says what is wrong.
        cause = sys.exc_info()[1]
        reason = f": {cause}" if cause is not None and str(cause) else ""
        self._refuse(400, "bad_request", f"the HTTP request cannot be parsed{reason}; {_HINT}")

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a pipelined request waits behind one being answered
            return
        self._refuse(408, "head_timeout", f"the request line and headers did not arrive within {self.head_timeout_s:g} s")

    def _refuse(self, status: int, error: str, detail: str) -> None:
        body = error_body(status, error, detail, request_id=new_request_id())
        log.warning("http.rejected", status=status, error=error, detail=detail,
                    request_id=body.request_id, client=_client(self.client))
        encoded, headers = raw_error(body, close=True)
        head = [STATUS_LINE[status]]
        for name, value in [*self.server_state.default_headers, *headers, (b"x-request-id", body.request_id.encode())]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", encoded]))
        self.transport.close()


class OneWrite:
    """The transport as one response sees it: the head (uvicorn writes it alone, on the
    app's ``http.response.start``) is held back until the body's first bytes or the end
    of this turn of the event loop, whichever comes first, and leaves with them.

    One write instead of two: one system call and one packet fewer for every response,
    and a client woken once (measured with ``make bench-search``). A streamed response
    still sends its head at once: the loop's next turn flushes it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._started:
            self._started = True
            self._head = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


def cut_off_of(scope: Mapping[str, Any]) -> Callable[[], None] | None:
    """The request's :data:`CUT_OFF`, when the server serving it offers one."""
    return (scope.get("extensions") or {}).get(CUT_OFF)


def protocol_with_deadline(head_timeout_s: float) -> type[JsonHttpProtocol]:
    """The protocol class to give uvicorn (``uvicorn.Config(http=...)``)."""
    return type("JsonHttpProtocol", (JsonHttpProtocol,), {"head_timeout_s": head_timeout_s})


def _client(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else ""
