"""Hostile clients of GET /v1/export on a real search process: one that leaves midway, one
that stops reading. The export reads the match a batch at a time and only after the last
batch has been sent (backpressure), so neither makes it read, or hold, the whole match.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import msgspec
import pytest

from services.index.tantivy_store import ArticleStore
from tests.factories import story
from tests.integration.search_process import search_process

# Far more than a few batches and the socket buffers hold (~8 MB on loopback), at ~1.3 KB a row.
ROWS = 24_000
TEXT = "The harbour stayed closed while the dockers met. " * 20


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
