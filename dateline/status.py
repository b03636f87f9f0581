"""`dateline status`: what every stream, group, the DLQ and the index are doing right now."""

from __future__ import annotations

import time

import msgspec
import redis
from rich import box
from rich.console import Console, Group
from rich.table import Table

from dateline.client import Unreachable, get
from dateline.state import poller_url, search_headers, search_url
from shared import followed_feeds
from shared.runtime import blocking_redis_client
from shared.settings import Settings
from shared.streams import DLQ, ENRICHED, INCOMING, RAW, RAW_LONG

STREAMS = (INCOMING, RAW, RAW_LONG, ENRICHED, DLQ)
RECENT_CAP = 10_000


class ConsumerStatus(msgspec.Struct):
    name: str
    pending: int
    idle_s: float


class GroupStatus(msgspec.Struct):
    name: str
    lag: int | None  # None when Redis cannot tell (entries trimmed or deleted)
    pending: int
    consumers: list[ConsumerStatus]


class StreamStatus(msgspec.Struct):
    name: str
    length: int
    added_last_minute: int
    groups: list[GroupStatus]


class IndexStatus(msgspec.Struct):
    documents: int | None = None
    last_commit: str | None = None
    error: str | None = None


class FeedsStatus(msgspec.Struct):
    followed: int
    failing: int


class PollerStatus(msgspec.Struct):
    url: str
    ready: bool
    problem: str | None = None  # why not: its /readyz failures, or that nothing answers


class Status(msgspec.Struct):
    streams: list[StreamStatus]
    dlq_size: int
    index: IndexStatus
    feeds: FeedsStatus
    poller: PollerStatus


def collect_status(settings: Settings) -> Status:
    client = blocking_redis_client(settings, decode_responses=True)
    try:
        streams = [_stream_status(client, name) for name in STREAMS]
        dlq = next(s.length for s in streams if s.name == DLQ)
        followed = _feeds_status(client)
    finally:
        client.close()
    return Status(streams=streams, dlq_size=dlq, index=_index_status(settings), feeds=followed,
                  poller=_poller_status(settings))


def _feeds_status(client: redis.Redis) -> FeedsStatus:
    ids = client.hkeys(followed_feeds.FEEDS)
    healths = [client.get(followed_feeds.health_key(feed)) for feed in ids]
    failing = sum(
        msgspec.json.decode(raw, type=followed_feeds.FeedHealth).failures >= followed_feeds.FAILING_AFTER
        for raw in healths if raw
    )
    return FeedsStatus(followed=len(ids), failing=failing)


def _stream_status(client: redis.Redis, name: str) -> StreamStatus:
    if not client.exists(name):
        return StreamStatus(name=name, length=0, added_last_minute=0, groups=[])
    since = int(time.time() * 1000) - 60_000
    recent = client.xrange(name, min=str(since), count=RECENT_CAP)
    groups = [
        GroupStatus(
            name=g["name"],
            lag=g.get("lag"),
            pending=g["pending"],
            consumers=[
                ConsumerStatus(name=c["name"], pending=c["pending"], idle_s=c["idle"] / 1000)
                for c in client.xinfo_consumers(name, g["name"])
            ],
        )
        for g in client.xinfo_groups(name)
    ]
    return StreamStatus(name=name, length=client.xlen(name), added_last_minute=len(recent), groups=groups)


def _index_status(settings: Settings) -> IndexStatus:
    try:
        code, body = get(f"{search_url(settings)}/v1/stats", timeout=2.0, headers=search_headers(settings))
        if code != 200:
            return IndexStatus(error=f"search service: HTTP {code}")
        return msgspec.json.decode(body, type=IndexStatus)
    except (Unreachable, msgspec.DecodeError) as exc:
        return IndexStatus(error=f"search service: {exc}")


class _Readiness(msgspec.Struct):
    ready: bool
    failures: dict[str, str] = {}


def _poller_status(settings: Settings) -> PollerStatus:
    url = poller_url(settings)
    try:
        code, body = get(f"{url}/readyz", timeout=2.0)
        readiness = msgspec.json.decode(body, type=_Readiness)
    except Unreachable:
        return PollerStatus(url=url, ready=False, problem="not running (nothing answers)")
    except msgspec.DecodeError:
        return PollerStatus(url=url, ready=False, problem=f"HTTP {code} from /readyz")
    problems = "; ".join(f"{name}: {why}" for name, why in readiness.failures.items())
    return PollerStatus(url=url, ready=readiness.ready, problem=problems or None)


def render_status(console: Console | None, status: Status):
    """Streams and their groups, then each group's consumers: whole names in 80 columns."""
    consumers = [_consumers_table(status)] if any(g.consumers for s in status.streams for g in s.groups) else []
    failing = f", {status.feeds.failing} failing (`dateline feeds list`)" if status.feeds.failing else ""
    view = Group(_streams_table(status), *consumers, f"dead letters: {status.dlq_size}",
                 _index_line(status.index), f"feeds: {status.feeds.followed} followed{failing}",
                 _poller_line(status.poller))
    if console is not None:
        console.print(view)
    return view


def _table(*columns: tuple[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=justify == "right")
    return table


def _streams_table(status: Status) -> Table:
    table = _table(("stream", "left"), ("length", "right"), ("added/min", "right"), ("group", "left"),
                   ("lag", "right"), ("pending", "right"), ("consumers", "right"))
    for stream in status.streams:
        added = f">{RECENT_CAP}" if stream.added_last_minute >= RECENT_CAP else str(stream.added_last_minute)
        for n, group in enumerate(stream.groups or [None]):
            first = (stream.name, str(stream.length), added) if n == 0 else ("", "", "")
            if group is None:
                table.add_row(*first, "-", "", "", "")
                continue
            lag = "?" if group.lag is None else str(group.lag)
            table.add_row(*first, group.name, lag, str(group.pending), str(len(group.consumers)))
    return table


def _consumers_table(status: Status) -> Table:
    table = _table(("group", "left"), ("consumer", "left"), ("pending", "right"), ("idle s", "right"))
    for stream in status.streams:
        for group in stream.groups:
            for consumer in group.consumers:
                table.add_row(group.name, consumer.name, str(consumer.pending), f"{consumer.idle_s:.0f}")
    return table


def _index_line(index: IndexStatus) -> str:
    if index.error:
        return f"index: {index.error}"
    return f"index: {index.documents} documents, last commit {index.last_commit or 'never'}"


def _poller_line(poller: PollerStatus) -> str:
    return f"poller: {'ready' if poller.ready else 'not ready'} at {poller.url}" + (
        f": {poller.problem}" if poller.problem else ""
    )
