"""Hostile clients of GET /v1/export on a real search process: one that leaves midway, one
that stops reading. The export reads the match a batch at a time and only after the last
batch has been sent (backpressure), so neither makes it read, or hold, the whole match; and
a batch is bounded in bytes, so long articles do not make it hold more.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec
import pytest

from services.index.tantivy_store import ArticleStore
from services.index.tantivy_store.scan import BATCH_BYTES, FIRST_BATCH
from tests.factories import story
from tests.integration.chunked import ChunkedResponse
from tests.integration.search_process import search_process

# Far more than a few batches and the socket buffers hold (~8 MB on loopback), at ~1.3 KB a row.
ROWS = 24_000
TEXT = "The harbour stayed closed while the dockers met. " * 20
# Long articles (~250 KB), fewer than the first batch's rows: a batch of rows alone is all of them.
LONG_ROWS = FIRST_BATCH - 40
LONG_TEXT = "The harbour stayed closed while the dockers met. " * 5_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("export-hostile")
    writer = ArticleStore(data_dir / "index", writable=True)
    writer.upsert(story(n, f"Harbour strike day {n}", TEXT, day=n % 300) for n in range(1, ROWS + 1))
    writer.commit()
    writer.close()
    log = data_dir / "search.log"
    with search_process(data_dir, log=log, log_level="INFO") as url:
        yield url, log


@pytest.fixture(scope="module")
def served_long(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("export-hostile-long")
    writer = ArticleStore(data_dir / "index", writable=True)
    writer.upsert(story(n, f"Harbour strike day {n}", LONG_TEXT, day=n) for n in range(1, LONG_ROWS + 1))
    writer.commit()
    writer.close()
    log = data_dir / "search.log"
    with search_process(data_dir, log=log, log_level="INFO") as url:
        yield url, log


def test_a_client_that_leaves_midway_ends_the_export_incomplete(served):
    base, log = served
    with httpx.stream("GET", f"{base}/v1/export?q=harbour&format=ndjson", timeout=10) as response:
        assert response.status_code == 200
        next(response.iter_bytes())
    finished = _finished(log, after=0)
    assert finished["complete"] is False
    assert finished["rows"] < ROWS  # it stopped reading when the client left


def test_a_client_that_stops_reading_holds_the_export_at_a_few_batches(served):
    base, log = served
    seen = len(_lines(log))
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((httpx.URL(base).host, httpx.URL(base).port))
    client.sendall(b"GET /v1/export?q=harbour&format=ndjson HTTP/1.1\r\nHost: test\r\n\r\n")
    assert client.recv(4096).startswith(b"HTTP/1.1 200")
    # meanwhile the whole match is read once: time enough for the stalled export to read it
    # all too, were it buffering rather than waiting for its client
    with httpx.stream("GET", f"{base}/v1/export?q=harbour&format=ndjson", timeout=30) as whole:
        assert sum(chunk.count(b"\n") for chunk in whole.iter_bytes()) == ROWS
    client.close()
    stalled = _finished(log, after=seen, complete=False)
    # read as far as the socket buffers took and a batch or two beyond: not the match
    assert stalled["rows"] <= ROWS // 2


def _lines(log) -> list[dict]:
    return [msgspec.json.decode(line) for line in log.read_bytes().splitlines() if line.startswith(b"{")]


def _all_finished(log, after: int) -> list[dict]:
    return [e for e in _lines(log)[after:] if e.get("event") == "export.finished"]


def _finished(log, after: int, complete: bool = False, seconds: float = 15.0) -> dict:
    def found() -> dict | None:
        return next((e for e in _lines(log)[after:]
                     if e.get("event") == "export.finished" and e["complete"] is complete), None)

    _until(lambda: found() is not None, "export.finished in the log", seconds)
    return found()


def _until(condition: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.05)


def test_long_articles_are_written_a_byte_budget_at_a_time(served_long):
    base, _ = served_long
    url = httpx.URL(base)
    response = ChunkedResponse(url.host, url.port, "/v1/export?q=harbour&format=ndjson")
    try:
        writes = list(response.chunks())
    finally:
        response.close()
    lines = b"".join(writes).splitlines()
    assert len(lines) == LONG_ROWS
    longest = max(len(line) + 1 for line in lines)
    # each write ends once it reaches the budget: it is over by one article at most
    assert max(len(write) for write in writes) <= BATCH_BYTES + longest
    assert len(writes) >= LONG_ROWS * (longest - 1) // (BATCH_BYTES + longest)


def test_a_client_that_stops_reading_long_articles_holds_the_export_at_the_byte_budget(served_long):
    base, log = served_long
    seen = len(_lines(log))
    url = httpx.URL(base)
    stalled = ChunkedResponse(url.host, url.port, "/v1/export?q=harbour&format=ndjson", receive_buffer=4096)
    # meanwhile the whole match is read once: time enough for the stalled export to read it
    # all too, were it holding rows rather than bytes
    with httpx.stream("GET", f"{base}/v1/export?q=harbour&format=ndjson", timeout=30) as whole:
        row = max(len(line) for line in whole.iter_lines())
    kernel = _kernel_buffers(stalled.socket)
    stalled.close()
    _until(lambda: len(_all_finished(log, seen)) == 2, "both exports to finish", 15.0)
    rows = min(e["rows"] for e in _all_finished(log, seen))  # the whole match's is every row
    # what the kernel took, the write in the server's buffer, the chunk waiting to be
    # written and the batch read (each the budget and one article at most): not the match
    assert rows * row <= kernel + 3 * (BATCH_BYTES + row), (rows, LONG_ROWS)


def _kernel_buffers(client: socket.socket) -> int:
    """The most the kernel holds between the server and this client: the server's send
    buffer at its largest and the client's receive buffer."""
    most_sent = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    return most_sent + client.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
