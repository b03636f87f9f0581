"""Reads never fail while the index changes under them: commits and reindex switches, in the
writer's own process (the index service) and in a read-only one (``services.index search``)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from services.index.api import search_app
from services.index.domain import Match, SearchRequest
from services.index.reindex import ReindexJob, rebuild
from services.index.tantivy_store import ArticleStore
from shared.http import InLoopServer
from shared.redis_server import free_port
from shared.settings import Settings
from tests.factories import story
from tests.integration.polling import eventually

READS: list[Callable[[ArticleStore], object]] = [
    lambda store: store.search(SearchRequest(match=Match(text="council"), size=5, facets=("sources",))),
    lambda store: store.search(SearchRequest(sort="newest", size=5, histogram="day")),
    lambda store: store.get(f"{7:032x}"),
    lambda store: store.stats(),
]


@pytest.fixture
def writer(tmp_path):
    store = ArticleStore(tmp_path / "index", writable=True)
    store.upsert([story(n, day=n % 40) for n in range(1, 400)])
    store.commit()
    yield store
    store.close()


def _hammer(stores: list[ArticleStore], change: Callable[[], None], rounds: int) -> tuple[int, Counter]:
    """Read from every store in two threads each while ``change`` runs ``rounds`` times."""
    failures: Counter = Counter()
    done = [0]
    stop = threading.Event()

    def read(store: ArticleStore) -> None:
        while not stop.is_set():
            for one in READS:
                try:
                    one(store)
                    done[0] += 1
                except Exception as exc:  # noqa: BLE001 - every failure is what this test counts
                    failures[f"{type(exc).__name__}: {exc}"[:160]] += 1

    readers = [threading.Thread(target=read, args=(s,)) for s in stores for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(rounds):
            change()
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    return done[0], failures


def test_reads_never_fail_during_repeated_reindexes(writer, tmp_path):
    reader = ArticleStore(tmp_path / "index")  # a search process's view of the same index
    generations = set()

    def reindex() -> None:
        rebuild(writer)
        generations.add(writer.stats().generation)

    reads, failures = _hammer([writer, reader], reindex, rounds=15)
    assert failures == Counter(), f"{sum(failures.values())} of {reads} reads failed: {failures.most_common(3)}"
    assert len(generations) == 15 and reads > 1000
    assert reader.stats().generation == writer.stats().generation  # the reader followed every switch
    assert reader.stats().documents == 399


def test_reads_never_fail_during_commits(writer, tmp_path):
    reader = ArticleStore(tmp_path / "index")
    added = iter(range(1000, 2000))

    def commit() -> None:
        writer.upsert([story(next(added))])
        writer.commit()

    reads, failures = _hammer([writer, reader], commit, rounds=40)
    assert failures == Counter(), f"{sum(failures.values())} of {reads} reads failed: {failures.most_common(3)}"
    assert reader.stats().documents == 399 + 40


def test_a_reader_follows_two_quick_switches(writer, tmp_path):
    reader = ArticleStore(tmp_path / "index")
    first = reader.stats().generation
    rebuild(writer)
    rebuild(writer)  # the generation the reader holds is gone now
    deadline = time.monotonic() + 5
    while reader.stats().generation == first:
        assert time.monotonic() < deadline
    assert reader.stats().generation == writer.stats().generation
    assert reader.get(f"{7:032x}") is not None


async def test_search_over_http_never_fails_during_repeated_reindexes(writer, tmp_path):
    """What a client sees: POST /v1/reindex again and again while four clients search."""
    app = search_app(writer, Settings(data_dir=str(tmp_path)), reindexing=ReindexJob(writer, threading.Lock))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    statuses: Counter = Counter()
    reindexing = True

    async def search(client: httpx.AsyncClient, query: str) -> None:
        while reindexing:
            statuses[(await client.get(f"{base}{query}")).status_code] += 1

    async with InLoopServer(app, "127.0.0.1", port).running(), httpx.AsyncClient(timeout=30) as client:
        readers = [asyncio.create_task(search(client, q)) for q in
                   ("/v1/search?q=council&facets=sources", "/v1/search?sort=newest&histogram=day",
                    f"/v1/articles/{7:032x}", "/v1/stats")]
        try:
            for _ in range(8):
                assert (await client.post(f"{base}/v1/reindex")).status_code == 202
                await eventually(lambda: _reindex_done(client, base), timeout=30, every=0.01)
        finally:
            reindexing = False
            await asyncio.gather(*readers)
    assert set(statuses) == {200} and statuses[200] > 100, statuses


async def _reindex_done(client: httpx.AsyncClient, base: str) -> bool:
    state = (await client.get(f"{base}/v1/reindex")).json()["state"]
    assert state != "failed"
    return state == "done"
