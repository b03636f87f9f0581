"""Group commit against a real Redis: concurrent callers share script calls, not results."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.ingest.press import Press
from services.ingest.publish import BacklogFull
from shared.redis_server import free_port
from shared.streams import RAW, RAW_LONG, ensure_groups, entry_fields
from tests.factories import raw_article

LIMIT = 100_000


async def script_calls(redis) -> int:
    stats = await redis.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


async def test_concurrent_callers_share_calls_and_each_gets_its_own_results(redis):
    press = Press(redis, ttl_seconds=60, max_backlog=LIMIT)
    before = await script_calls(redis)
    orders = [[raw_article(2 * n), raw_article(2 * n + 1)] for n in range(50)]
    results = await asyncio.gather(*(press.publish(order) for order in orders))
    assert [[p.status for p in r] for r in results] == [["accepted", "accepted"]] * 50
    entry_ids = [p.entry_id for r in results for p in r]
    assert entry_ids == [e[0].decode() for e in await redis.xrange(RAW)]  # in caller order
    assert await script_calls(redis) - before < 50  # grouped: fewer calls than callers


async def test_the_same_article_from_concurrent_callers_is_published_once(redis):
    press = Press(redis, ttl_seconds=60, max_backlog=LIMIT)
    results = await asyncio.gather(*(press.publish([raw_article(7)]) for _ in range(10)))
    assert sorted(r[0].status for r in results) == ["accepted"] + ["duplicate"] * 9
    assert await redis.xlen(RAW) == 1


async def test_a_failed_call_fails_every_caller_in_it():
    unreachable = aioredis.Redis(port=free_port(), socket_connect_timeout=1)
    press = Press(unreachable, ttl_seconds=60, max_backlog=LIMIT)
    results = await asyncio.gather(
        *(press.publish([raw_article(n)]) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RedisConnectionError) for r in results)
    await unreachable.aclose()


async def test_a_caller_that_goes_away_does_not_stop_the_others(redis):
    press = Press(redis, ttl_seconds=60, max_backlog=LIMIT)
    leaving = asyncio.create_task(press.publish([raw_article(1)]))
    staying = asyncio.create_task(press.publish([raw_article(2)]))
    await asyncio.sleep(0)  # a yield, not a wait: both tasks queue their articles
    leaving.cancel()
    [published] = await staying
    assert published.status == "accepted"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await redis.xlen(RAW) == 2  # what was queued is published all the same


async def test_publishing_survives_redis_forgetting_the_script(redis):
    press = Press(redis, ttl_seconds=60, max_backlog=LIMIT)
    await press.publish([raw_article(1)])
    await redis.script_flush()  # what a Redis restart does
    [published] = await press.publish([raw_article(2)])
    assert published.status == "accepted"
    assert await redis.xlen(RAW) == 2


# -- the backlog limit: checked and published in one script, so concurrency cannot pass it


async def test_concurrent_orders_never_take_the_backlog_past_the_limit(redis):
    await ensure_groups(redis)  # the enrich group exists; nobody reads it
    # two presses: two ingest processes (or the two doors of one) racing for the room
    presses = [Press(redis, ttl_seconds=60, max_backlog=200) for _ in range(2)]
    orders = [[raw_article(10 * n + i) for i in range(10)] for n in range(50)]
    outcomes = await asyncio.gather(
        *(presses[n % 2].publish(order) for n, order in enumerate(orders)), return_exceptions=True
    )
    admitted = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, BacklogFull)]
    assert (len(admitted), len(refused)) == (20, 30)
    assert all(o.adding == 10 and o.limit == 200 for o in refused)
    assert await redis.xlen(RAW) == 200


async def test_an_order_is_admitted_or_refused_whole(redis):
    await ensure_groups(redis)
    press = Press(redis, ttl_seconds=60, max_backlog=5)
    await press.publish([raw_article(n) for n in range(4)])
    with pytest.raises(BacklogFull) as caught:
        await press.publish([raw_article(n) for n in range(10, 12)])  # 4 + 2 > 5
    assert caught.value.adding == 2
    assert await redis.xlen(RAW) == 4  # nothing of it
    [published] = await press.publish([raw_article(20)])  # 4 + 1 fits
    assert published.status == "accepted"


async def test_what_adds_nothing_is_never_refused(redis):
    await ensure_groups(redis)
    press = Press(redis, ttl_seconds=60, max_backlog=2)
    await press.publish([raw_article(1), raw_article(2)])
    duplicates = await press.publish([raw_article(1), raw_article(2)])  # full, but adds nothing
    assert [p.status for p in duplicates] == ["duplicate", "duplicate"]


async def test_room_comes_back_as_enrichment_acknowledges(redis):
    await ensure_groups(redis)
    press = Press(redis, ttl_seconds=60, max_backlog=2)
    await press.publish([raw_article(1), raw_article(2)])
    with pytest.raises(BacklogFull):
        await press.publish([raw_article(3)])
    [[_, entries]] = await redis.xreadgroup("enrich", "test", {RAW: ">"}, count=1)
    with pytest.raises(BacklogFull):  # delivered but not acknowledged: still in progress
        await press.publish([raw_article(3)])
    await redis.xack(RAW, "enrich", entries[0][0])
    [published] = await press.publish([raw_article(3)])
    assert published.status == "accepted"


async def test_without_the_group_every_entry_counts(redis):
    press = Press(redis, ttl_seconds=60, max_backlog=2)
    await press.publish([raw_article(1), raw_article(2)])  # no stream yet, then no group
    with pytest.raises(BacklogFull):
        await press.publish([raw_article(3)])


async def test_long_articles_set_aside_count_in_the_backlog(redis):
    await ensure_groups(redis)
    for n in range(2):  # moved to the long lane by a worker, not enriched yet
        await redis.xadd(RAW_LONG, entry_fields(raw_article(100 + n)))
    press = Press(redis, ttl_seconds=60, max_backlog=3)
    with pytest.raises(BacklogFull):
        await press.publish([raw_article(1), raw_article(2)])  # 2 + 2 > 3
    [published] = await press.publish([raw_article(3)])  # 2 + 1 fits
    assert published.status == "accepted"
