"""A stage on a real redis-server whose handler hangs: a batch that waited behind the hung
one handles only the entries still pending to it: none done twice, none lost."""

from __future__ import annotations

from structlog.testing import capture_logs

from shared.consumer import Stage
from shared.settings import Settings
from shared.streams import DATA_FIELD, RAW, ensure_groups
from tests.integration.polling import eventually
from tests.integration.test_consumer import Desk, HungDesk, pending, publish, running_stage

# A claim idle time of 0.6 s, a keeper cap of 2 s: a hung batch is let go well within a test.
CAPPED = Settings(max_deliveries=3, claim_idle_ms=600, retry_delay_ms=50, graceful_timeout_s=1,
                  claim_keep_max_s=2.0)


async def test_a_batch_handles_only_the_entries_still_pending_to_it(redis):
    await ensure_groups(redis)
    ours, taken, settled = await publish(redis, b'{"n":1}', b'{"n":2}', b'{"n":3}')
    await redis.xreadgroup("enrich", "desk-1", {RAW: ">"}, count=10)
    # While the batch waited for its turn: desk-2 claimed one, and one was settled.
    await redis.xclaim(RAW, "enrich", "desk-2", min_idle_time=0, message_ids=[taken])
    await redis.xack(RAW, "enrich", settled)
    desk = Desk()
    stage = Stage(stage="enrich", stream=RAW, group="enrich", consumer="desk-1", handler=desk,
                  settings=CAPPED)
    batch = {"message_ids": [i.encode() for i in (ours, taken, settled)],
             "data": [{DATA_FIELD.encode(): b'{"n":%d}' % n} for n in (1, 2, 3)]}
    with capture_logs() as logs:
        await stage.process(redis, batch)
    assert [d.entry_id for d in desk.seen] == [ours]
    assert stage.counts.done == 1
    [row] = await redis.xpending_range(RAW, "enrich", min="-", max="+", count=10)
    assert (row["message_id"].decode(), row["consumer"].decode(), row["times_delivered"]) == (taken, "desk-2", 2)
    [gone] = [e for e in logs if e["event"] == "batch.entries_gone"]
    assert gone["entry_ids"] == [taken, settled] and gone["owners"] == {taken: "desk-2"}


async def test_a_batch_that_waited_behind_a_hung_one_leaves_what_another_worker_took(redis, redis_url):
    await ensure_groups(redis)
    hung, desk = HungDesk(), Desk()
    [waiting] = await publish(redis, b'{"n":1}')
    await redis.xreadgroup("enrich", "ghost", {RAW: ">"}, count=1)  # read, then died
    [held] = await publish(redis, b'{"n":2}')
    with capture_logs() as logs:
        async with running_stage(redis_url, hung, settings=CAPPED) as stuck:
            await eventually(lambda: _seen(hung))  # desk-1 hangs on `held`
            # desk-1's claim subscriber takes the ghost's entry; it waits for the turn
            await eventually(lambda: _pending_to(redis, waiting, "desk-1"))
            async with running_stage(redis_url, desk, settings=CAPPED, consumer="desk-2") as other:
                # both let go at the cap, desk-2 claims and does them
                await eventually(lambda: _done(other, 2), timeout=30)
            hung.freed.set()
            await eventually(lambda: _batches(stuck, 2))
    assert hung.deliveries_of(waiting) == []  # it waited, and left it to desk-2
    assert len(desk.deliveries_of(waiting)) == 1 and len(desk.deliveries_of(held)) == 1
    assert await pending(redis) == 0
    assert any(e["event"] == "batch.entries_gone" and e["entry_ids"] == [waiting] for e in logs)


async def _seen(desk: Desk) -> bool:
    return bool(desk.seen)


async def _done(stage: Stage, n: int) -> bool:
    return stage.counts.done >= n


async def _batches(stage: Stage, n: int) -> bool:
    return stage.counts.batches >= n


async def _pending_to(redis, entry_id: str, consumer: str) -> bool:
    rows = await redis.xpending_range(RAW, "enrich", min=entry_id, max=entry_id, count=1)
    return bool(rows) and rows[0]["consumer"].decode() == consumer

