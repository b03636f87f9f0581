"""Standing queries: every open stream's match, checked against each commit, its new
matches pushed as server-sent events that carry a resumable position.

One :class:`LiveHub` per process, in any process that reads the index (the writer or a
read-only search process): it needs no word from the indexer, only the index.

- **Positions** are the store's change numbers (``seq``, microseconds of the change): an
  event's ``id`` is its article's, and a stream's position says every change up to it has
  been checked. Resuming from ``Last-Event-ID`` is a range on ``seq`` in the index itself,
  so nothing is missed within the retention window (``DATELINE_STREAM_RETENTION_S``):
  changes older than the window are not replayed. A position that would need them (or
  one this index never reached) gets an ``expired`` event and the stream goes on from now;
  a quiet one (nothing changed since, however long ago) just resumes.
  An article changed twice while a client was away comes once, as it is now.
- **A tick** (in a worker thread) takes one snapshot and, for each stream behind its newest
  position, asks the index for that stream's matches after its own position
  (:meth:`~services.index.port.ArticleSearch.changes`); many streams at one position are
  matched at once (their few changes read once). A new stream, a resuming one and a slow
  one are all just "behind". Ticks run every :data:`POLL_S` (only for streams behind
  while nothing was committed); a long one rests :data:`REST` times its CPU time: matching
  takes at most a quarter of the process's time, and with many streams the events wait (a tick covers every commit since
  the last) rather than the indexer.
- **What a tick found for a stream leaves as one write** (or a few, each at most
  :data:`WRITE_BYTES`): each article's event is encoded once and its bytes shared by
  every stream it matches; the stream's response
  (:meth:`LiveHub.serve`) writes them to the connection itself, woken once per tick by
  one future (no streaming response, queue or timer per message: with 1,000 streams
  those cost the indexer more than matching).
- **What waits for a client is bounded**: a client is sent no more than it reads; a slow
  one keeps its position and catches up from the index, or gets ``expired`` once its
  position leaves the retention window. One that takes no write for ``stall_s`` stopped
  reading: its connection is dropped (``stream.cut_off``), and with it what the server
  held for it; it resumes with ``Last-Event-ID``.
- Heartbeats are SSE comments with the stream's position as ``id``, so proxies keep the
  connection open and a quiet query's resume point moves on too; one look over the
  streams every quarter of ``heartbeat_s`` finds the quiet ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter as Tally
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.types import Receive, Send
from msgspec import Struct
from prometheus_client import Counter, Gauge, Histogram

from services.index.domain import Match
from services.index.port import ArticleSearch
from shared.logging import get_logger
from shared.settings import Settings

log = get_logger("dateline.index")

POLL_S = 0.025  # how often a tick looks for commits while streams are open
REST = 3.0  # after a long tick, this many times its CPU time before the next: matching takes
LONG_TICK_S = 0.05  # at most a quarter of the process's time, however many streams are open
# (CPU time, not the clock's: on a busy machine a tick waits for the CPU, and resting for
# that wait made the next tick cover more commits, and last longer still)
# events per stream per tick: a broad replay is paced, not dumped. Above the changes a
# busy tick covers (~50 at 1,000 articles/s): a stream matching most of them keeps up with
# the others instead of falling behind alone, where it is matched by searching the index
TICK_LIMIT = 128
QUEUE_EVENTS = 128  # events waiting for one client, at most (their bytes shared among streams)
# One write holds at most QUEUE_EVENTS events and this many bytes (one event at least,
# however long): the write in flight is the stream's own copy, held until its client takes
# it (128 articles of 20 KB were 2.5 MB a stalled stream held until it was cut off).
WRITE_BYTES = 256 * 1024
RETRY_MS = 2_000  # what an EventSource waits before it reconnects
UNSTARTED_S = 30.0  # a stream whose response has not begun by then is dropped

STREAMS_OPEN = Gauge("dateline_streams_open", "Open event streams (GET /v1/stream).")
STREAM_EVENTS = Counter("dateline_stream_events_total", "Articles pushed to open streams.")
STREAMS_CUT_OFF = Counter("dateline_streams_cut_off_total", "Streams dropped: their client stopped reading.")
MATCH_SECONDS = Histogram(
    "dateline_stream_match_seconds",
    "One tick: checking every stream that is behind against one snapshot.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
DELAY_SECONDS = Histogram(
    "dateline_stream_delay_seconds",
    "Per write to a stream: seconds from the change of its oldest article in the index to the write.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60),
)


class StreamLimits(Struct, frozen=True, kw_only=True):
    per_caller: int  # open streams per search key (or client address while search is open)
    total: int  # open streams in this process
    retention_s: float  # how far back a Last-Event-ID may resume
    heartbeat_s: float  # a comment this often when nothing else is sent
    stall_s: float = 60.0  # a client that takes no write for this long is cut off


class StreamRefused(Exception):
    """No stream can be opened now; ``status`` and ``error`` are the HTTP answer's."""

    status, error = 503, "unavailable"


