"""The at-least-once stage on a real redis-server: acks, retries, claims, dead letters."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import msgspec
import pytest

from shared.broker import build_broker
from shared.consumer import Delivery, Failure, Stage
from shared.schemas import DeadLetter
from shared.settings import Settings
from shared.streams import DATA_FIELD, DLQ, RAW, ensure_groups
from tests.integration.polling import eventually

FAST = Settings(max_deliveries=3, claim_idle_ms=600, retry_delay_ms=50, graceful_timeout_s=5)


class Desk:
    """A handler that records what it saw: "poison" bodies fail, "garbled" ones for good."""

    def __init__(self, *, raise_first: bool = False) -> None:
        self.seen: list[Delivery] = []
        self.raise_first = raise_first
        self.fixed = False  # after a "fix", poison stories print too

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        self.seen += batch
        if self.raise_first and all(d.deliveries == 1 for d in batch):
            raise RuntimeError("the wire went down")
        poison = () if self.fixed else (b"poison",)
        return [self._judge(d) for d in batch if any(w in d.body for w in (*poison, b"garbled"))]

    @staticmethod
    def _judge(d: Delivery) -> Failure:
        permanent = b"garbled" in d.body
        return Failure(
            entry_id=d.entry_id, reason="bad_story", error="cannot print", permanent=permanent
        )

    def deliveries_of(self, entry_id: str) -> list[int]:
        return [d.deliveries for d in self.seen if d.entry_id == entry_id]


@asynccontextmanager
async def running_stage(redis_url, handler, settings=FAST, consumer="desk-1", batch_size=10):
    broker = build_broker(redis_url, graceful_timeout=settings.graceful_timeout_s)
    stage = Stage(
        stage="enrich",
        stream=RAW,
        group="enrich",
        consumer=consumer,
        handler=handler,
        settings=settings,
        batch_size=batch_size,
    )
    stage.subscribe(broker)
    async with broker:
        await broker.start()
        yield stage


async def publish(redis, *bodies: bytes) -> list[str]:
    return [(await redis.xadd(RAW, {DATA_FIELD: b})).decode() for b in bodies]


async def pending(redis) -> int:
    return (await redis.xpending(RAW, "enrich"))["pending"]


async def dead_letters(redis) -> list[DeadLetter]:
    entries = await redis.xrange(DLQ)
    return [msgspec.json.decode(f[DATA_FIELD.encode()], type=DeadLetter) for _, f in entries]


@pytest.fixture
async def groups(redis):
    await ensure_groups(redis)
    return redis


async def test_a_handled_batch_is_acked_and_each_entry_delivered_once(groups, redis_url):
    redis, desk = groups, Desk()
    ids = await publish(redis, b'{"n":1}', b'{"n":2}', b'{"n":3}')
    async with running_stage(redis_url, desk) as stage:
        await eventually(lambda: _acked(stage, n=3))
        assert await pending(redis) == 0
    assert sorted(d.entry_id for d in desk.seen) == sorted(ids)
    assert {d.deliveries for d in desk.seen} == {1}
    assert desk.seen[0].body == b'{"n":1}'


async def test_a_poison_entry_is_retried_then_dead_lettered_while_neighbours_flow(
    groups, redis_url
):
    redis, desk = groups, Desk()
    before, poison, after = await publish(redis, b'{"n":1}', b'{"poison":true}', b'{"n":3}')
    async with running_stage(redis_url, desk) as stage:
        [letter] = await eventually(lambda: dead_letters(redis))
    assert stage.counts.done == 2 and stage.counts.dead_lettered == 1  # stopped: all settled
    assert stage.counts.retried == 2
    assert desk.deliveries_of(before) == [1] and desk.deliveries_of(after) == [1]
    assert desk.deliveries_of(poison) == [1, 2, 3]
    assert letter.entry_id == poison and letter.attempts == 3
    assert (letter.stage, letter.stream, letter.reason) == ("enrich", RAW, "bad_story")
    assert letter.payload == '{"poison":true}'
    assert await pending(redis) == 0


async def test_a_permanent_failure_is_dead_lettered_at_once(groups, redis_url):
    redis, desk = groups, Desk()
    [garbled] = await publish(redis, b'{"garbled":1}')
    async with running_stage(redis_url, desk):
        [letter] = await eventually(lambda: dead_letters(redis))
    assert desk.deliveries_of(garbled) == [1]
    assert letter.attempts == 1 and letter.error == "cannot print"
    assert await pending(redis) == 0


async def test_an_entry_without_the_body_field_is_dead_lettered_naming_its_fields(
    groups, redis_url
):
    redis, desk = groups, Desk()
    stray = (await redis.xadd(RAW, {"article": b"{}"})).decode()
    [good] = await publish(redis, b'{"n":1}')
    async with running_stage(redis_url, desk):
        [letter] = await eventually(lambda: dead_letters(redis))
        await eventually(lambda: _none_pending(redis))
    assert [d.entry_id for d in desk.seen] == [good]
    assert letter.entry_id == stray and letter.reason == "missing_field"
    assert "__data__" in letter.error and "article" in letter.error
    assert letter.payload == '{"article":"{}"}'


async def test_a_handler_that_raises_fails_the_batch_and_every_entry_is_retried(groups, redis_url):
    redis, desk = groups, Desk(raise_first=True)
    ids = await publish(redis, b'{"n":1}', b'{"n":2}')
    async with running_stage(redis_url, desk) as stage:
        await eventually(lambda: _acked(stage, n=2))
    for entry_id in ids:
        assert desk.deliveries_of(entry_id) == [1, 2]
    assert await dead_letters(redis) == []


async def test_entries_left_pending_by_a_dead_consumer_are_claimed(groups, redis_url):
    redis, desk = groups, Desk()
    ids = await publish(redis, b'{"n":1}', b'{"n":2}')
    # A consumer that read and then died without acking.
    await redis.xreadgroup("enrich", "ghost", {RAW: ">"}, count=10)
    async with running_stage(redis_url, desk) as stage:
        await eventually(lambda: _acked(stage, n=2))
    assert sorted(d.entry_id for d in desk.seen) == sorted(ids)
    assert {d.deliveries for d in desk.seen} == {2}
    assert await pending(redis) == 0


class SlowDesk(Desk):
    """A handler busy for several claim idle times on every batch (a long article)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        self.seen += batch
        await asyncio.sleep(self.seconds)  # the work itself, not a wait for a condition
        return []


