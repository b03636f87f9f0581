import msgspec
from faststream.redis import StreamSub

from shared.broker import build_broker
from shared.schemas import RawArticle
from shared.streams import DATA_FIELD, RAW, add_all, ensure_groups, trim_processed
from tests.factories import raw_article


async def test_groups_start_at_zero_so_earlier_entries_are_read(redis):
    await add_all(redis, RAW, [raw_article(1)])
    await ensure_groups(redis)
    await ensure_groups(redis)  # idempotent
    entries = await redis.xreadgroup("enrich", "c1", {RAW: ">"}, count=10)
    assert len(entries[0][1]) == 1


async def test_entries_are_plain_json_of_the_struct(redis):
    [entry_id] = await add_all(redis, RAW, [raw_article(2)])
    [(_, fields)] = await redis.xrange(RAW, entry_id, entry_id)
    assert msgspec.json.decode(fields[DATA_FIELD.encode()], type=RawArticle) == raw_article(2)


async def test_faststream_subscriber_receives_the_struct(redis, redis_url):
    import asyncio

    await ensure_groups(redis)
    broker = build_broker(redis_url)
    got: asyncio.Queue[RawArticle] = asyncio.Queue()

    @broker.subscriber(stream=StreamSub(RAW, group="enrich", consumer="t", max_records=10))
    async def handle(article: RawArticle) -> None:
        await got.put(article)

    async with broker:
        await broker.start()
        await add_all(redis, RAW, [raw_article(3)])
        article = await asyncio.wait_for(got.get(), timeout=10)
    assert article == raw_article(3)


async def test_trim_keeps_entries_a_group_still_needs(redis):
    await ensure_groups(redis)
    ids = await add_all(redis, RAW, [raw_article(i) for i in range(5)])
    await redis.xreadgroup("enrich", "c1", {RAW: ">"}, count=3)  # 3 pending
    await redis.xack(RAW, "enrich", ids[0])
    await trim_processed(redis, RAW)
    remaining = [e[0].decode() for e in await redis.xrange(RAW)]
    assert remaining == ids[1:]  # ids[1] is pending, so it and everything after stay
    await redis.xreadgroup("enrich", "c1", {RAW: ">"}, count=10)
    await redis.xack(RAW, "enrich", *ids)
    await trim_processed(redis, RAW)
    assert await redis.xlen(RAW) == 0
