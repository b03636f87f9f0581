"""Dead-letter operations on a real redis-server: list, replay (and it flows), drop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.dlq import DeadLetterError, count_dead_letters, drop, list_dead_letters, replay
from shared.schemas import DeadLetter
from shared.streams import (
    DATA_FIELD,
    DLQ,
    INCOMING,
    INCOMING_FIELD,
    RAW,
    ensure_groups,
    entry_fields,
)
from tests.integration.polling import eventually
from tests.integration.test_consumer import Desk, running_stage


def letter(payload: str, *, stream: str = RAW, entry_id: str = "1-0") -> DeadLetter:
    return DeadLetter(
        stage="enrich",
        reason="enrich_failed",
        error="model crashed",
        attempts=3,
        stream=stream,
        entry_id=entry_id,
        payload=payload,
        failed_at=datetime(2026, 11, 24, tzinfo=UTC),
    )


async def file_letters(redis, *letters: DeadLetter) -> list[str]:
    return [(await redis.xadd(DLQ, entry_fields(x))).decode() for x in letters]


async def test_list_pages_through_letters_oldest_first(redis):
    ids = await file_letters(redis, *(letter(f'{{"n":{n}}}') for n in range(5)))
    first = await list_dead_letters(redis, 3)
    rest = await list_dead_letters(redis, 3, after=first[-1].dlq_id)
    assert [e.dlq_id for e in first + rest] == ids
    assert first[0].letter.payload == '{"n":0}' and first[0].letter.reason == "enrich_failed"
    assert await count_dead_letters(redis) == 5


async def test_replay_puts_the_payload_back_untouched_and_removes_the_letter(redis):
    [kept, replayed_id] = await file_letters(redis, letter('{"n":1}'), letter('{"n":2}'))
    [done] = await replay(redis, [replayed_id])
    assert (done.dlq_id, done.stream) == (replayed_id, RAW)
    [(new_id, fields)] = await redis.xrange(RAW)
    assert new_id.decode() == done.entry_id and fields == {DATA_FIELD.encode(): b'{"n":2}'}
    assert [e.dlq_id for e in await list_dead_letters(redis)] == [kept]


async def test_replay_to_incoming_uses_the_article_field(redis):
    await file_letters(redis, letter('{"url":"x"}', stream=INCOMING))
    await replay(redis)
    [(_, fields)] = await redis.xrange(INCOMING)
    assert fields == {INCOMING_FIELD.encode(): b'{"url":"x"}'}


async def test_replay_all_and_twice_moves_each_letter_once(redis):
    await file_letters(redis, *(letter(f'{{"n":{n}}}') for n in range(250)))
    assert len(await replay(redis)) == 250
    assert await replay(redis) == []
    assert await redis.xlen(RAW) == 250 and await count_dead_letters(redis) == 0


async def test_replay_of_an_unknown_id_names_it_and_replays_nothing(redis):
    [known] = await file_letters(redis, letter('{"n":1}'))
    with pytest.raises(DeadLetterError, match="no dead letter with id 9-9"):
        await replay(redis, [known, "9-9"])
    assert await count_dead_letters(redis) == 1 and await redis.xlen(RAW) == 0


async def test_replay_refuses_a_letter_from_a_stream_nobody_reads(redis):
    await file_letters(redis, letter('{"n":1}', stream="elsewhere"))
    with pytest.raises(DeadLetterError, match="'elsewhere', which no Dateline group reads"):
        await replay(redis)


async def test_a_corrupt_dlq_entry_is_named(redis):
    bad = (await redis.xadd(DLQ, {DATA_FIELD: b"not json"})).decode()
    with pytest.raises(DeadLetterError, match=f"entry {bad} is not a dead letter"):
        await list_dead_letters(redis)


async def test_drop_by_id_and_drop_all(redis):
    ids = await file_letters(redis, *(letter(f'{{"n":{n}}}') for n in range(4)))
    assert await drop(redis, ids[:1]) == 1
    assert await drop(redis) == 3
    assert await count_dead_letters(redis) == 0 and await drop(redis) == 0


async def test_a_dead_lettered_entry_replayed_after_a_fix_flows(redis, redis_url):
    await ensure_groups(redis)
    await redis.xadd(RAW, {DATA_FIELD: b'{"poison":true}'})
    desk = Desk()
    async with running_stage(redis_url, desk) as stage:
        [entry] = await eventually(lambda: list_dead_letters(redis))
        desk.fixed = True
        await replay(redis, [entry.dlq_id])
        await eventually(lambda: _done(stage))
    assert await count_dead_letters(redis) == 0
    assert (await redis.xpending(RAW, "enrich"))["pending"] == 0


async def _done(stage) -> bool:
    return stage.counts.done >= 1
