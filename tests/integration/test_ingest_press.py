"""Group commit against a real Redis: concurrent callers share script calls, not results."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.ingest.press import Press
from shared.redis_server import free_port
from shared.streams import RAW
from tests.factories import raw_article


async def script_calls(redis) -> int:
    stats = await redis.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


async def test_concurrent_callers_share_calls_and_each_gets_its_own_results(redis):
    press = Press(redis, ttl_seconds=60)
    before = await script_calls(redis)
    orders = [[raw_article(2 * n), raw_article(2 * n + 1)] for n in range(50)]
    results = await asyncio.gather(*(press.publish(order) for order in orders))
    assert [[p.status for p in r] for r in results] == [["accepted", "accepted"]] * 50
    entry_ids = [p.entry_id for r in results for p in r]
    assert entry_ids == [e[0].decode() for e in await redis.xrange(RAW)]  # in caller order
    assert await script_calls(redis) - before < 50  # grouped: fewer calls than callers


async def test_the_same_article_from_concurrent_callers_is_published_once(redis):
    press = Press(redis, ttl_seconds=60)
    results = await asyncio.gather(*(press.publish([raw_article(7)]) for _ in range(10)))
    assert sorted(r[0].status for r in results) == ["accepted"] + ["duplicate"] * 9
    assert await redis.xlen(RAW) == 1


async def test_a_failed_call_fails_every_caller_in_it():
    unreachable = aioredis.Redis(port=free_port(), socket_connect_timeout=1)
    press = Press(unreachable, ttl_seconds=60)
    results = await asyncio.gather(
        *(press.publish([raw_article(n)]) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RedisConnectionError) for r in results)
    await unreachable.aclose()


async def test_a_caller_that_goes_away_does_not_stop_the_others(redis):
    press = Press(redis, ttl_seconds=60)
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
    press = Press(redis, ttl_seconds=60)
    await press.publish([raw_article(1)])
    await redis.script_flush()  # what a Redis restart does
    [published] = await press.publish([raw_article(2)])
    assert published.status == "accepted"
    assert await redis.xlen(RAW) == 2