class TooManyStreams(StreamRefused):
    """The caller (or the process) has as many streams open as it may."""

    status, error = 429, "too_many_streams"


class ShuttingDown(StreamRefused):
    """The process is stopping: a stream is for another process (or this one, restarted)."""

    status, error = 503, "unavailable"


class Subscription:
    """One open stream: its query, its caller, its position and what waits to be sent.

    Its response waits on :attr:`wake` (one future, made only while nothing waits) and
    sends what :attr:`pending` holds in one write (a few when over WRITE_BYTES): a tick
    wakes each stream it found something for once, and nothing else runs per stream."""

    __slots__ = (
        "caller",
        "closed",
        "cut_off",
        "opened_at",
        "pending",
        "pending_bytes",
        "pending_seqs",
        "position",
        "queued",
        "quiet_since",
        "sent",
        "standing",
        "started",
        "wake",
        "writing_since",
    )

    def __init__(self, standing: object, caller: str, position: int) -> None:
        self.opened_at = self.quiet_since = time.monotonic()
        self.started = False  # its response began: its end will unsubscribe it
        self.standing = standing
        self.caller = caller
        self.position = position
        self.pending: list[bytes] = []  # messages not yet written
        self.pending_seqs: list[int] = []  # each one's article position (0: not an article)
        self.pending_bytes = 0
        self.queued = 0  # article events waiting: at most QUEUE_EVENTS
        self.wake: asyncio.Future[None] | None = None
        self.closed = False
        self.sent = 0
        self.writing_since = 0.0  # when the write in flight began; 0: none is
        self.cut_off: Callable[[], None] | None = None  # drops the connection (the server's)

    @property
    def room(self) -> int:
        return QUEUE_EVENTS - self.queued

    def push(self, messages: list[bytes], seqs: list[int] = []) -> None:  # noqa: B006 (never changed)
        """``messages``, each an article's event at the position of ``seqs`` (given), or
        none (no ``seqs``: a heartbeat or ``expired``)."""
        self.pending += messages
        self.pending_seqs += seqs or [0] * len(messages)
        self.pending_bytes += sum(map(len, messages))
        self.queued += len(seqs)
        self.awaken()

    def end(self) -> None:
        self.closed = True
        self.awaken()

    def awaken(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def take(self) -> tuple[bytes, list[int]]:
        """The first messages waiting, in order, as one write (at most QUEUE_EVENTS of
        them and WRITE_BYTES, one at least), and the positions of the articles in it."""
        if self.pending_bytes <= WRITE_BYTES and len(self.pending) <= QUEUE_EVENTS:
            taken, seqs, size = self.pending, self.pending_seqs, self.pending_bytes
            self.pending, self.pending_seqs = [], []
        else:
            count, size = _fitting(self.pending)
            taken, self.pending = self.pending[:count], self.pending[count:]
            seqs, self.pending_seqs = self.pending_seqs[:count], self.pending_seqs[count:]
        if 0 in seqs:  # a heartbeat or expired among them
            seqs = [seq for seq in seqs if seq]
        self.pending_bytes -= size
        self.queued -= len(seqs)
        return (taken[0] if len(taken) == 1 else b"".join(taken)), seqs


def _fitting(messages: list[bytes]) -> tuple[int, int]:
    """How many of the first ``messages`` fill one write, and their bytes."""
    count = size = 0
    for message in messages[:QUEUE_EVENTS]:
        if count and size + len(message) > WRITE_BYTES:
            break
        count, size = count + 1, size + len(message)
    return count, size


class _Checked(Struct):
    """What one tick found for one stream: events, and the position they bring it to."""

    subscription: Any
    was: int
    position: int
    seqs: list[int]  # of the articles in message (an expired event has none)
    messages: list[bytes]  # the events (each article's bytes shared by the streams it matches)


class LiveHub:
    def __init__(
        self, store: ArticleSearch, limits: StreamLimits, *, poll_s: float = POLL_S
    ) -> None:
        self._store = store
        self.limits = limits
        self._poll_s = poll_s
        self._open: set[Subscription] = set()
        # streams a tick must look at while nothing was committed: new, resuming, paced by
        # TICK_LIMIT or slow (every stream is looked at after a commit)
        self._lagging: set[Subscription] = set()
        self._unstarted: set[Subscription] = set()  # responses not begun yet
        self._callers: Tally[str] = Tally()
        self._ticking: asyncio.Task | None = None
        self._mark: object | None = None  # the last snapshot's, to tell whether it changed
        # the commit stamp the last tick checked and its newest position
        self._seen: tuple[bytes, int] | None = None
        self._worked = 0.0  # the last tick's CPU seconds (its worker thread's)
        self._wake = asyncio.Event()
        self._next_beat = 0.0  # when to look for quiet streams next
        self._closed = False

    # -- opening and closing ---------------------------------------------------------

    async def subscribe(
        self, match: Match, caller: str, last_event_id: int | None
    ) -> tuple[Subscription, bytes]:
        """A stream for ``match`` and its first message (``ready``, and ``expired`` when
        ``last_event_id`` cannot be resumed). Raises :class:`StreamRefused`, or
        :class:`~services.index.domain.BadQuery` for query text that does not parse."""
        self._admit(caller)
        self._callers[caller] += 1  # held while the query compiles in a thread
        try:
            standing, position, expired = await asyncio.to_thread(
                self._open_at, match, last_event_id
            )
        except BaseException:
            self._release(caller)
            raise
        subscription = Subscription(standing, caller, position)
        self._open.add(subscription)
        self._lagging.add(subscription)
        self._unstarted.add(subscription)
        STREAMS_OPEN.set(len(self._open))
        first = ready_event(position, self.limits)
        if expired:
            first += expired_event(last_event_id, position, self._oldest_kept())
        log.info(
            "stream.opened",
            caller=caller,
            position=position,
            last_event_id=last_event_id,
            expired=expired,
            streams=len(self._open),
        )
        self._start_ticking()
        return subscription, first

    async def serve(
        self, subscription: Subscription, first: bytes, send: Send, receive: Receive,
        *, cut_off: Callable[[], None] | None = None,
    ) -> None:
        """The stream's body, written straight to the connection: ``first``, then its
        events (each tick's in one write, or a few of WRITE_BYTES), heartbeats between
        them; until the client leaves, stops reading (``cut_off`` drops its connection) or
        the service stops."""
        started = time.monotonic()
        subscription.started = True
        subscription.cut_off = cut_off
        self._unstarted.discard(subscription)
        watching = asyncio.ensure_future(_until_gone(receive, subscription))
        try:
            await _write(send, subscription, first)
            while subscription.pending or not subscription.closed:  # what waits leaves first
                if not subscription.pending:
                    subscription.wake = asyncio.get_running_loop().create_future()
                    await subscription.wake
                    subscription.wake = None
                    continue
                message, seqs = subscription.take()
                await _write(send, subscription, message)
                subscription.quiet_since = time.monotonic()
                if seqs:
                    _count_sent(subscription, seqs)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watching.cancel()
            self._unsubscribe(subscription)
            log.info(
                "stream.closed",
                caller=subscription.caller,
                events=subscription.sent,
                seconds=round(time.monotonic() - started, 3),
                position=subscription.position,
            )

    async def close(self) -> None:
        """End every stream (the server drains: it waits for open responses to finish)."""
        self._closed = True
        for subscription in list(self._open):
            subscription.end()
        self._wake.set()
        if self._ticking is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticking

    def _admit(self, caller: str) -> None:
        if self._closed:
            raise ShuttingDown("the service is shutting down: reconnect in a moment")
        if self._callers[caller] >= self.limits.per_caller:
            raise TooManyStreams(
                f"{self.limits.per_caller} streams are open for this caller already "
                "(DATELINE_STREAM_PER_CALLER): close one first"
            )
        if sum(self._callers.values()) >= self.limits.total:
            raise TooManyStreams(
                f"this process serves {self.limits.total} streams already (DATELINE_STREAM_MAX)"
            )

    def _release(self, caller: str) -> None:
        self._callers[caller] -= 1
        if self._callers[caller] <= 0:
            del self._callers[caller]

    def _unsubscribe(self, subscription: Subscription) -> None:
        self._lagging.discard(subscription)
        self._unstarted.discard(subscription)
        if subscription in self._open:
            self._open.discard(subscription)
            self._release(subscription.caller)
            STREAMS_OPEN.set(len(self._open))
        subscription.closed = True

    def _open_at(self, match: Match, last_event_id: int | None) -> tuple[object, int, bool]:
        """The compiled query, where the stream starts, and whether ``last_event_id`` could
        not be resumed (changes after it are older than the window, or it is not a position
        this index has reached)."""
        standing, changes = self._store.standing(match), self._store.changes(since=self._mark)
        if last_event_id is None:
            return standing, changes.newest, False
        if last_event_id > changes.newest or changes.any_between(
            last_event_id, self._oldest_kept()
        ):
            return standing, changes.newest, True
        return standing, last_event_id, False

    def _oldest_kept(self) -> int:
        return _now_us() - int(self.limits.retention_s * 1_000_000)

    # -- heartbeats ---------------------------------------------------------------------

    def _beat(self, now: float) -> None:
        """A heartbeat for each stream quiet for ``heartbeat_s``: one look over them all
        every quarter of it, not a timer per stream."""
        if now < self._next_beat:
            return
        self._next_beat = now + self.limits.heartbeat_s / 4
        self._cut_off_stalled(now)
        for subscription in self._open:
            quiet = not subscription.pending and now - subscription.quiet_since >= self.limits.heartbeat_s
            if quiet and subscription.started:
                subscription.quiet_since = now
                subscription.push([heartbeat(subscription.position)])

    def _cut_off_stalled(self, now: float) -> None:
        """Drops each stream whose client took no write for ``stall_s``: it stopped reading.
        Until then it holds a write (WRITE_BYTES at most, or one event) and at most
        QUEUE_EVENTS events, shared with the streams they match; after, nothing (its
        unsent bytes are discarded with the connection, not flushed to nobody)."""
        stall_s = self.limits.stall_s
        stalled = [s for s in self._open if s.writing_since and now - s.writing_since >= stall_s]
        for subscription in stalled:
            log.warning(
                "stream.cut_off",
                caller=subscription.caller,
                position=subscription.position,
                waiting=len(subscription.pending),
                stalled_s=round(now - subscription.writing_since, 3),
            )
            STREAMS_CUT_OFF.inc()
            subscription.writing_since = 0.0
            subscription.end()
            if subscription.cut_off is not None:
                subscription.cut_off()  # the write in flight returns, the response ends

    # -- ticking -----------------------------------------------------------------------

    def _start_ticking(self) -> None:
        self._wake.set()
        if self._ticking is None or self._ticking.done():
            self._ticking = asyncio.create_task(self._tick_while_open())

    async def _tick_while_open(self) -> None:
        while self._open and not self._closed:
            started = time.monotonic()
            self._drop_unstarted(started)
            self._beat(started)
            stamp = self._store.commit_stamp()
            looked_at = self._lagging if self._seen and self._seen[0] == stamp else self._open
            plan = [(s, s.position, min(s.room, TICK_LIMIT)) for s in looked_at if s.room > 0]
            try:
                checked = await asyncio.to_thread(self._check, plan, stamp) if plan else []
            except Exception:
                log.exception("stream.match_failed", streams=len(plan))
                checked = []
            for found in checked:
                self._deliver(found)
            if self._seen is not None:
                newest = self._seen[1]
                self._lagging = {s for s in looked_at if s.position < newest and not s.closed}
            took = time.monotonic() - started
            if plan:
                MATCH_SECONDS.observe(took)
            worked, self._worked = self._worked, 0.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(),
                    max(self._poll_s, worked * REST if worked > LONG_TICK_S else 0.0),
                )

    def _drop_unstarted(self, now: float) -> None:
        """A response that never began (its client left before) never ends either."""
        for subscription in [s for s in self._unstarted if now - s.opened_at > UNSTARTED_S]:
            self._unsubscribe(subscription)

    def _check(self, plan: list[tuple[Subscription, int, int]], stamp: bytes) -> list[_Checked]:
        """In a worker thread: one snapshot, each stream that is behind checked against it."""
        started = time.thread_time()
        try:
            return self._check_against_newest(plan, stamp)
        finally:
            self._worked = time.thread_time() - started

    def _check_against_newest(
        self, plan: list[tuple[Subscription, int, int]], stamp: bytes
    ) -> list[_Checked]:
        waiting = Tally(position for _, position, _ in plan)
        changes = self._store.changes(since=self._mark, waiting=waiting)
        self._mark = changes.mark
        self._seen = (stamp, changes.newest)
        oldest = self._oldest_kept()
        encoded: dict[int, bytes] = {}  # one message per article, shared by every stream it matches
        checked = []
        for subscription, position, limit in plan:
            if position >= changes.newest:
                continue
            if position < oldest and changes.any_between(
                position, oldest
            ):  # a client slower than the window
                event = expired_event(position, changes.newest, oldest)
                checked.append(_Checked(subscription, position, changes.newest, [], [event]))
                continue
            found = changes.matching(subscription.standing, position, limit)
            for seq, stored in found:
                if seq not in encoded:
                    encoded[seq] = article_event(seq, stored)
            seqs = [seq for seq, _ in found]
            reached = found[-1][0] if len(found) == limit else changes.newest
            checked.append(_Checked(subscription, position, reached, seqs, [encoded[seq] for seq in seqs]))
        return checked

    def _deliver(self, found: _Checked) -> None:
        subscription = found.subscription
        if subscription.closed or subscription.position != found.was:
            return
        if found.messages:
            subscription.push(found.messages, found.seqs)
        subscription.position = found.position


