"""One error shape for every answer that is not a success, also where Litestar or uvicorn
answer by themselves, and deadlines for slow clients (shared/http*.py, through ingest)."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
import pytest
import structlog
from litestar import get
from structlog.testing import capture_logs

from shared.http import InLoopServer, build_app
from shared.redis_server import free_port
from shared.schemas import ErrorBody
from tests.integration.test_ingest_api import AUTH, JSON, article, running_ingest, settings_for

SHAPE = {"status", "error", "detail", "errors", "request_id"}


def shaped(response: httpx.Response, status: int) -> ErrorBody:
    """The response is ``status`` in our shape, every field present, with its request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    raw = response.json()
    assert set(raw) == SHAPE, raw
    body = msgspec.json.decode(response.content, type=ErrorBody)
    assert body.status == status
    assert body.request_id and body.request_id == response.headers["x-request-id"]
    return body


@pytest.fixture
async def ingest(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_body_bytes=2_000, body_timeout_s=0.5)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error"),
    [
        ("POST", "/v1/articles", {"Content-Type": "application/json"}, b"{}", 401, "unauthorized"),
        ("GET", "/v1/nothing-here", {}, b"", 404, "not_found"),
        ("GET", "/v1/articles", {}, b"", 405, "method_not_allowed"),
        ("POST", "/v1/articles", JSON, b"[" + b" " * 3_000 + b"]", 413, "body_too_large"),
        ("POST", "/v1/articles", {**AUTH, "Content-Type": "text/csv"}, b"a,b", 415, "unsupported_media_type"),
    ],
)
async def test_every_error_has_the_whole_shape_and_a_request_id(ingest, method, path, headers, body, status, error):
    response = await ingest.request(method, path, headers=headers, content=body)
    assert shaped(response, status).error == error
    assert response.json()["errors"] == []  # present even when empty


async def test_a_405_says_which_methods_are_allowed(ingest):
    response = await ingest.get("/v1/articles")
    shaped(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"POST", "OPTIONS"}


async def test_a_tame_request_id_from_the_client_is_kept(ingest):
    response = await ingest.post("/v1/articles", headers={"X-Request-ID": "feed-7:batch-12"}, content=b"{}")
    assert shaped(response, 401).request_id == "feed-7:batch-12"
    response = await ingest.post("/v1/articles", headers={"X-Request-ID": "no spaces, please"}, content=b"{}")
    assert shaped(response, 401).request_id != "no spaces, please"


async def test_every_log_line_of_a_request_carries_its_id(ingest):
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        response = await ingest.post("/v1/articles", json=article(1), headers=AUTH)
    assert response.status_code == 202
    [accepted] = [e for e in logs if e["event"] == "article.accepted"]
    assert accepted["request_id"] == response.headers["x-request-id"]


async def test_a_request_uvicorn_cannot_parse_gets_a_json_400(ingest):
    port = ingest.base_url.port
    status, headers, body = await raw_exchange(
        port, "GET /v1/search?q=Zürich HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status == 400
    error = msgspec.json.decode(body, type=ErrorBody)
    assert (error.status, error.error) == (400, "bad_request")
    assert "percent-encoded" in error.detail
    assert error.request_id == headers["x-request-id"]


async def test_a_body_slower_than_the_deadline_is_cut_off_with_408(ingest):
    # Content-Length promises 100 bytes; 10 arrive, then nothing.
    head = (
        "POST /v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer reporter-key\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    status, headers, body = await raw_exchange(ingest.base_url.port, head.encode() + b'{"url": "h')
    assert status == 408
    assert time.monotonic() - started < 5
    error = msgspec.json.decode(body, type=ErrorBody)
    assert (error.error, error.request_id) == ("body_timeout", headers["x-request-id"])
    assert headers["connection"] == "close"


async def test_headers_slower_than_the_deadline_are_cut_off_with_408(ingest):
    status, _headers, body = await raw_exchange(ingest.base_url.port, b"POST /v1/articles HTTP/1.1\r\nHost: x\r\n")
    assert status == 408
    assert msgspec.json.decode(body, type=ErrorBody).error == "head_timeout"


async def test_each_head_on_a_kept_alive_connection_gets_the_whole_deadline(ingest):
    # the deadline (0.5 s) runs from where each head begins, not from the connection's start
    reader, writer = await asyncio.open_connection("127.0.0.1", ingest.base_url.port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.3)  # a client pausing between requests
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and then stalling in the next head
        began = time.monotonic()
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    assert time.monotonic() - began >= 0.45
    assert b"HTTP/1.1 408" in answer and b"head_timeout" in answer


async def test_an_unexpected_failure_is_a_logged_500_in_our_shape():
    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise ZeroDivisionError("a bug")

    port = free_port()
    server = InLoopServer(build_app("test", [boom], title="test"), "127.0.0.1", port)
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        async with server.running(), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.get("/boom")
    body = shaped(response, 500)
    assert body.error == "internal_error"
    assert "a bug" not in response.text  # internals stay in the log
    [failed] = [e for e in logs if e["event"] == "http.failed"]
    assert failed["request_id"] == body.request_id
    assert isinstance(failed["exc_info"], ZeroDivisionError)  # rendered as a traceback


async def raw_exchange(port: int, request: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as is on a new connection (and nothing more); read the answer until
    the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body
