"""The indexer on a real redis-server and a real index: commit before ack, DLQ, reclaim, reindex."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest

from services.index import generations
from services.index.domain import Match, SearchRequest
from services.index.indexer import IndexDesk
from services.index.reindex import IndexBusy, reindex
from services.index.service import IndexService
from services.index.tantivy_store import ArticleStore, SchemaChanged
from shared.broker import build_broker
from shared.consumer import Delivery, Stage
from shared.schemas import DeadLetter, SearchResponse
from shared.settings import Settings
from shared.streams import DATA_FIELD, DLQ, ENRICHED, add_all, ensure_groups
from tests.factories import BERLIN, LYON, story
from tests.integration.polling import eventually


@pytest.fixture
def settings(tmp_path, redis_url) -> Settings:
    return Settings(
        redis_url=redis_url, data_dir=str(tmp_path / "data"), claim_idle_ms=600, retry_delay_ms=50,
        graceful_timeout_s=5, max_deliveries=3, index_batch_size=16, search_port=_free_port(),
    )


@pytest.fixture
async def groups(redis):
    await ensure_groups(redis)


@asynccontextmanager
async def indexing(settings: Settings, store: ArticleStore, consumer: str = "indexer-1"):
    broker = build_broker(settings.redis_url, graceful_timeout=settings.graceful_timeout_s)
    Stage(stage="index", stream=ENRICHED, group="index", consumer=consumer,
          handler=IndexDesk(store), settings=settings).subscribe(broker)
    async with broker:
        await broker.start()
        yield


def count(store: ArticleStore, text: str | None = None) -> int:
    return store.search(SearchRequest(match=Match(text=text), size=0)).total


async def pending(redis) -> int:
    return (await redis.xpending(ENRICHED, "index"))["pending"]


async def dead_letters(redis) -> list[DeadLetter]:
    return [msgspec.json.decode(f[DATA_FIELD.encode()], type=DeadLetter) for _, f in await redis.xrange(DLQ)]


async def test_enriched_articles_become_searchable_and_are_acked(redis, groups, settings):
    store = ArticleStore(settings.index_dir, writable=True)
    async with indexing(settings, store):
        await add_all(redis, ENRICHED, [story(n, places=[LYON]) for n in range(1, 41)])
        await eventually(lambda: _true(count(store) == 40))
        await eventually(lambda: _zero(pending(redis)))
    store.close()


async def test_a_bad_entry_is_dead_lettered_and_does_not_block_its_batch(redis, groups, settings):
    store = ArticleStore(settings.index_dir, writable=True)
    await redis.xadd(ENRICHED, {DATA_FIELD: b'{"id": "not an article"}'})
    far_future = msgspec.structs.replace(story(3), published_at=story(3).published_at.replace(year=2999))
    await add_all(redis, ENRICHED, [story(1), far_future, story(2)])
    async with indexing(settings, store):
        letters = await eventually(lambda: _at_least(dead_letters(redis), 2))
        await eventually(lambda: _zero(pending(redis)))
    assert sorted(letter.reason for letter in letters) == ["invalid_article", "store_rejected"]
    assert all(letter.stage == "index" and letter.stream == ENRICHED for letter in letters)
    assert "out of range" in next(x for x in letters if x.reason == "store_rejected").error
    assert count(store) == 2
    store.close()


async def test_a_crash_between_commit_and_ack_changes_nothing_on_redelivery(redis, groups, settings):
    store = ArticleStore(settings.index_dir, writable=True)
    desk = IndexDesk(store)
    [entry_id] = await add_all(redis, ENRICHED, [story(1, places=[BERLIN])])
    # A first indexer reads the entry, commits it, and dies before acking.
    [(_, [(read_id, fields)])] = await redis.xreadgroup("index", "crashed", {ENRICHED: ">"}, count=1)
    assert await desk([Delivery(entry_id=read_id.decode(), body=fields[DATA_FIELD.encode()], deliveries=1)]) == []
    before = store.get(story(1).id)
    # Another one reclaims it after claim_idle_ms and applies the same upsert again.
    async with indexing(settings, store, consumer="indexer-2"):
        await eventually(lambda: _zero(pending(redis)))
    assert count(store) == 1
    assert store.get(story(1).id) == before
    assert entry_id == read_id.decode()
    store.close()


async def test_the_service_indexes_serves_search_and_reindexes_without_stopping(redis, groups, settings):
    service = IndexService(settings)
    running = asyncio.create_task(service.run())
    base = f"http://{settings.search_host}:{settings.search_port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            await eventually(lambda: _ready(http))
            await add_all(redis, ENRICHED, [story(n, title=f"Harbour report {n}") for n in range(1, 11)])
            await eventually(lambda: _total(http, "q=harbour", 10))
            generation = service.store.stats().generation

            started = await http.post("/v1/reindex")
            assert started.status_code == 202
            await add_all(redis, ENRICHED, [story(n, title=f"Harbour report {n}") for n in range(11, 16)])
            status = await eventually(lambda: _reindex_done(http))
            assert status["state"] == "done", status
            assert status["generation"] != generation
            await eventually(lambda: _total(http, "q=harbour", 15))
            # the indexer writes into the new generation from now on
            await add_all(redis, ENRICHED, [story(99, title="Harbour closes")])
            await eventually(lambda: _total(http, "q=harbour", 16))
            metrics = (await http.get("/metrics")).text
            assert "dateline_index_lag_entries" in metrics
            assert "dateline_time_to_searchable_seconds_count" in metrics
    finally:
        service.stop()
        assert await asyncio.wait_for(running, timeout=30) == 0


async def test_offline_reindex_refuses_while_the_service_holds_the_index(settings):
    holder = ArticleStore(settings.index_dir, writable=True)
    holder.upsert([story(1), story(2)])
    holder.commit()
    with pytest.raises(IndexBusy, match="POST http://.*/v1/reindex"):
        reindex(settings)
    holder.close()
    reader = ArticleStore(settings.index_dir)  # a search process, open before the switch
    before = reader.stats().generation
    stats = reindex(settings)
    assert stats.documents == 2
    assert reader.stats().generation == stats.generation != before  # it followed
    assert reader.get(story(2).id) == story(2)


# -- probes ----------------------------------------------------------------------------------


async def _true(value: bool) -> bool:
    return value


async def _zero(awaitable) -> bool:
    return await awaitable == 0


async def _at_least(awaitable, n: int):
    found = await awaitable
    return found if len(found) >= n else None


async def _ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _total(http: httpx.AsyncClient, query: str, expected: int) -> bool:
    response = await http.get(f"/v1/search?{query}&size=0")
    return msgspec.json.decode(response.content, type=SearchResponse).total == expected


async def _reindex_done(http: httpx.AsyncClient) -> dict | None:
    status = (await http.get("/v1/reindex")).json()
    return status if status["state"] in ("done", "failed") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def _old_schema_generation(settings: Settings, articles) -> None:
    """An index as an earlier version of Dateline wrote it: another schema, same replay fields."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw")
    builder.add_bytes_field("article", stored=True)
    builder.add_integer_field("seq", indexed=True, fast=True)
    generation = generations.fresh(settings.index_dir)
    old = tantivy.Index(builder.build(), path=str(generation))
    writer = old.writer()
    for seq, item in enumerate(articles, 1):
        writer.add_document(tantivy.Document(id=item.id, article=msgspec.json.encode(item), seq=seq))
    writer.commit()
    writer.wait_merging_threads()
    generations.switch(settings.index_dir, generation)


def test_a_schema_change_is_rebuilt_from_the_stored_articles(settings):
    stored = [story(1, places=[LYON]), story(2, places=[BERLIN])]
    _old_schema_generation(settings, stored)
    with pytest.raises(SchemaChanged, match="reindex"):
        ArticleStore(settings.index_dir)
    stats = reindex(settings)
    assert stats.documents == 2
    rebuilt = ArticleStore(settings.index_dir)
    assert [rebuilt.get(a.id) for a in stored] == stored
    assert count(rebuilt, "place:lyon") == 1


async def test_the_service_reindexes_an_old_schema_before_serving(settings):
    _old_schema_generation(settings, [story(1)])
    service = IndexService(settings)
    assert service.store.get(story(1).id) == story(1)
    service.store.close()
    await service.redis.aclose()