# -- the wire: server-sent events -------------------------------------------------------------


def article_event(seq: int, stored_article: bytes) -> bytes:
    """The article as ``GET /v1/articles/{id}`` returns it (compact JSON: one line)."""
    return b"id: %d\nevent: article\ndata: %s\n\n" % (seq, stored_article)


def ready_event(position: int, limits: StreamLimits) -> bytes:
    data = msgspec.json.encode(
        {
            "position": str(position),
            "retention_s": limits.retention_s,
            "heartbeat_s": limits.heartbeat_s,
        }
    )
    return b"retry: %d\nid: %d\nevent: ready\ndata: %s\n\n" % (RETRY_MS, position, data)


def expired_event(last_event_id: int | None, newest: int, oldest_kept: int) -> bytes:
    data = msgspec.json.encode(
        {
            "last_event_id": str(last_event_id),
            "resumed_from": str(newest),
            "oldest_kept": str(oldest_kept),
            "detail": "this position is older than the retention window (or not one of this index): "
            "articles between it and resumed_from are not sent; search for them instead",
        }
    )
    return b"id: %d\nevent: expired\ndata: %s\n\n" % (newest, data)


def heartbeat(position: int) -> bytes:
    # An id with no data moves the client's Last-Event-ID without firing an event.
    return b": heartbeat\nid: %d\n\n" % position


