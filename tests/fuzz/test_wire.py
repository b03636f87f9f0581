"""The fuzz's raw HTTP exchange against a socket server whose behaviour each test scripts:
bytes leave unchanged, an early answer is read while the body is still being sent, and
silence, a close and a refused connection are told apart."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from fuzz.wire import RawRequest, exchange, request_bytes

ANSWER = b"HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


@pytest.fixture
def server() -> Iterator[Callable]:
    """Start a one-connection server running ``behave(connection)``; returns its port."""
    listeners = []

    def start(behave: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            connection, _ = listener.accept()
            with connection:
                behave(connection)

        threading.Thread(target=serve, daemon=True).start()
        return listener.getsockname()[1]

    yield start
    for listener in listeners:
        listener.close()


def test_the_request_leaves_byte_for_byte(server) -> None:
    received = []

    def record(connection: socket.socket) -> None:
        received.append(connection.recv(65536))
        connection.sendall(ANSWER)

    head = "GET /v1/search?q=Lisboã HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    answer = exchange("127.0.0.1", server(record), RawRequest(head=head), timeout_s=5)
    assert received == [head]
    assert (answer.outcome, answer.status, answer.body) == ("answered", 413, b"{}")
    assert answer.headers["content-type"] == "application/json"


def test_an_answer_before_the_body_is_read(server) -> None:
    def refuse_early(connection: socket.socket) -> None:
        connection.recv(1024)
        connection.sendall(ANSWER)
        connection.shutdown(socket.SHUT_WR)

    body = b"x" * 20_000_000
    request = RawRequest(head=request_bytes("POST", "/v1/articles", {}, body), body=body, method="POST")
    answer = exchange("127.0.0.1", server(refuse_early), request, timeout_s=10)
    assert (answer.outcome, answer.status) == ("answered", 413)


def test_silence_closing_and_nobody_listening(server) -> None:
    stop = threading.Event()
    request = RawRequest(head=request_bytes("POST", "/v1/articles", {}, content_length=1000), method="POST")
    silent = exchange("127.0.0.1", server(lambda _c: stop.wait(5)), request, timeout_s=0.5)
    stop.set()
    assert silent.outcome == "timeout" and 0.5 <= silent.seconds < 2
    closed = exchange("127.0.0.1", server(lambda c: c.recv(1024)), request, timeout_s=5)
    assert closed.outcome in ("closed", "reset") and closed.status is None
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert exchange("127.0.0.1", port, request, timeout_s=1).outcome == "refused"


def test_an_open_stream_is_answered_by_its_head(server) -> None:
    stop = threading.Event()

    def stream_forever(connection: socket.socket) -> None:
        connection.recv(1024)
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        stop.wait(5)

    request = RawRequest(head=request_bytes("GET", "/v1/stream", {}), stream=True)
    answer = exchange("127.0.0.1", server(stream_forever), request, timeout_s=5)
    stop.set()
    assert (answer.outcome, answer.status) == ("answered", 200) and answer.seconds < 1
