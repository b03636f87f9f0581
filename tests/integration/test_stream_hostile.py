"""Hostile clients of GET /v1/stream on a real search process: many at once, one that
connects and never reads, and long articles, written a byte budget at a time.

The writer is this test (an ArticleStore holding the index's lock); the streams are served
by a separate ``python -m services.index search`` process, as in production. Every wait
polls with a deadline.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

import httpx
import msgspec
import pytest
from litestar.testing import TestClient

from dateline.events import EventParser, ServerEvent, read_events
from services.index.api import search_app
from services.index.live import WRITE_BYTES
from services.index.tantivy_store import ArticleStore
from shared.schemas import ErrorBody
from shared.settings import Settings
from tests.factories import story
from tests.integration.chunked import ChunkedResponse
from tests.integration.search_process import search_process
from tests.integration.stream_events import article_of, commit

STREAM_MAX = 100
CONNECTIONS = 2_000
STALL_S = 1.0
TEXT = "The harbour stayed closed. " * 800  # ~21 KB an article: a few commits fill the socket
LONG_TEXT = "The lighthouse keeper stayed. " * (WRITE_BYTES // 4 // 30)  # four to a write


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("stream-hostile")


@pytest.fixture(scope="module")
def writer(data_dir):
    store = ArticleStore(data_dir / "index", writable=True)
    commit(store, story(1, "Council meets"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def served(writer, data_dir):
    """The search process's URL and its log file."""
    log = data_dir / "search.log"
    settings = {"stream_max": str(STREAM_MAX), "stream_per_caller": str(CONNECTIONS * 2),
                "stream_heartbeat_s": "0.2", "stream_stall_s": str(STALL_S)}
    with search_process(data_dir, log=log, **settings) as url:
        yield url, log


def test_streams_over_the_process_limit_are_refused_and_the_service_answers(served):
    base, _ = served
    host, port = httpx.URL(base).host, httpx.URL(base).port
    sockets = [_request(host, port, "/v1/stream?q=harbour") for _ in range(CONNECTIONS)]
    try:
        answers = [_head(s) for s in sockets]
        statuses = [status for status, _ in answers]
        assert statuses.count(200) == STREAM_MAX
        assert statuses.count(429) == CONNECTIONS - STREAM_MAX
        refusal = next(body for status, body in answers if status == 429)
        error = msgspec.json.decode(refusal, type=ErrorBody)
        assert error.status == 429 and error.error == "too_many_streams" and "DATELINE_STREAM_MAX" in error.detail
        started = time.monotonic()
        assert httpx.get(f"{base}/v1/search?q=council", timeout=5).status_code == 200
        assert time.monotonic() - started < 2.0
        assert _metric(base, "dateline_streams_open") == STREAM_MAX
    finally:
        for s in sockets:
            s.close()
    _until(lambda: _metric(base, "dateline_streams_open") == 0, "every stream to be released")
    with httpx.stream("GET", f"{base}/v1/stream?q=harbour", timeout=10) as response:
        assert response.status_code == 200


def test_a_client_that_never_reads_is_cut_off_and_resumes(served, writer):
    base, log = served
    host, port = httpx.URL(base).host, httpx.URL(base).port
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: fills at once
    reader.connect((host, port))
    reader.sendall(b"GET /v1/stream?q=harbour HTTP/1.1\r\nHost: test\r\n\r\n")
    head = _read_until(reader, b"event: ready")
    ready_id = head.split(b"event: ready")[0].rsplit(b"id: ", 1)[1].split(b"\n")[0].decode()
    cut_before = _metric(base, "dateline_streams_cut_off_total")
    first = 100
    for batch in range(10):  # ~10 MB of matches, more than the socket buffers hold
        commit(writer, *(story(first + batch * 50 + n, f"Harbour news {n}", TEXT) for n in range(50)))
    # never read: within the stall limit (and a look of the hub's) the server drops it
    _until(lambda: _metric(base, "dateline_streams_cut_off_total") == cut_before + 1, "the stream to be cut off",
           seconds=30)
    _until(lambda: _metric(base, "dateline_streams_open") == 0, "its slot to be freed")
    assert b'"event":"stream.cut_off"' in log.read_bytes()
    reader.settimeout(10)  # what the kernel held still arrives, then the end (no timeout)
    with contextlib.suppress(ConnectionResetError):
        while reader.recv(1 << 20):
            pass
    reader.close()
    # it resumes from the last event it took: the first match it never read comes first
    with httpx.stream("GET", f"{base}/v1/stream?q=harbour", headers={"Last-Event-ID": ready_id},
                      timeout=httpx.Timeout(5.0, read=10.0)) as response:
        events = (e for e in read_events(response) if e.kind not in ("comment", "ready"))
        assert article_of(next(events)) == first


def test_long_articles_leave_a_byte_budget_at_a_time_in_order(served, writer):
    base, _ = served
    url = httpx.URL(base)
    response = ChunkedResponse(url.host, url.port, "/v1/stream?q=lighthouse")
    try:
        writes = response.chunks()
        assert [e.kind for e in _events(next(writes))] == ["ready"]
        first, count = 5_000, 40  # one commit, one tick: 40 matches waiting at once
        commit(writer, *(story(first + n, f"Lighthouse keeper {n}", LONG_TEXT) for n in range(count)))
        articles: list[list[int]] = []  # the articles of each write
        while sum(map(len, articles)) < count:
            write = next(writes)
            events = [e for e in _events(write) if e.kind != "comment"]
            assert len(write) <= WRITE_BYTES or len(events) == 1, (len(write), len(events))
            articles.append([article_of(e) for e in events])
    finally:
        response.close()
    assert [n for write in articles for n in write] == list(range(first, first + count))
    assert max(map(len, articles)) > 1  # what fits still leaves together


def _events(write: bytes) -> list[ServerEvent]:
    parser = EventParser()
    return [e for e in map(parser.feed, write.decode().split("\n")) if e is not None]


def _request(host: str, port: int, target: str) -> socket.socket:
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return s


def _head(s: socket.socket) -> tuple[int, bytes]:
    """The status, and for an answer with a length its body."""
    data = _read_until(s, b"\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), None)
    while length is not None and len(body) < length:
        body += s.recv(65536)
    return status, body


def _read_until(s: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = s.recv(65536)
        assert chunk, f"closed before {marker!r}: {data[:200]!r}"
        data += chunk
    return data


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _until(condition: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.05)


def test_a_stream_asked_for_while_the_service_stops_is_a_503(writer, data_dir):
    app = search_app(ArticleStore(data_dir / "index"), Settings(data_dir=str(data_dir)))
    with TestClient(app) as client:
        for drain in app.state["on_drain"]:  # what the server runs first when it stops
            client.blocking_portal.call(drain)
        response = client.get("/v1/stream?q=harbour")
    assert response.status_code == 503
    assert msgspec.json.decode(response.content, type=ErrorBody).error == "unavailable"
