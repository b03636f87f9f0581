"""The ClaimKeeper on a real Redis lets go of its batch's entries the moment it is
stopped, whatever its refresh was doing then (test_consumer.py shows it keeping them)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from shared.consumer import ClaimKeeper, Stage
from shared.settings import Settings
from shared.streams import DATA_FIELD, RAW, ensure_groups
from tests.integration.polling import eventually

# A refresh every 10 ms: the stops below land before, during and after refreshes.
QUICK = Settings(claim_idle_ms=30, retry_delay_ms=10)
ROUNDS = 200


async def test_a_keeper_stops_at_once_wherever_its_refresh_is_and_refreshes_no_more(
    redis, redis_url
):
    await ensure_groups(redis)
    ids = [(await redis.xadd(RAW, {DATA_FIELD: b'{"n":%d}' % n})).decode() for n in (1, 2)]
    await redis.xreadgroup("enrich", "desk-1", {RAW: ">"}, count=10)
    stage = Stage(stage="enrich", stream=RAW, group="enrich", consumer="desk-1",
                  handler=_nothing, settings=QUICK)
    client = aioredis.Redis.from_url(redis_url)
    try:
        for n in range(ROUNDS):
            async with ClaimKeeper(stage, client, ids) as keeper:
                # A batch's work, of a length that sweeps one refresh period (not a wait).
                await asyncio.sleep(n * 0.02 / ROUNDS)
                # A stop that never returns holds the stage's turn for ever, and the
                # other batch waiting for it keeps its entries claimed for ever: lost.
                async with asyncio.timeout(2):
                    await keeper.stop()
    finally:
        await client.aclose()

    async def let_go() -> bool:  # no keeper refreshes them any more: they age
        rows = await redis.xpending_range(RAW, "enrich", min="-", max="+", count=10)
        return all(row["time_since_delivered"] >= 10 * QUICK.claim_idle_ms for row in rows)

    await eventually(let_go)


async def _nothing(_batch):
    return []
