"""The ClaimKeeper on a real Redis lets go of its batch's entries the moment it is
stopped, whatever its refresh was doing then, and on its own once it has kept them
``claim_keep_max_s`` (test_consumer.py shows it keeping them)."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis
from structlog.testing import capture_logs

from shared.consumer import BatchClock, ClaimKeeper, Stage
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
            async with ClaimKeeper(stage, client, BatchClock(ids)) as keeper:
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


# A refresh every ~0.33 s, so a late one under load is no lapse; let go after 2.5 s.
CAPPED = Settings(claim_idle_ms=1_000, retry_delay_ms=10, claim_keep_max_s=2.5)


async def test_a_keeper_lets_a_stuck_batch_go_after_its_cap_and_keeps_it_until_then(
    redis, redis_url
):
    await ensure_groups(redis)
    ids = [(await redis.xadd(RAW, {DATA_FIELD: b'{"n":%d}' % n})).decode() for n in (1, 2)]
    await redis.xreadgroup("enrich", "desk-1", {RAW: ">"}, count=10)
    client = aioredis.Redis.from_url(redis_url)

    async def taken_by_desk_2() -> list[str]:  # another worker's claim subscriber
        claimed = await redis.xautoclaim(
            RAW, "enrich", "desk-2", min_idle_time=CAPPED.claim_idle_ms, justid=True
        )
        return sorted(i.decode() for i in claimed)

    try:
        with capture_logs() as logs:
            stage = Stage(stage="enrich", stream=RAW, group="enrich", consumer="desk-1",
                          handler=_nothing, settings=CAPPED)
            # Entered and never stopped until the end: a handler that hangs.
            async with ClaimKeeper(stage, client, BatchClock(ids)) as keeper:
                started = time.monotonic()
                # Under the cap it keeps them, past several claim idle times. The last
                # refresh before the cap is at least a claim idle time before they can go.
                while time.monotonic() - started < CAPPED.claim_keep_max_s:
                    assert await taken_by_desk_2() == [], "taken while still kept"
                    await asyncio.sleep(0.05)  # the pace of the probe, not a wait
                assert await eventually(taken_by_desk_2) == sorted(ids)
                async with asyncio.timeout(2):
                    await keeper.stop()
    finally:
        await client.aclose()

    [released] = [e for e in logs if e["event"] == "batch.claim_released"]
    assert released["log_level"] == "error"
    assert released["entry_ids"] == ids
    assert released["kept_s"] >= CAPPED.claim_keep_max_s
    rows = await redis.xpending_range(RAW, "enrich", min="-", max="+", count=10)
    assert {row["consumer"].decode() for row in rows} == {"desk-2"}  # not taken back


async def _nothing(_batch):
    return []
