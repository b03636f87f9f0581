"""One HTTP/1.1 exchange over a raw socket: exactly the bytes a case holds, nothing normalised.

An ordinary client would refuse or repair what the fuzz needs to send (raw UTF-8 in a
request target, a Content-Length larger than the body, a body sent and then abandoned),
so requests leave as written and only the response is parsed, by h11. The body is sent
while the response is read: a server may answer (413) before the body has all arrived.
"""

from __future__ import annotations

import selectors
import socket
import time
from typing import Literal

import h11
from msgspec import Struct

Outcome = Literal["answered", "closed", "reset", "timeout", "refused"]

_CHUNK = 64 * 1024


class RawRequest(Struct, frozen=True, kw_only=True):
    """The bytes to send. A head may declare a longer body than ``body``: the client then
    falls silent, as a slow or vanished sender does."""

    head: bytes
    body: bytes = b""
    method: str = "GET"  # how to read the response (a HEAD response has no body)
    stream: bool = False  # a 2xx is an event stream that never ends: its head is the answer


class Answer(Struct, kw_only=True):
    """What came back, and ``seconds`` from the first byte sent to the end of the response
    or of the connection."""

    outcome: Outcome
    seconds: float
    status: int | None = None
    headers: dict[str, str] = {}
    body: bytes = b""


def request_bytes(
    method: str, target: str | bytes, headers: dict[str, str], body: bytes = b"",
    *, content_length: int | None = None,
) -> bytes:
    """A request head; Content-Length is the body's unless another is forced or one is given."""
    target = target.encode() if isinstance(target, str) else target
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    fields = {"Host": "fuzz.dateline.test", **headers}
    if body or content_length is not None or method in ("POST", "PUT", "PATCH"):
        fields.setdefault("Content-Length", str(len(body) if content_length is None else content_length))
    lines += [f"{name}: {value}".encode() for name, value in fields.items() if value is not None]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def exchange(host: str, port: int, request: RawRequest, timeout_s: float) -> Answer:
    """Send ``request`` and read one response; give up after ``timeout_s``."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except ConnectionRefusedError:
        return Answer(outcome="refused", seconds=0.0)  # nothing listens: the service is down
    with sock:
        sock.setblocking(False)
        return _Exchange(sock, request, timeout_s).run()


class _Exchange:
    def __init__(self, sock: socket.socket, request: RawRequest, timeout_s: float) -> None:
        self.sock = sock
        self.outgoing = memoryview(request.head + request.body)
        self.timeout_s = timeout_s
        self.parser = _response_parser(request.method)
        self.stream = request.stream
        self.started = time.monotonic()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()

    def run(self) -> Answer:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            while True:
                remaining = self.timeout_s - (time.monotonic() - self.started)
                if remaining <= 0:
                    return self._answer("timeout")
                for _, events in selector.select(remaining):
                    if events & selectors.EVENT_WRITE:
                        self._send(selector)
                    if events & selectors.EVENT_READ:
                        outcome = self._receive()
                        if outcome:
                            return self._answer(outcome)

    def _send(self, selector: selectors.BaseSelector) -> None:
        try:
            sent = self.sock.send(self.outgoing[:_CHUNK])
        except (BrokenPipeError, ConnectionResetError):
            # The server stopped reading (an early answer, or a refusal): read what it said.
            self._sent_all(selector)
            return
        self.outgoing = self.outgoing[sent:]
        if not self.outgoing:
            self._sent_all(selector)

    def _sent_all(self, selector: selectors.BaseSelector) -> None:
        self.outgoing = memoryview(b"")
        selector.modify(self.sock, selectors.EVENT_READ)

    def _receive(self) -> Outcome | None:
        try:
            data = self.sock.recv(_CHUNK)
        except ConnectionResetError:
            return "answered" if self.status is not None else "reset"
        self.parser.receive_data(data)
        try:
            return self._read_events(ended=not data)
        except h11.RemoteProtocolError:
            return "answered" if self.status is not None else "closed"

    def _read_events(self, ended: bool) -> Outcome | None:
        while True:
            event = self.parser.next_event()
            if isinstance(event, h11.Response):
                self.status = event.status_code
                self.headers = _headers(event.headers)
                if self.stream and self.status < 300:
                    return "answered"
            elif isinstance(event, h11.Data):
                self.body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return "answered"
            elif event is h11.NEED_DATA:
                return ("answered" if self.status is not None else "closed") if ended else None
            elif isinstance(event, h11.ConnectionClosed):
                return "answered" if self.status is not None else "closed"
            # h11.InformationalResponse (100 Continue): keep reading

    def _answer(self, outcome: Outcome) -> Answer:
        return Answer(
            outcome=outcome, seconds=time.monotonic() - self.started, status=self.status,
            headers=self.headers, body=bytes(self.body),
        )


def _response_parser(method: str) -> h11.Connection:
    """An h11 client that has 'sent' a request, to read the response to it.

    The real request left as raw bytes (h11 would refuse the hostile ones); h11 only needs
    to know whether it was a HEAD, whose response has no body.
    """
    parser = h11.Connection(our_role=h11.CLIENT)
    placeholder = "HEAD" if method == "HEAD" else "GET"
    parser.send(h11.Request(method=placeholder, target="/", headers=[("Host", "x")]))
    parser.send(h11.EndOfMessage())
    return parser


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
