"""The Redis side of ingest: de-duplicate by article id and content hash, XADD to dateline:raw.

One Lua script per article compares the content hash stored for its id, XADDs the article
when it is new or changed, and records the hash with a TTL: a script runs atomically, so
two requests carrying the same article at once cannot both publish it, and no article is
ever in the stream without its hash recorded (or the other way round). A request's
scripts travel in one MULTI/EXEC round trip: if Redis or the connection fails before
EXEC, nothing of the request is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import redis.asyncio as aioredis
from msgspec import Struct

from shared.schemas import RawArticle
from shared.streams import DATA_FIELD, RAW, entry_fields

SEEN_PREFIX = "dateline:seen:"

# KEYS: the stream, the article's seen-key. ARGV: content hash, TTL (s), field, entry JSON.
# A duplicate refreshes the TTL: an article a feed keeps pushing stays known.
_PUBLISH_SCRIPT = """
local seen = redis.call('GET', KEYS[2])
if seen == ARGV[1] then
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return {'duplicate'}
end
local entry_id = redis.call('XADD', KEYS[1], '*', ARGV[3], ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
if seen then
  return {'updated', entry_id}
end
return {'accepted', entry_id}
"""


class Published(Struct, frozen=True):
    """What the stream made of one article; ``entry_id`` is its dateline:raw entry."""

    status: Literal["accepted", "updated", "duplicate"]
    entry_id: str | None = None


def seen_key(article_id: str) -> str:
    return SEEN_PREFIX + article_id


async def publish(
    redis: aioredis.Redis, articles: Sequence[RawArticle], ttl_seconds: int
) -> list[Published]:
    """Publish every new or changed article to dateline:raw, in order, all or nothing.

    Raises redis.exceptions.RedisError when Redis cannot be reached or refuses: then no
    article of ``articles`` has been written.
    """
    if not articles:
        return []
    async with redis.pipeline(transaction=True) as pipe:
        for article in articles:
            payload = entry_fields(article)[DATA_FIELD]
            pipe.eval(
                _PUBLISH_SCRIPT, 2, RAW, seen_key(article.id),
                article.content_hash, ttl_seconds, DATA_FIELD, payload,
            )
        replies = await pipe.execute()
    return [_published(reply) for reply in replies]


def _published(reply: list[bytes]) -> Published:
    status = reply[0].decode()
    return Published(status, reply[1].decode() if len(reply) > 1 else None)  # type: ignore[arg-type]
