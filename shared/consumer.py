"""The at-least-once batch stage every Dateline consumer runs on (enrich, index, ingest's reader).

A stage reads a stream in a consumer group, hands a batch of :class:`Delivery` to a
handler, and settles each entry by what the handler reports:

- not failed: the handler already made its effect durable, so the entry is acked;
- failed, retryable: it stays pending and becomes claimable after ``retry_delay_ms``, by
  this worker or any other (see :func:`_schedule_retry`); its neighbours are unaffected;
- failed permanently, or for the ``max_deliveries``-th time: moved to ``dateline:dlq`` as a
  :class:`~shared.schemas.DeadLetter` and acked, in one atomic step.

One batch holds the stage's turn at a time. A batch that got it handles only its entries
still pending to this consumer (others may have taken them while it waited); one that
holds it past ``claim_keep_max_s`` makes the stage stuck (:meth:`Stage.stuck`), which
the runtime answers by restarting the process.

Every few seconds a stage trims its stream below the oldest entry some group still needs
(:func:`shared.streams.trim_processed`), so streams stay bounded without losing work.

Two FastStream subscribers share the group and the consumer name: one reads new entries
(XREADGROUP ``>``, ``max_records`` = the batch size), one claims entries left pending by a
dead worker or scheduled for retry (XAUTOCLAIM, ``min_idle_time`` = ``claim_idle_ms``).
Both use MANUAL acks: FastStream's automatic policies either lose a failed message or
leave it pending forever (see notes/faststream-redis.md). Groups are created by
:func:`shared.streams.ensure_groups` from id 0, never by FastStream at ``$``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Self

import msgspec
import redis.asyncio as aioredis
from msgspec import Struct
from prometheus_client import Counter, Histogram
from redis.exceptions import RedisError

from shared.logging import get_logger
from shared.schemas import DeadLetter
from shared.settings import Settings
from shared.streams import DATA_FIELD, DLQ, as_str, trim_processed
from shared.vocabulary import DeadLetterReason
from shared.waits import set_within

if TYPE_CHECKING:  # FastStream is imported when a stage subscribes, not before: a service
    # answers /healthz (and ingest accepts articles) without waiting for its import
    from faststream.redis import RedisBroker
    from faststream.redis.message import BatchStreamMessage
    from faststream.redis.message import RedisBatchStreamMessage as BatchMessage

log = get_logger("dateline.consumer")


class Delivery(Struct, frozen=True):
    """One stream entry handed to a handler."""

    entry_id: str
    body: bytes  # the entry's body field, untouched
    deliveries: int  # how many times it has been delivered, this one included


class Failure(Struct, frozen=True):
    """What a handler reports for an entry it could not process."""

    entry_id: str
    reason: DeadLetterReason
    error: str  # the message, for a person
    permanent: bool = False  # no retry can help (a bad payload): dead-letter now


BatchHandler = Callable[[list[Delivery]], Awaitable[list[Failure]]]


class BatchClock:
    """How long a batch has gone without a sign of life: its clock starts when it is taken
    (read or claimed), again when it gets its stage's turn (the wait behind another batch
    is not its own time), and again each time its handler says it waits on purpose
    (:func:`waiting_on_purpose`). Past ``claim_keep_max_s`` its entries are let go
    (:class:`ClaimKeeper`), and if it holds the turn its stage is stuck (:meth:`Stage.stuck`)."""

    __slots__ = ("entry_ids", "since")

    def __init__(self, entry_ids: list[str]) -> None:
        self.entry_ids = entry_ids
        self.restart()

    def restart(self) -> None:
        self.since = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.since


# The clock of the batch the current task is handling: a handler finds it without being
# told its stage.
_BATCH_IN_HAND: ContextVar[BatchClock | None] = ContextVar("dateline_batch_in_hand", default=None)


def waiting_on_purpose() -> None:
    """Said by a handler that waits for as long as it takes, on purpose (ingest waiting for
    room in the enrichment backlog), each time it looks again: its batch is not stuck."""
    if (clock := _BATCH_IN_HAND.get()) is not None:
        clock.restart()


class StuckBatch(Struct, frozen=True):
    """A batch that has held its stage's turn past ``claim_keep_max_s`` without a sign of
    life (a hung handler): the stage does nothing else while it holds it."""

    stage: str
    stream: str
    running_s: float
    max_s: float
    entry_ids: list[str]

    def describe(self) -> str:
        return (
            f"the {self.stage} stage is stuck: its batch on {self.stream} has run "
            f"{self.running_s:.0f} s (DATELINE_CLAIM_KEEP_MAX_S is {self.max_s:g}), "
            f"entries {', '.join(self.entry_ids)}"
        )


class StageCounts(Struct):
    """Totals since start, for readiness and status pages (Prometheus has the same)."""

    batches: int = 0
    done: int = 0
    retried: int = 0
    dead_lettered: int = 0


ENTRIES = Counter(
    "dateline_stage_entries_total",
    "Stream entries settled by a stage: done (acked), retried, dead_lettered.",
    ["stage", "outcome"],
)
BATCH_SIZE = Histogram(
    "dateline_stage_batch_size",
    "Entries per batch handed to a stage's handler.",
    ["stage"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
BATCH_SECONDS = Histogram(
    "dateline_stage_batch_seconds",
    "Time to handle and settle one batch.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# XACK then XADD to the DLQ, one entry at a time, atomically (a script runs as one
# transaction, so a crash cannot split the pair). Only the stage whose XACK actually
# removed the entry from the pending list writes the dead letter: two workers racing on a
# reclaimed entry cannot dead-letter it twice. KEYS: stream, dlq.
# ARGV: group, field, then (entry id, dead letter JSON) pairs.
_DEAD_LETTER_SCRIPT = """
local moved = 0
for i = 3, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved
"""

_encoder = msgspec.json.Encoder()
_TRIM_EVERY_S = 5.0


class Stage:
    """One consumer group's work on one stream, as one named consumer."""

    def __init__(
        self,
        *,
        stage: str,
        stream: str,
        group: str,
        consumer: str,
        handler: BatchHandler,
        settings: Settings,
        body_field: str = DATA_FIELD,
        batch_size: int | None = None,
    ) -> None:
        self.name = stage
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.counts = StageCounts()
        self.batch_size = batch_size or _default_batch_size(stage, settings)
        self.subscribers: list = []  # of the broker it reads through now (see subscribe)
        self.in_flight: set[str] = set()  # entry ids read and not yet settled
        self._handler = handler
        self._settings = settings
        self._body_field = body_field.encode()
        # One batch at a time: the read and claim subscribers share the handler, and
        # handlers (spaCy, the index writer) are not safe to run twice at once.
        self._turn = asyncio.Lock()
        self._in_hand: BatchClock | None = None  # the clock of the batch holding the turn
        self._log = log.bind(stage=stage, stream=stream, consumer=consumer)
        self._trimmed_at = 0.0

    def subscribe(self, broker: RedisBroker) -> None:
        """Read through ``broker`` from now on: its read and claim subscribers of this stage.

        The runtime gives each life of a service's stages a fresh broker (see
        :mod:`shared.runtime`); the stage, its counts and its handler stay.
        """
        from faststream.middlewares import AckPolicy
        from faststream.redis import StreamSub

        read = StreamSub(self.stream, group=self.group, consumer=self.consumer, batch=True,
                         max_records=self.batch_size)
        # FastStream's claim subscriber claims one entry per XAUTOCLAIM: fine for the rare
        # crash or retry, and it keeps FastStream's lifecycle (start, graceful stop) for both.
        claim = StreamSub(self.stream, group=self.group, consumer=self.consumer, batch=True,
                          min_idle_time=self._settings.claim_idle_ms)
        self.subscribers = []
        for sub, claimed in ((read, False), (claim, True)):
            subscriber = broker.subscriber(
                stream=sub, ack_policy=AckPolicy.MANUAL, no_reply=True, parser=_unparsed_batch
            )
            subscriber(_batch_handler(self, claimed=claimed))
            self.subscribers.append(subscriber)

    @property
    def running(self) -> bool:
        return bool(self.subscribers) and all(s.running for s in self.subscribers)

    def stuck(self) -> StuckBatch | None:
        """The batch holding the turn, if it has run past ``claim_keep_max_s``."""
        clock, max_s = self._in_hand, self._settings.claim_keep_max_s
        if clock is None or (running_s := clock.seconds()) <= max_s:
            return None
        return StuckBatch(stage=self.name, stream=self.stream, running_s=round(running_s, 1),
                          max_s=max_s, entry_ids=clock.entry_ids)

    async def readiness(self) -> str | None:
        """A readiness check for :func:`shared.http.build_app`."""
        if stuck := self.stuck():
            return stuck.describe()
        if not self.running:
            return f"the {self.name} stage's subscribers on {self.stream} are not running"
        return None

    async def process(self, redis: aioredis.Redis, batch: BatchStreamMessage) -> None:
        """Handle one batch read or claimed from the stream, then settle every entry of it
        still pending to this consumer."""
        ids = [as_str(i) for i in batch["message_ids"]]
        if not ids:
            return
        started = time.perf_counter()
        self.in_flight.update(ids)
        try:
            await self._process(redis, ids, batch["data"])
        finally:
            self.in_flight.difference_update(ids)
        await self._trim(redis)
        self.counts.batches += 1
        BATCH_SIZE.labels(self.name).observe(len(ids))
        BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)

    async def _process(
        self, redis: aioredis.Redis, ids: list[str], data: list[dict[bytes, bytes]]
    ) -> None:
        clock = BatchClock(ids)
        async with ClaimKeeper(self, redis, clock) as keeper, self._turn:
            clock.restart()
            self._in_hand, in_hand = clock, _BATCH_IN_HAND.set(clock)
            try:
                await self._work(redis, keeper, ids, data)
            finally:
                self._in_hand = None
                _BATCH_IN_HAND.reset(in_hand)

    async def _work(
        self, redis: aioredis.Redis, keeper: ClaimKeeper, ids: list[str],
        data: list[dict[bytes, bytes]],
    ) -> None:
        # Its entries may have changed hands while it waited for the turn (let go after
        # claim_keep_max_s and claimed by another consumer, or settled): only those still
        # pending to this consumer are its to do.
        attempts = await self._still_ours(redis, ids)
        entries = [(i, fields) for i, fields in zip(ids, data, strict=True) if i in attempts]
        opened = [self._unpack(i, fields, attempts[i]) for i, fields in entries]
        deliveries = [d for d in opened if isinstance(d, Delivery)]
        unreadable = [f for f in opened if isinstance(f, Failure)]
        failures = unreadable + (await self._handle(deliveries) if deliveries else [])
        await keeper.stop()  # before settling: a retry's back-dated idle time must stay
        ours, fields = [i for i, _ in entries], [f for _, f in entries]
        await self._settle(redis, ours, fields, attempts, failures)

    # -- the steps of one batch ------------------------------------------------------

    async def _still_ours(self, redis: aioredis.Redis, ids: list[str]) -> dict[str, int]:
        """The delivery count of each entry still pending to this consumer (XAUTOCLAIM does
        not return them); the others are logged and left: an entry pending to another
        consumer is that one's, an entry pending to none is settled."""
        found = await redis.eval(_OWNERS_SCRIPT, 1, self.stream, self.group, *ids)
        owners = {i: (as_str(found[2 * n]), int(found[2 * n + 1])) for n, i in enumerate(ids)}
        attempts = {i: count for i, (owner, count) in owners.items() if owner == self.consumer}
        if gone := [i for i in ids if i not in attempts]:
            self._log.warning("batch.entries_gone", entry_ids=gone,
                              owners={i: owners[i][0] for i in gone if owners[i][0]})
        return attempts

    def _unpack(self, entry_id: str, fields: dict[bytes, bytes], count: int) -> Delivery | Failure:
        body = fields.get(self._body_field)
        if body is None:
            names = ", ".join(sorted(as_str(k) for k in fields)) or "none"
            return Failure(
                entry_id=entry_id,
                reason="missing_field",
                error=f"entry has no `{self._body_field.decode()}` field (fields: {names})",
                permanent=True,
            )
        if count > self._settings.max_deliveries:
            # Delivered this often yet never settled: it kills or stalls whoever takes it
            # (a worker crash, a timeout), so no handler will ever report it failed.
            return Failure(
                entry_id=entry_id,
                reason="delivery_limit",
                error=f"delivered {count} times without being settled: "
                "it may crash or stall the worker that takes it",
                permanent=True,
            )
        return Delivery(entry_id=entry_id, body=body, deliveries=count)

    async def _handle(self, deliveries: list[Delivery]) -> list[Failure]:
        try:
            return await self._handler(deliveries)
        except Exception as exc:  # noqa: BLE001 - by contract, raising fails the whole batch
            self._log.exception("batch.failed", entries=len(deliveries))
            error = f"{type(exc).__name__}: {exc}"
            return [
                Failure(entry_id=d.entry_id, reason="handler_error", error=error)
                for d in deliveries
            ]

    async def _settle(
        self,
        redis: aioredis.Redis,
        ids: list[str],
        entries: list[dict[bytes, bytes]],
        attempts: dict[str, int],
        failures: list[Failure],
    ) -> None:
        failed = {f.entry_id: f for f in failures if f.entry_id in attempts}
        done = [i for i in ids if i not in failed]
        final = {
            i
            for i, f in failed.items()
            if f.permanent or attempts[i] >= self._settings.max_deliveries
        }
        dead = [f for i, f in failed.items() if i in final]
        retry = [f for i, f in failed.items() if i not in final]
        if done:
            await redis.xack(self.stream, self.group, *done)
            self._count("done", len(done))
        if dead:
            payloads = {i: self._payload(e) for i, e in zip(ids, entries, strict=True)}
            await self._dead_letter(redis, dead, attempts, payloads)
        if retry:
            await self._schedule_retry(redis, retry, attempts)

    def _payload(self, fields: dict[bytes, bytes]) -> str:
        # The body, untouched; an entry without one keeps all its fields, as JSON.
        body = fields.get(self._body_field)
        if body is None:
            body = _encoder.encode({as_str(k): as_str(v) for k, v in fields.items()})
        return body.decode("utf-8", "replace")

    async def _dead_letter(
        self,
        redis: aioredis.Redis,
        dead: list[Failure],
        attempts: dict[str, int],
        payloads: dict[str, str],
    ) -> None:
        now = datetime.now(UTC)
        args: list[str | bytes] = [self.group, DATA_FIELD]
        for failure in dead:
            letter = DeadLetter(
                stage=self.name,  # type: ignore[arg-type]
                reason=failure.reason,
                error=failure.error,
                attempts=attempts[failure.entry_id],
                stream=self.stream,
                entry_id=failure.entry_id,
                payload=payloads[failure.entry_id],
                failed_at=now,
            )
            args += [failure.entry_id, _encoder.encode(letter)]
        moved = await redis.eval(_DEAD_LETTER_SCRIPT, 2, self.stream, DLQ, *args)
        self._count("dead_lettered", int(moved))
        for failure in dead:
            self._log.error("entry.dead_lettered", **_described(failure, attempts))

    async def _schedule_retry(
        self, redis: aioredis.Redis, retry: list[Failure], attempts: dict[str, int]
    ) -> None:
        # The entry stays pending (nothing is lost if we die now). XCLAIM to ourselves
        # with IDLE back-dated makes it look idle for claim_idle_ms - retry_delay_ms, so
        # the claim subscribers (any worker's) pick it up after retry_delay_ms instead of
        # a full claim_idle_ms. JUSTID leaves the delivery count alone: only real
        # deliveries count towards max_deliveries.
        idle = max(0, self._settings.claim_idle_ms - self._settings.retry_delay_ms)
        await redis.xclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=0,
            message_ids=[f.entry_id for f in retry],
            idle=idle,
            justid=True,
        )
        self._count("retried", len(retry))
        for failure in retry:
            self._log.warning(
                "entry.failed",
                **_described(failure, attempts),
                retry_in_ms=self._settings.retry_delay_ms,
            )

    async def _trim(self, redis: aioredis.Redis) -> None:
        # Keeps the stream bounded: drops only entries every group reading it has acked.
        if time.monotonic() - self._trimmed_at < _TRIM_EVERY_S:
            return
        self._trimmed_at = time.monotonic()
        dropped = await trim_processed(redis, self.stream)
        if dropped:
            self._log.debug("stream.trimmed", entries=dropped)

    def _count(self, outcome: str, n: int) -> None:
        setattr(self.counts, outcome, getattr(self.counts, outcome) + n)
        ENTRIES.labels(self.name, outcome).inc(n)


