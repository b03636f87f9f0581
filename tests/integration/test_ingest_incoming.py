"""dateline:incoming: articles pushed with a plain XADD, read by the `ingest` group."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from structlog.testing import capture_logs

from services.ingest.normalise import article_id, canonical_url
from shared.schemas import DeadLetter
from shared.streams import DATA_FIELD, DLQ, INCOMING, RAW
from tests.integration.test_ingest_api import (
    AUTH,
    article,
    raw_entries,
    running_ingest,
    settings_for,
)


async def until(condition, timeout: float = 20.0, what: str = "condition"):
    """Poll an async condition until it is truthy; fail with ``what`` at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await condition()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def push(redis, fields: dict) -> str:
    """What a non-Dateline producer does: XADD dateline:incoming * article <json>."""
    return (await redis.xadd(INCOMING, fields)).decode()


def as_json(value) -> bytes:
    return msgspec.json.encode(value)


async def nothing_pending(redis) -> bool:
    return (await redis.xpending(INCOMING, "ingest"))["pending"] == 0


async def dead_letters(redis) -> list[DeadLetter]:
    return [msgspec.json.decode(f[DATA_FIELD.encode()], type=DeadLetter) for _, f in await redis.xrange(DLQ)]


@pytest.fixture
async def ingest(redis, redis_url):
    async with running_ingest(settings_for(redis_url)) as client:
        yield client


async def test_a_pushed_article_is_published_and_acked(ingest, redis):
    await push(redis, {"article": as_json(article())})
    [raw] = await until(lambda: raw_entries(redis), what="the article in dateline:raw")
    assert raw.id == article_id(canonical_url(article()["url"]))
    assert raw.text == article()["text"] and raw.language == "en"
    await until(lambda: nothing_pending(redis), what="the incoming entry acked")
    assert await redis.xlen(DLQ) == 0


async def test_an_article_pushed_twice_is_published_once(ingest, redis):
    await push(redis, {"article": as_json(article())})
    await push(redis, {"article": as_json(article())})
    await until(lambda: nothing_pending(redis), what="both entries acked")
    await until(lambda: redis.xinfo_groups(INCOMING), what="the group")
    groups = {g["name"].decode(): g for g in await redis.xinfo_groups(INCOMING)}
    assert groups["ingest"]["entries-read"] == 2
    assert await redis.xlen(RAW) == 1


async def test_the_http_and_stream_entries_share_de_duplication(ingest, redis):
    assert (await ingest.post("/v1/articles", json=article(), headers=AUTH)).status_code == 202
    await push(redis, {"article": as_json(article())})
    await until(lambda: nothing_pending(redis), what="the entry acked")
    await until(lambda: redis.xinfo_groups(INCOMING), what="the group")
    assert [g["entries-read"] for g in await redis.xinfo_groups(INCOMING)] == [1]
    assert await redis.xlen(RAW) == 1


@pytest.mark.parametrize(
    ("fields", "reason", "error"),
    [
        ({"article": b'{"url": "https://news.example.com/a", "title"'}, "invalid_article", "malformed"),
        ({"article": as_json(article(url="ftp://news.example.com/a"))}, "invalid_article", "$.url: must be"),
        ({"article": as_json({"title": "No URL", "text": "x"})}, "invalid_article", "$.url: is required"),
        ({"story": as_json(article())}, "missing_field", "no `article` field"),
    ],
)
async def test_an_invalid_article_is_dead_lettered_with_its_reason(ingest, redis, fields, reason, error):
    entry_id = await push(redis, fields)
    [letter] = await until(lambda: dead_letters(redis), what="the dead letter")
    assert (letter.stage, letter.reason, letter.entry_id, letter.stream) == ("ingest", reason, entry_id, INCOMING)
    assert error in letter.error
    if "article" in fields:
        assert letter.payload == fields["article"].decode()  # the original, untouched
    await until(lambda: nothing_pending(redis), what="the entry acked")
    assert await redis.xlen(RAW) == 0


async def test_good_and_bad_entries_of_one_batch_are_judged_each_on_its_own(ingest, redis):
    good, bad = article(1), article(2, title="")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(INCOMING, {"article": as_json(good)})
        pipe.xadd(INCOMING, {"article": as_json(bad)})
        pipe.xadd(INCOMING, {"article": as_json(article(3))})
        await pipe.execute()
    await until(lambda: nothing_pending(redis), what="all entries settled")
    await until(lambda: dead_letters(redis), what="the dead letter")
    assert [r.title for r in await raw_entries(redis)] == [good["title"], article(3)["title"]]
    [letter] = await dead_letters(redis)
    assert "$.title" in letter.error


async def test_readiness_includes_the_incoming_reader(ingest):
    ready = (await ingest.get("/readyz")).json()
    assert ready == {"ready": True, "failures": {}}


async def test_the_reader_waits_while_enrichment_is_behind(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_backlog=1)) as ingest:
        ingested = await ingest.post("/v1/articles", json=[article(1), article(2)], headers=AUTH)
        assert ingested.status_code == 202  # the backlog was 0 when this request looked

        async def refused():  # the backlog figure is cached briefly: until it is re-read
            return (await ingest.post("/v1/articles", json=article(9), headers=AUTH)).status_code == 429

        await until(refused, what="ingest to see the backlog")
        published = await redis.xlen(RAW)
        with capture_logs() as logs:
            await push(redis, {"article": as_json(article(3))})

            async def paused():
                return any(e["event"] == "incoming.paused" for e in logs)

            await until(paused, what="the reader to pause")
            assert await redis.xlen(RAW) == published  # paused before publishing
            entries = await redis.xreadgroup("enrich", "test", {RAW: ">"})
            await redis.xack(RAW, "enrich", *[i for i, _ in entries[0][1]])
            await until(lambda: nothing_pending(redis), timeout=15, what="the reader to resume")
        assert [r.title for r in await raw_entries(redis)][-1] == article(3)["title"]
