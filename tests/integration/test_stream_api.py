"""Standing queries over HTTP: a read-only search process streams what a writer commits.

The writer is this test (an ArticleStore that holds the index's lock), the stream is
served by a separate ``python -m services.index search`` process, as in production.
Every wait is bounded: a stream read fails after its timeout instead of hanging.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import msgspec
import pytest

from dateline.events import ServerEvent, read_events
from services.index.tantivy_store import ArticleStore
from shared.schemas import ErrorBody
from tests.factories import LYON, PARIS, SUVA, story
from tests.integration.search_process import search_process
from tests.integration.stream_events import article_of, commit

READ_TIMEOUT_S = 10.0
ANCIENT = 1_000
PER_CALLER = 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("stream")


@pytest.fixture(scope="module")
def writer(data_dir):
    store = ArticleStore(data_dir / "index", writable=True)
    # changed long ago (its change number says 1970): older than any retention window
    store.upsert([story(1, "Old news about the harbour", day=0)], keep_seq={f"{1:032x}": ANCIENT})
    store.commit()
    yield store
    store.close()


@pytest.fixture(scope="module")
def base(writer, data_dir):
    """One search process for the module: each stream starts at the newest commit."""
    with search_process(data_dir, stream_heartbeat_s="0.3", stream_per_caller=str(PER_CALLER)) as url:
        yield url


@contextmanager
def stream(base: str, query: str, **headers: str) -> Iterator[Iterator[ServerEvent]]:
    """The stream's events (heartbeats skipped), after its `ready` event."""
    timeout = httpx.Timeout(5.0, read=READ_TIMEOUT_S)
    with httpx.stream("GET", f"{base}/v1/stream?{query}", headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = (e for e in read_events(response) if e.kind != "comment")
        assert next(events).kind == "ready"
        yield events


def test_a_committed_match_arrives_and_the_rest_does_not(base, writer):
    with stream(base, "q=harbour&country=FR") as events:
        commit(writer, story(2, "Harbour strike in Lyon", places=[LYON], focus=LYON),
               story(3, "Harbour strike in Suva", places=[SUVA], focus=SUVA),  # not FR
               story(4, "Council meets in Paris", places=[PARIS], focus=PARIS))  # not harbour
        first = next(events)
        assert article_of(first) == 2
        commit(writer, story(5, "Harbour reopens in Paris", places=[PARIS], focus=PARIS))
        second = next(events)
        assert article_of(second) == 5  # 3 and 4 were never sent
        assert int(second.id) > int(first.id)


def test_geo_and_entity_filters_hold_for_new_articles(base, writer):
    with stream(base, "bbox=-5,42,8.5,51&entity=PERSON:Ana Duval") as events:
        commit(writer, story(6, "Visit", places=[SUVA], focus=SUVA, entities=[("PERSON", "Ana Duval")]),
               story(7, "Visit", places=[LYON], focus=LYON))
        commit(writer, story(8, "Visit", places=[LYON], focus=LYON, entities=[("PERSON", "Ana Duval")]))
        assert article_of(next(events)) == 8


def test_a_shape_alone_is_checked_against_each_new_articles_places(base, writer):
    with stream(base, "near=45.76,4.83,50&focus_only=true") as events:
        commit(writer, story(15, "Visit", places=[SUVA], focus=SUVA),
               story(16, "Visit", places=[LYON, PARIS], focus=PARIS))  # Lyon, but not its focus
        commit(writer, story(17, "Visit", places=[LYON], focus=LYON))
        assert article_of(next(events)) == 17


def test_a_reconnecting_client_gets_what_it_missed_in_order(base, writer):
    with stream(base, "q=harbour") as events:
        commit(writer, story(10, "Harbour news one"))
        seen = next(events)
        assert article_of(seen) == 10
    commit(writer, story(11, "Harbour news two"), story(12, "Council news"))  # while away
    commit(writer, story(13, "Harbour news three"))
    with stream(base, "q=harbour", **{"Last-Event-ID": seen.id}) as events:
        assert [article_of(next(events)), article_of(next(events))] == [11, 13]
        commit(writer, story(14, "Harbour news four"))
        assert article_of(next(events)) == 14


def test_the_position_of_a_heartbeat_resumes_a_quiet_stream(base, writer):
    with httpx.stream("GET", f"{base}/v1/stream?q=lighthouse", timeout=READ_TIMEOUT_S) as response:
        heartbeat = next(e for e in read_events(response) if e.kind == "comment")
        assert heartbeat.data == "heartbeat" and heartbeat.id is not None
    commit(writer, story(20, "Lighthouse restored"))
    with stream(base, f"q=lighthouse&last_event_id={heartbeat.id}") as events:
        assert article_of(next(events)) == 20


@pytest.mark.parametrize("position", [str(ANCIENT - 1), "9" * 19], ids=["older than the window", "never reached"])
def test_a_position_that_cannot_be_resumed_is_said_to_be_expired(base, writer, position):
    with stream(base, "q=harbour", **{"Last-Event-ID": position}) as events:
        expired = next(events)
        assert expired.kind == "expired"
        assert msgspec.json.decode(expired.data)["last_event_id"] == position
        article = story(int(position[:4]) + 30, "Harbour news after the gap")
        commit(writer, article)
        assert article_of(next(events)) == int(article.id, 16)


@pytest.mark.parametrize(
    ("query", "headers", "field"),
    [
        ("country=France", {}, "country"),
        ('q=storm "suva', {}, "q"),
        ("q=harbour", {"Last-Event-ID": "yesterday"}, "Last-Event-ID"),
    ],
)
def test_bad_parameters_are_a_400(base, query, headers, field):
    response = httpx.get(f"{base}/v1/stream?{query}", headers=headers, timeout=READ_TIMEOUT_S)
    assert response.status_code == 400, response.text
    body = msgspec.json.decode(response.content, type=ErrorBody)
    assert body.status == 400 and field in [e.field for e in body.errors]


def test_streams_per_caller_are_capped_and_a_closed_one_is_released(base):
    with stream(base, "q=a"), stream(base, "q=b"):
        refused = httpx.get(f"{base}/v1/stream?q=c", timeout=READ_TIMEOUT_S)
        assert refused.status_code == 429
        assert msgspec.json.decode(refused.content, type=ErrorBody).error == "too_many_streams"
    with httpx.Client(timeout=READ_TIMEOUT_S) as client:
        reopened = [_open_within(client, f"{base}/v1/stream?q=c", seconds=5.0) for _ in range(PER_CALLER)]
        for response in reopened:
            response.close()


def _open_within(client: httpx.Client, url: str, *, seconds: float) -> httpx.Response:
    """A stream opened as soon as the server has noticed the earlier ones closed."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.send(client.build_request("GET", url), stream=True)
        if response.status_code == 200:
            return response
        response.close()
        assert time.monotonic() < deadline, f"still {response.status_code} after {seconds} s"