# Who each entry is pending to and how often it was delivered: ('', 0) once it is pending
# to no one (acked). KEYS: stream. ARGV: group, ids. One round trip for the whole batch.
_OWNERS_SCRIPT = """
local found = {}
for i = 2, #ARGV do
  local entry = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if entry then
    found[#found + 1] = entry[2]
    found[#found + 1] = entry[4]
  else
    found[#found + 1] = ''
    found[#found + 1] = 0
  end
end
return found
"""

# XCLAIM ... JUSTID to the consumer that already holds each entry: its idle time starts
# again from 0 and its delivery count stays. An entry another consumer has taken since
# (a claim that came first) is left to it. KEYS: stream. ARGV: group, consumer, ids.
_KEEP_CLAIMED_SCRIPT = """
local kept = 0
for i = 3, #ARGV do
  local entry = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if entry and entry[2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    kept = kept + 1
  end
end
return kept
"""
# Refreshed this many times per claim_idle_ms: two refreshes may be late before a claim.
_KEEPS_PER_CLAIM_IDLE = 3


class ClaimKeeper:
    """Keeps a batch's entries claimed by this consumer while it waits its turn and is
    handled: a worker busy on a long article is not dead, and others' XAUTOCLAIM
    (``min_idle_time`` = ``claim_idle_ms``) must not take its entries and do the work a
    second time. A worker that dies stops refreshing, and its entries are claimed after
    ``claim_idle_ms`` as before.

    It keeps them for ``claim_keep_max_s`` at most on the batch's :class:`BatchClock`
    (while it waits for the turn, and again once it holds it), far longer than a healthy
    batch takes: a handler hung past it (a bug, a deadlock) would otherwise keep its
    entries, and those of the batch waiting behind it, from every worker for as long as the
    process lives. They are let go (``batch.claim_released``) and claimed by another worker
    ``claim_idle_ms`` later: done twice at worst, and every effect is an upsert by id. The
    stage is then stuck (:meth:`Stage.stuck`), and the runtime ends the process for its
    supervisor to start afresh (:mod:`shared.runtime`).

    It is told to stop, never cancelled: on Python 3.11 redis-py loses a cancellation
    that lands while a command (or its connection's set-up) is being sent, as
    ``asyncio.wait_for`` there returns the result instead. A cancelled keeper then
    refreshed on, and the stop waiting for it never returned: the batch held the stage's
    turn for ever, and the batch waiting for that turn kept its entries from every other
    worker for ever (an article lost, seen in the e2e kill test)."""

    def __init__(self, stage: Stage, redis: aioredis.Redis, clock: BatchClock) -> None:
        self._stage, self._redis, self._clock = stage, redis, clock
        self._ids = clock.entry_ids
        self._every_s = stage._settings.claim_idle_ms / 1000 / _KEEPS_PER_CLAIM_IDLE
        self._max_s = stage._settings.claim_keep_max_s
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._keep(), name=f"{self._stage.name}-claim-keeper")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Return once no refresh can follow: the one under way, if any, is over."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.wait([self._task])
            self._task = None

    async def _keep(self) -> None:
        stage = self._stage
        while not await set_within(self._stopping, self._every_s):
            if (kept_s := self._clock.seconds()) >= self._max_s:
                stage._log.error("batch.claim_released", entry_ids=self._ids,
                                 kept_s=round(kept_s, 1), max_s=self._max_s)
                return
            try:
                kept = await self._redis.eval(
                    _KEEP_CLAIMED_SCRIPT, 1, stage.stream, stage.group, stage.consumer, *self._ids
                )
            except RedisError as exc:  # the next refresh may get through; the claim stands
                stage._log.warning("batch.claim_keep_failed", entry_ids=self._ids, error=repr(exc))
                continue
            stage._log.debug("batch.claim_kept", entry_ids=self._ids, kept=int(kept))