async def test_a_batch_slower_than_the_claim_idle_time_stays_with_its_busy_worker(
    groups, redis_url
):
    redis, desk = groups, SlowDesk(seconds=4 * FAST.claim_idle_ms / 1000)
    [entry_id] = await publish(redis, b'{"n":1}')
    async with (
        running_stage(redis_url, desk) as first,
        running_stage(redis_url, desk, consumer="desk-2") as second,
    ):
        await eventually(lambda: _acked(first, second, n=1))
        await eventually(lambda: _none_pending(redis))
    assert desk.deliveries_of(entry_id) == [1]  # neither the other worker nor a retry took it
    assert first.counts.done + second.counts.done == 1


async def test_a_dead_workers_entries_are_claimed_while_a_live_one_keeps_its_own(
    groups, redis_url
):
    redis, desk = groups, SlowDesk(seconds=3 * FAST.claim_idle_ms / 1000)
    orphan, busy = await publish(redis, b'{"n":1}', b'{"n":2}')
    await redis.xreadgroup("enrich", "ghost", {RAW: ">"}, count=1)  # read, then died
    async with running_stage(redis_url, desk) as stage:
        await eventually(lambda: _acked(stage, n=2), timeout=20)
    assert desk.deliveries_of(orphan) == [2]
    assert desk.deliveries_of(busy) == [1]


class HungDesk(Desk):
    """A handler that hangs on its first batch (a bug, a deadlock) until the test ends."""

    def __init__(self) -> None:
        super().__init__()
        self.freed = asyncio.Event()

    async def __call__(self, batch: list[Delivery]) -> list[Failure]:
        self.seen += batch
        await self.freed.wait()
        return []


