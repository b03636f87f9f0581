"""The dead-letter queue, ``dateline:dlq``: list, replay and drop what stages gave up on.

Each entry's ``__data__`` is a :class:`~shared.schemas.DeadLetter` (see
:mod:`shared.consumer`). Replaying puts the untouched payload back on the stream it
failed on, in the field that stream's consumers read, as a new entry: the group then
delivers it afresh (delivery count 1). These are the operations behind
``dateline dlq list|replay|drop``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import msgspec
import redis.asyncio as aioredis
from msgspec import Struct

from shared.schemas import DeadLetter
from shared.streams import DATA_FIELD, DLQ, GROUPS, INCOMING, INCOMING_FIELD, as_str, next_id

_PAGE = 100

# XDEL from the DLQ and XADD back to the stream as one step; only the caller whose XDEL
# removed the letter re-adds it, so two operators replaying at once cannot duplicate it.
# KEYS: dlq, stream. ARGV: dead letter id, field, payload. Returns the new entry id or nil.
_REPLAY_SCRIPT = """
if redis.call('XDEL', KEYS[1], ARGV[1]) == 1 then
  return redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
end
return false
"""


class DeadLetterEntry(Struct, frozen=True):
    dlq_id: str  # the entry id in dateline:dlq
    letter: DeadLetter


class Replayed(Struct, frozen=True):
    dlq_id: str
    stream: str
    entry_id: str  # the new entry on ``stream``


class DeadLetterError(Exception):
    """A dead letter that cannot be found or cannot be replayed; the message says which."""


_decoder = msgspec.json.Decoder(DeadLetter)


async def count_dead_letters(redis: aioredis.Redis) -> int:
    return await redis.xlen(DLQ)


async def list_dead_letters(
    redis: aioredis.Redis, limit: int = 100, *, after: str | None = None
) -> list[DeadLetterEntry]:
    """The oldest ``limit`` dead letters (after the id ``after``, to page on)."""
    start = f"({after}" if after else "-"
    entries = await redis.xrange(DLQ, min=start, count=limit)
    return [_entry(entry_id, fields) for entry_id, fields in entries]


async def replay(redis: aioredis.Redis, dlq_ids: Sequence[str] | None = None) -> list[Replayed]:
    """Put dead letters back on their streams (``None``: every letter there is now).

    Raises DeadLetterError, before replaying anything, when a given id is not in the DLQ
    or a letter names a stream no Dateline group reads. A letter replayed meanwhile by
    someone else is skipped.
    """
    letters = (
        [e async for e in _everything(redis)] if dlq_ids is None else await _find(redis, dlq_ids)
    )
    targets = [(entry, _field_for(entry)) for entry in letters]  # check them all first
    replayed = []
    for entry, field in targets:
        stream = entry.letter.stream
        new_id = await redis.eval(
            _REPLAY_SCRIPT, 2, DLQ, stream, entry.dlq_id, field, entry.letter.payload
        )
        if new_id is not None:
            replayed.append(Replayed(dlq_id=entry.dlq_id, stream=stream, entry_id=as_str(new_id)))
    return replayed


async def drop(redis: aioredis.Redis, dlq_ids: Sequence[str] | None = None) -> int:
    """Delete dead letters for good (``None``: every letter there is now); return how many."""
    if dlq_ids is not None:
        return await redis.xdel(DLQ, *dlq_ids) if dlq_ids else 0
    newest = await redis.xrevrange(DLQ, count=1)
    if not newest:
        return 0
    # Trim up to the newest letter seen now, so a letter arriving meanwhile is kept.
    return await redis.xtrim(DLQ, minid=next_id(as_str(newest[0][0])), approximate=False)


async def _everything(redis: aioredis.Redis) -> AsyncIterator[DeadLetterEntry]:
    newest = await redis.xrevrange(DLQ, count=1)
    if not newest:
        return
    last, after = as_str(newest[0][0]), None
    while True:
        page = await list_dead_letters(redis, _PAGE, after=after)
        for entry in page:
            yield entry
            if entry.dlq_id == last:
                return
        if len(page) < _PAGE:
            return
        after = page[-1].dlq_id


async def _find(redis: aioredis.Redis, dlq_ids: Sequence[str]) -> list[DeadLetterEntry]:
    async with redis.pipeline(transaction=False) as pipe:
        for dlq_id in dlq_ids:
            pipe.xrange(DLQ, min=dlq_id, max=dlq_id)
        found = await pipe.execute()
    missing = [i for i, rows in zip(dlq_ids, found, strict=True) if not rows]
    if missing:
        raise DeadLetterError(f"no dead letter with id {', '.join(missing)} in {DLQ}")
    return [_entry(*rows[0]) for rows in found]


def _entry(entry_id: bytes | str, fields: dict[bytes, bytes]) -> DeadLetterEntry:
    dlq_id = as_str(entry_id)
    try:
        letter = _decoder.decode(fields[DATA_FIELD.encode()])
    except (KeyError, msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise DeadLetterError(f"{DLQ} entry {dlq_id} is not a dead letter: {exc}") from None
    return DeadLetterEntry(dlq_id=dlq_id, letter=letter)


def _field_for(entry: DeadLetterEntry) -> str:
    stream = entry.letter.stream
    if stream not in GROUPS:
        raise DeadLetterError(
            f"dead letter {entry.dlq_id} came from {stream!r}, which no Dateline group reads "
            f"(known: {', '.join(GROUPS)})"
        )
    return INCOMING_FIELD if stream == INCOMING else DATA_FIELD

