"""The stream topology: names, consumer groups, and how entries are written.

Every entry holds one field, ``__data__``, whose value is the message's msgspec JSON:
readable with redis-cli, and parsed by FastStream subscribers as the message body (see
:mod:`shared.broker`). ``dateline:incoming`` is the exception made for producers that are
not Dateline: ``XADD dateline:incoming * article <ArticleIn JSON>``.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

INCOMING = "dateline:incoming"
RAW = "dateline:raw"
# Raw articles too long to share a batch: the enrich workers set them aside here and
# enrich them in slices, with the short ones' batches in between.
RAW_LONG = "dateline:raw:long"
ENRICHED = "dateline:enriched"
DLQ = "dateline:dlq"

DATA_FIELD = "__data__"
INCOMING_FIELD = "article"

# The consumer groups, one per stage, and the streams each reads.
INGEST_GROUP = "ingest"
ENRICH_GROUP = "enrich"
INDEX_GROUP = "index"
GROUPS: dict[str, tuple[str, ...]] = {
    INCOMING: (INGEST_GROUP,),
    RAW: (ENRICH_GROUP,),
    RAW_LONG: (ENRICH_GROUP,),
    ENRICHED: (INDEX_GROUP,),
}


def streams_read_by(group: str) -> tuple[str, ...]:
    """The streams ``group`` reads: the enrich group's work is on two, the long lane too."""
    return tuple(stream for stream, groups in GROUPS.items() if group in groups)


_encoder = msgspec.json.Encoder()


def entry_fields(message: msgspec.Struct) -> dict[str, bytes]:
    """The fields of the stream entry that carries ``message``."""
    return {DATA_FIELD: _encoder.encode(message)}


async def ensure_groups(redis: aioredis.Redis) -> None:
    """Create every group from id 0 (never ``$``), creating streams as needed. Idempotent."""
    for stream, groups in GROUPS.items():
        for group in groups:
            try:
                await redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise


async def add_all(
    redis: aioredis.Redis, stream: str, messages: Iterable[msgspec.Struct]
) -> list[str]:
    """XADD every message in one pipelined round trip (a MULTI/EXEC); return entry ids.

    All or nothing: a failure raises and no entry of the batch is written.
    """
    async with redis.pipeline(transaction=True) as pipe:
        for message in messages:
            pipe.xadd(stream, entry_fields(message))
        ids = await pipe.execute()
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


async def trim_processed(redis: aioredis.Redis, stream: str) -> int:
    """Trim ``stream`` below the oldest entry any of its groups still needs. Never loses work.

    An entry is still needed while it is pending in a group or not yet delivered to it.
    """
    groups = await redis.xinfo_groups(stream)
    if not groups:
        return 0
    floor: str | None = None
    for group in groups:
        needed = await _oldest_needed(redis, stream, group)
        if needed is None:
            continue
        floor = needed if floor is None or _id_key(needed) < _id_key(floor) else floor
    if floor is None:  # every group is caught up: everything up to the last entry can go
        last = min((as_str(g["last-delivered-id"]) for g in groups), key=_id_key)
        floor = next_id(last)
    return await redis.xtrim(stream, minid=floor, approximate=False)


async def _oldest_needed(redis: aioredis.Redis, stream: str, group: dict) -> str | None:
    name = as_str(group["name"])
    if group["pending"]:
        summary = await redis.xpending(stream, name)
        return as_str(summary["min"])
    last = as_str(group["last-delivered-id"])
    later = await redis.xrange(stream, min=f"({last}", count=1)
    return as_str(later[0][0]) if later else None


def as_str(value: str | bytes) -> str:
    """A Redis reply value as text (entry ids, group names), whatever the client's decoding."""
    return value.decode() if isinstance(value, bytes) else value


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def next_id(entry_id: str) -> str:
    """The smallest entry id after ``entry_id`` (a MINID that keeps everything later)."""
    ms, seq = _id_key(entry_id)
    return f"{ms}-{seq + 1}"


def unfinished(groups: list[dict], length: int, group: str) -> int:
    """Entries of a stream ``group`` has not finished (not yet read, or read and not acked),
    from XINFO GROUPS and XLEN.

    ``lag`` is unknown (nil) after some deletions and before Redis 7: then every entry in
    the stream counts, which over-counts only what trimming has not yet removed.
    """
    for info in groups:
        if as_str(info["name"]) == group:
            lag = info.get("lag")
            waiting = length if lag is None else int(lag)
            return waiting + int(info.get("pending") or 0)
    return length  # no such group: nobody is reading, everything is waiting