async def test_a_hung_workers_batch_is_let_go_after_the_keep_cap_and_done_by_another(
    groups, redis_url
):
    redis, hung, desk = groups, HungDesk(), Desk()
    capped = msgspec.structs.replace(FAST, claim_keep_max_s=3 * FAST.claim_idle_ms / 1000)
    [entry_id] = await publish(redis, b'{"n":1}')
    async with running_stage(redis_url, hung, settings=capped) as stuck:
        await eventually(lambda: _seen(hung))
        async with running_stage(redis_url, desk, settings=capped, consumer="desk-2") as other:
            await eventually(lambda: _acked(other, n=1))
            await eventually(lambda: _none_pending(redis))
        hung.freed.set()  # the stuck batch ends at last; its entry is already done
        await eventually(lambda: _acked(stuck, n=1))
    # The hung worker's own claim subscriber may also take it back once let go (then it
    # waits for the stuck turn and is let go again): done twice at worst, never lost.
    assert hung.deliveries_of(entry_id)[0] == 1
    assert desk.deliveries_of(entry_id) and min(desk.deliveries_of(entry_id)) >= 2


async def test_an_entry_that_keeps_killing_its_workers_is_dead_lettered_unhandled(
    groups, redis_url
):
    redis, desk = groups, Desk()
    [killer] = await publish(redis, b'{"n":1}')
    # Delivered three times already, and each worker that took it died before settling it.
    await redis.xreadgroup("enrich", "ghost", {RAW: ">"}, count=10)
    for _ in range(2):
        await redis.xclaim(RAW, "enrich", "ghost", min_idle_time=0, message_ids=[killer])
    async with running_stage(redis_url, desk):
        [letter] = await eventually(lambda: dead_letters(redis))
    assert desk.seen == []
    assert (letter.reason, letter.attempts) == ("delivery_limit", 4)
    assert "delivered 4 times without being settled" in letter.error


async def test_a_retry_does_not_wait_for_the_claim_idle_time(groups, redis_url):
    redis, desk = groups, Desk(raise_first=True)
    slow_claims = msgspec.structs.replace(FAST, claim_idle_ms=60_000, retry_delay_ms=100)
    [entry_id] = await publish(redis, b'{"n":1}')
    async with running_stage(redis_url, desk, settings=slow_claims) as stage:
        await eventually(lambda: _acked(stage, n=1), timeout=10)
    assert desk.deliveries_of(entry_id) == [1, 2]


async def test_dead_lettering_twice_by_racing_workers_writes_one_letter(groups, redis_url):
    # desk-1 is handling the entry when desk-2 claims it (desk-1's claims were let go) and
    # dead-letters it first; desk-1, settling after, must not write a second letter.
    redis = groups
    [entry_id] = await publish(redis, b'{"garbled":1}')
    await redis.xreadgroup("enrich", "desk-1", {RAW: ">"}, count=10)
    batch = {"message_ids": [entry_id.encode()], "data": [{DATA_FIELD.encode(): b'{"garbled":1}'}]}
    second = _stage(Desk(), consumer="desk-2")

    class Overtaken(Desk):
        async def __call__(self, deliveries: list[Delivery]) -> list[Failure]:
            await redis.xclaim(RAW, "enrich", "desk-2", min_idle_time=0, message_ids=[entry_id])
            await second.process(redis, batch)
            return await super().__call__(deliveries)

    first = _stage(Overtaken(), consumer="desk-1")
    await first.process(redis, batch)
    assert first.counts.dead_lettered == 0 and second.counts.dead_lettered == 1
    assert len(await dead_letters(redis)) == 1


def _stage(handler, consumer: str) -> Stage:
    return Stage(stage="enrich", stream=RAW, group="enrich", consumer=consumer, handler=handler,
                 settings=FAST)


async def test_acked_entries_are_trimmed_and_a_pending_one_is_kept(groups, redis_url):
    redis, desk = groups, Desk()
    no_retry_yet = msgspec.structs.replace(FAST, claim_idle_ms=60_000, retry_delay_ms=60_000)
    _, poison, after = await publish(redis, b'{"n":1}', b'{"poison":1}', b'{"n":3}')
    async with running_stage(redis_url, desk, settings=no_retry_yet) as stage:
        await eventually(lambda: _acked(stage, n=2))
    assert [i.decode() for i, _ in await redis.xrange(RAW)] == [poison, after]


async def test_readiness_follows_the_subscribers(groups, redis_url):
    async with running_stage(redis_url, Desk()) as stage:
        assert stage.running and await stage.readiness() is None
    assert not stage.running
    assert "not running" in await stage.readiness()


async def _acked(*stages, n: int) -> bool:
    return sum(stage.counts.done for stage in stages) >= n


async def _seen(desk: Desk) -> bool:
    return bool(desk.seen)


async def _none_pending(redis) -> bool:
    return await pending(redis) == 0
