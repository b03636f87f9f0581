"""`dateline status`: what every stream, group, the DLQ and the index are doing right now."""

from __future__ import annotations

import time

import msgspec
import redis
from rich.console import Console, Group
from rich.table import Table

from dateline.client import Unreachable, get
from dateline.state import search_url
from shared.settings import Settings
from shared.streams import DLQ, ENRICHED, INCOMING, RAW

STREAMS = (INCOMING, RAW, ENRICHED, DLQ)
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


class Status(msgspec.Struct):
    streams: list[StreamStatus]
    dlq_size: int
    index: IndexStatus


def collect_status(settings: Settings) -> Status:
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        streams = [_stream_status(client, name) for name in STREAMS]
        dlq = next(s.length for s in streams if s.name == DLQ)
    finally:
        client.close()
    return Status(streams=streams, dlq_size=dlq, index=_index_status(settings))


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
        code, body = get(f"{search_url(settings)}/v1/stats", timeout=2.0)
        if code != 200:
            return IndexStatus(error=f"search service: HTTP {code}")
        return msgspec.json.decode(body, type=IndexStatus)
    except (Unreachable, msgspec.DecodeError) as exc:
        return IndexStatus(error=f"search service: {exc}")


def render_status(console: Console | None, status: Status):
    streams = Table("stream", "length", "added/min", "group", "lag", "pending", "consumers (idle s)")
    for stream in status.streams:
        added = f">{RECENT_CAP}" if stream.added_last_minute >= RECENT_CAP else str(stream.added_last_minute)
        rows = stream.groups or [None]
        for n, group in enumerate(rows):
            first = (stream.name, str(stream.length), added) if n == 0 else ("", "", "")
            if group is None:
                streams.add_row(*first, "-", "", "", "")
                continue
            consumers = ", ".join(f"{c.name} ({c.idle_s:.0f})" for c in group.consumers) or "none"
            lag = "?" if group.lag is None else str(group.lag)
            streams.add_row(*first, group.name, lag, str(group.pending), consumers)
    index = status.index
    index_line = (
        f"index: {index.error}" if index.error
        else f"index: {index.documents} documents, last commit {index.last_commit or 'never'}"
    )
    view = Group(streams, f"dead letters: {status.dlq_size}", index_line)
    if console is not None:
        console.print(view)
    return view
