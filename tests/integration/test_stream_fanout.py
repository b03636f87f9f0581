"""Many standing queries at once, and clients that come and go: every match reaches every
stream it matches exactly once, and a reconnect from any event id misses nothing.

As in test_stream_api: this test writes the index, a separate read-only search process
serves the streams. Every read is bounded by its timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from dateline.events import ServerEvent, read_events
from services.index.live import TICK_LIMIT
from services.index.tantivy_store import ArticleStore
from tests.factories import LYON, PARIS, SUVA, story
from tests.integration.search_process import search_process
from tests.integration.stream_events import article_of, commit

READ_TIMEOUT_S = 10.0
STREAM_DEADLINE_S = 60.0
STREAMS = 30


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fanout")


@pytest.fixture(scope="module")
def writer(data_dir):
    store = ArticleStore(data_dir / "index", writable=True)
    store.upsert([story(1, "Opening notes")])
    store.commit()
    yield store
    store.close()


@pytest.fixture(scope="module")
def base(writer, data_dir):
    with search_process(data_dir, stream_per_caller=str(STREAMS + 2), stream_heartbeat_s="0.3") as url:
        yield url


@contextmanager
def stream(client: httpx.Client, query: str, **headers: str) -> Iterator[Iterator[ServerEvent]]:
    """The stream's events (heartbeats skipped), after its `ready` event; an event still
    awaited STREAM_DEADLINE_S after it opened fails the test (heartbeats keep a read going)."""
    with client.stream("GET", f"/v1/stream?{query}", headers=headers) as response:
        assert response.status_code == 200, response.read()
        events = _before(time.monotonic() + STREAM_DEADLINE_S, read_events(response))
        assert next(events).kind == "ready"
        yield events


def _before(deadline: float, events: Iterator[ServerEvent]) -> Iterator[ServerEvent]:
    for event in events:
        assert time.monotonic() < deadline, "an event still awaited at the stream's deadline"
        if event.kind != "comment":
            yield event


def test_many_streams_each_get_a_match_once(base, writer):
    queries = ["q=harbour", "country=FR", "q=harbour&country=FR"]  # the same query on many streams, and others
    client = httpx.Client(base_url=base, timeout=httpx.Timeout(5.0, read=READ_TIMEOUT_S))
    with client, ExitStack() as streams:
        opened = [(q, streams.enter_context(stream(client, q))) for q in queries * (STREAMS // len(queries))]
        commit(writer, story(100, "Harbour strike in Lyon", places=[LYON], focus=LYON),
               story(101, "Harbour strike in Suva", places=[SUVA], focus=SUVA))  # not FR
        commit(writer, story(102, "Council meets in Paris", places=[PARIS], focus=PARIS))  # FR, not harbour
        commit(writer, story(103, "Harbour and council in Paris", places=[PARIS], focus=PARIS))  # all of them
        wanted = {"q=harbour": [100, 101, 103], "country=FR": [100, 102, 103], "q=harbour&country=FR": [100, 103]}
        for query, events in opened:
            # in order, each once: the last one is the article every stream matches, so a
            # stream that had a match twice would show it before that
            assert [article_of(next(events)) for _ in wanted[query]] == wanted[query], query


def test_a_client_reconnecting_from_any_event_misses_nothing(base, writer):
    first = 200
    matching = [story(first + n, f"Harbour bulletin {n}") for n in range(TICK_LIMIT + 10)]
    client = httpx.Client(base_url=base, timeout=httpx.Timeout(5.0, read=READ_TIMEOUT_S))
    with client:
        with stream(client, "q=harbour+bulletin") as events:
            for chunk in range(0, len(matching), 20):  # with articles it does not match between
                commit(writer, *matching[chunk:chunk + 20], story(first + 2000 + chunk, "Council notes"))
            seen = [next(events) for _ in range(25)]
        away = [story(first + 1000 + n, f"Harbour bulletin late {n}") for n in range(TICK_LIMIT)]
        commit(writer, *away[:30], story(first + 3000, "Council notes"))
        commit(writer, *away[30:])
        expected = [int(a.id, 16) for a in matching[25:] + away]
        with stream(client, "q=harbour+bulletin", **{"Last-Event-ID": seen[-1].id}) as events:
            resumed = [next(events) for _ in expected]
        assert [article_of(e) for e in seen] == [int(a.id, 16) for a in matching[:25]]
        assert [article_of(e) for e in resumed] == expected
        positions = [int(e.id) for e in seen + resumed]
        assert positions == sorted(set(positions))  # ever later: nothing twice