async def _write(send: Send, subscription: Subscription, message: bytes) -> None:
    """One write; while it waits for the client to take the ones before, the stream is
    stalled (:meth:`LiveHub._cut_off_stalled` looks)."""
    subscription.writing_since = time.monotonic()
    try:
        await send({"type": "http.response.body", "body": message, "more_body": True})
    finally:
        subscription.writing_since = 0.0


async def _until_gone(receive: Receive, subscription: Subscription) -> None:
    """Ends the stream when its client leaves (a response that only writes would not know)."""
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass
    subscription.end()


def _count_sent(subscription: Subscription, seqs: list[int]) -> None:
    # one observation per write, not per event: with many streams, observing each event
    # cost more than writing it
    subscription.sent += len(seqs)
    STREAM_EVENTS.inc(len(seqs))
    DELAY_SECONDS.observe(max(0.0, (_now_us() - seqs[0]) / 1_000_000))


def _now_us() -> int:
    return time.time_ns() // 1000


def stream_limits(settings: Settings) -> StreamLimits:
    return StreamLimits(
        per_caller=settings.stream_per_caller,
        total=settings.stream_max,
        retention_s=settings.stream_retention_s,
        heartbeat_s=settings.stream_heartbeat_s,
        stall_s=settings.stream_stall_s,
    )
