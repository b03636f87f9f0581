"""A stage on a real redis-server whose handler hangs: readiness names the stuck batch, the
service stops and exits 1 for its supervisor to restart it, and a batch that waited behind
the hung one handles only the entries still pending to it: none done twice, none lost."""

from __future__ import annotations

import asyncio

import msgspec
from structlog.testing import capture_logs

from shared.auth import OperatorKeys
from shared.consumer import Delivery, Failure, Stage, waiting_on_purpose
from shared.health import HealthApp
from shared.redis_server import free_port
from shared.runtime import STUCK_EXIT_CODE, Service, redis_client
from shared.serving import InLoopServer
from shared.settings import Settings
from shared.streams import DATA_FIELD, RAW, ensure_groups
from tests.integration.polling import eventually
from tests.integration.test_consumer import Desk, HungDesk, pending, publish, running_stage

# A claim idle time of 0.6 s, a keeper cap of 2 s: a hung batch is let go well within a test.
CAPPED = Settings(max_deliveries=3, claim_idle_ms=600, retry_delay_ms=50, graceful_timeout_s=1,
                  claim_keep_max_s=2.0)


async def test_a_handler_hung_past_the_cap_fails_readiness_naming_its_batch(redis, redis_url):
    await ensure_groups(redis)
    hung = HungDesk()
    [entry_id] = await publish(redis, b'{"n":1}')
    async with running_stage(redis_url, hung, settings=CAPPED) as stage:
        await eventually(lambda: _seen(hung))
        assert await stage.readiness() is None  # busy, not yet stuck
        problem = await eventually(stage.readiness)
        assert "the enrich stage is stuck" in problem and entry_id in problem
        stuck = stage.stuck()
        assert stuck.entry_ids == [entry_id] and stuck.running_s >= CAPPED.claim_keep_max_s
        hung.freed.set()
        await eventually(lambda: _done(stage, 1))
        assert await stage.readiness() is None and stage.stuck() is None


async def test_a_handler_that_waits_on_purpose_is_not_stuck_and_keeps_its_entries(redis, redis_url):
    await ensure_groups(redis)
    await publish(redis, b'{"n":1}')
    seen_stuck, taken_away = [], []

    async def waits_for_room(batch: list[Delivery]) -> list[Failure]:
        # ingest waiting for enrichment to catch up: three caps long, saying so as it goes
        for _ in range(int(3 * CAPPED.claim_keep_max_s / 0.2)):
            waiting_on_purpose()
            await asyncio.sleep(0.2)  # the handler's own wait, not the test's
            seen_stuck.append(stage.stuck())
            claimed = await redis.xautoclaim(RAW, "enrich", "desk-2", min_idle_time=CAPPED.claim_idle_ms,
                                             justid=True)
            taken_away.extend(claimed)
        return []

    async with running_stage(redis_url, waits_for_room, settings=CAPPED) as stage:
        await eventually(lambda: _done(stage, 1), timeout=30)
    assert seen_stuck and not any(seen_stuck)
    assert taken_away == []  # its entry stayed claimed by it throughout
    assert await pending(redis) == 0 and stage.counts.done == 1


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


async def test_a_stuck_stage_stops_its_service_with_exit_code_1_and_loses_nothing(redis, redis_url):
    await ensure_groups(redis)
    hung = HungDesk()
    [entry_id] = await publish(redis, b'{"n":1}')
    settings = msgspec.structs.replace(CAPPED, redis_url=redis_url)
    stage = Stage(stage="enrich", stream=RAW, group="enrich", consumer="desk-1", handler=hung,
                  settings=settings)
    http = InLoopServer(HealthApp({"enrich": stage.readiness}, OperatorKeys(())), "127.0.0.1", free_port())
    service = Service("enrich", settings, http=http, redis=redis_client(settings), stages=(stage,))
    with capture_logs() as logs:
        code = await asyncio.wait_for(service.run(), timeout=30)
    assert code == STUCK_EXIT_CODE == 1
    [stuck] = [e for e in logs if e["event"] == "service.stage_stuck"]
    assert (stuck["stage"], stuck["entry_ids"]) == ("enrich", [entry_id])
    assert stuck["running_s"] >= settings.claim_keep_max_s
    assert [e["event"] for e in logs][-1] == "service.stopped"
    # Its entry was left pending: the next worker (a restarted one) does it.
    desk = Desk()
    async with running_stage(redis_url, desk, settings=CAPPED, consumer="desk-2") as other:
        await eventually(lambda: _done(other, 1), timeout=30)
    assert [d.entry_id for d in desk.seen] == [entry_id]
    assert await pending(redis) == 0


async def _seen(desk: Desk) -> bool:
    return bool(desk.seen)


async def _done(stage: Stage, n: int) -> bool:
    return stage.counts.done >= n


async def _batches(stage: Stage, n: int) -> bool:
    return stage.counts.batches >= n


async def _pending_to(redis, entry_id: str, consumer: str) -> bool:
    rows = await redis.xpending_range(RAW, "enrich", min=entry_id, max=entry_id, count=1)
    return bool(rows) and rows[0]["consumer"].decode() == consumer