def _batch_handler(stage: Stage, *, claimed: bool) -> Callable[..., Awaitable[None]]:
    from faststream.redis.annotations import Redis, RedisBatchStreamMessage

    async def on_batch(message, redis) -> None:
        await stage.process(redis, message.raw_message)

    # Real types, not strings: FastStream injects the message and its Redis client by them,
    # and these names are not this module's globals (imported here, when a stage subscribes).
    on_batch.__annotations__ = {"message": RedisBatchStreamMessage, "redis": Redis, "return": None}

    on_batch.__name__ = f"{stage.name}_{'claimed' if claimed else 'new'}_entries"
    return on_batch


async def _unparsed_batch(message: BatchStreamMessage) -> BatchMessage:
    # FastStream's batch parser JSON-decodes every entry and fails the whole batch on one
    # bad body; the stage hands raw bodies to its handler, which judges each on its own.
    from faststream.redis.message import FAKE_CONSUMER
    from faststream.redis.message import RedisBatchStreamMessage as BatchMessage

    return BatchMessage(raw_message=message, body=b"", consumer=FAKE_CONSUMER, group=None)


def _default_batch_size(stage: str, settings: Settings) -> int:
    return {"enrich": settings.enrich_batch_size, "index": settings.index_batch_size}.get(
        stage, 100
    )


def _described(failure: Failure, attempts: dict[str, int]) -> dict[str, object]:
    """The log fields of a failed entry, the same for a retry and a dead letter."""
    return {
        "entry_id": failure.entry_id,
        "reason": failure.reason,
        "error": failure.error,
        "attempts": attempts[failure.entry_id],
    }
