"""dateline:incoming: articles pushed with a plain XADD, read by the `ingest` group."""

from __future__ import annotations

import msgspec
import pytest
from structlog.testing import capture_logs

from services.ingest.normalise import article_id, canonical_url
from shared.schemas import DeadLetter
from shared.streams import DATA_FIELD, DLQ, INCOMING, RAW
from tests.integration.polling import eventually
from tests.integration.test_ingest_api import (
    AUTH,
    article,
    raw_entries,
    running_ingest,
    settings_for,
)


async def push(redis, fields: dict) -> str:
    """What a non-Dateline producer does: XADD dateline:incoming * article <json>."""
    return (await redis.xadd(INCOMING, fields)).decode()


def as_json(value) -> bytes:
    return msgspec.json.encode(value)


def settled(redis, count: int):
    """A probe: the ingest group has read ``count`` entries and acked every one."""

    async def probe() -> bool:
        [group] = await redis.xinfo_groups(INCOMING)
        return group["entries-read"] == count and group["pending"] == 0

    return probe


async def dead_letters(redis) -> list[DeadLetter]:
    return [msgspec.json.decode(f[DATA_FIELD.encode()], type=DeadLetter) for _, f in await redis.xrange(DLQ)]


@pytest.fixture
async def ingest(redis, redis_url):
    async with running_ingest(settings_for(redis_url)) as client:
        yield client


async def test_a_pushed_article_is_published_and_acked(ingest, redis):
    await push(redis, {"article": as_json(article())})
    await eventually(settled(redis, 1))
    [raw] = await raw_entries(redis)
    assert raw.id == article_id(canonical_url(article()["url"]))
    assert raw.text == article()["text"] and raw.language == "en"
    assert await redis.xlen(DLQ) == 0


async def test_an_article_pushed_twice_is_published_once(ingest, redis):
    await push(redis, {"article": as_json(article())})
    await push(redis, {"article": as_json(article())})
    await eventually(settled(redis, 2))
    assert await redis.xlen(RAW) == 1


async def test_the_http_and_stream_entries_share_de_duplication(ingest, redis):
    assert (await ingest.post("/v1/articles", json=article(), headers=AUTH)).status_code == 202
    await push(redis, {"article": as_json(article())})
    await eventually(settled(redis, 1))
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
    await eventually(settled(redis, 1))
    [letter] = await dead_letters(redis)
    assert (letter.stage, letter.reason, letter.entry_id, letter.stream) == ("ingest", reason, entry_id, INCOMING)
    assert error in letter.error
    if "article" in fields:
        assert letter.payload == fields["article"].decode()  # the original, untouched
    assert await redis.xlen(RAW) == 0


async def test_good_and_bad_entries_of_one_batch_are_judged_each_on_its_own(ingest, redis):
    good, bad = article(1), article(2, title="")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(INCOMING, {"article": as_json(good)})
        pipe.xadd(INCOMING, {"article": as_json(bad)})
        pipe.xadd(INCOMING, {"article": as_json(article(3))})
        await pipe.execute()
    await eventually(settled(redis, 3))
    # each entry is admitted on its own (back-pressure counts entries): order across
    # different articles is not kept
    assert sorted(r.title for r in await raw_entries(redis)) == [good["title"], article(3)["title"]]
    [letter] = await dead_letters(redis)
    assert "$.title" in letter.error


async def test_readiness_includes_the_incoming_reader(ingest):
    ready = (await ingest.get("/readyz")).json()
    assert ready == {"ready": True, "failures": {}, "degraded": {}}


async def test_the_reader_waits_while_enrichment_is_behind(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_backlog=2)) as ingest:
        ingested = await ingest.post("/v1/articles", json=[article(1), article(2)], headers=AUTH)
        assert ingested.status_code == 202  # the backlog is full now
        published = await redis.xlen(RAW)
        with capture_logs() as logs:
            await push(redis, {"article": as_json(article(3))})

            async def paused():
                return any(e["event"] == "incoming.paused" for e in logs)

            await eventually(paused)
            assert await redis.xlen(RAW) == published  # paused before publishing
            entries = await redis.xreadgroup("enrich", "test", {RAW: ">"})
            await redis.xack(RAW, "enrich", *[i for i, _ in entries[0][1]])
            await eventually(settled(redis, 1), timeout=15)
        assert [r.title for r in await raw_entries(redis)][-1] == article(3)["title"]


async def test_the_reader_starts_over_in_process_when_its_group_vanishes(redis, redis_url):
    with capture_logs() as logs:
        async with running_ingest(settings_for(redis_url)):
            await redis.xgroup_destroy(INCOMING, "ingest")  # what a FLUSHALL does to it
            await push(redis, {"article": as_json(article())})

            async def restarted() -> bool:
                return any(e["event"] == "service.stage_started" for e in logs)

            await eventually(restarted)
            await eventually(settled(redis, 1))  # the group was made again, from the start
    assert [r.title for r in await raw_entries(redis)] == [article()["title"]]
    assert any(e["event"] == "service.stage_stopped" for e in logs)
