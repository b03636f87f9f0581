"""The Redis side of ingest: de-duplicate by article id and content hash, XADD to dateline:raw.

One Lua script takes a request's articles: for each, it compares the content hash stored
for its id, XADDs the article when it is new or changed, and records the hash with a TTL.
A script runs atomically, so two requests carrying the same article at once cannot both
publish it, and no article is in the stream without its hash recorded (or the other way
round). The whole request is one command: if Redis or the connection fails before it is
complete, nothing of the request is written. (One script per request, rather than a
MULTI/EXEC of one script per article, costs a quarter of the client CPU per article.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

import redis.asyncio as aioredis
from msgspec import Struct
from redis.exceptions import NoScriptError

from shared.schemas import RawArticle
from shared.streams import DATA_FIELD, RAW, entry_fields

SEEN_PREFIX = "dateline:seen:"

# KEYS: the stream, then each article's seen-key.
# ARGV: TTL (s), the entry's field, then (content hash, entry JSON) per article.
# Returns (status, entry id or "") per article. A duplicate refreshes the TTL: an article
# a feed keeps pushing stays known.
_PUBLISH_SCRIPT = """
local ttl, field = ARGV[1], ARGV[2]
local out = {}
for i = 2, #KEYS do
  local hash, entry = ARGV[2 * i - 1], ARGV[2 * i]
  local seen = redis.call('GET', KEYS[i])
  if seen == hash then
    redis.call('EXPIRE', KEYS[i], ttl)
    out[#out + 1] = 'duplicate'
    out[#out + 1] = ''
  else
    out[#out + 1] = seen and 'updated' or 'accepted'
    out[#out + 1] = redis.call('XADD', KEYS[1], '*', field, entry)
    redis.call('SET', KEYS[i], hash, 'EX', ttl)
  end
end
return out
"""
_PUBLISH_SHA = hashlib.sha1(_PUBLISH_SCRIPT.encode()).hexdigest()


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
    keys = [RAW, *(seen_key(article.id) for article in articles)]
    args: list[object] = [ttl_seconds, DATA_FIELD]
    for article in articles:
        args += [article.content_hash, entry_fields(article)[DATA_FIELD]]
    try:
        reply = await redis.evalsha(_PUBLISH_SHA, len(keys), *keys, *args)
    except NoScriptError:
        # First use on this server, or it restarted: nothing ran, so load the script, redo.
        reply = await redis.eval(_PUBLISH_SCRIPT, len(keys), *keys, *args)
    return [_published(reply[i], reply[i + 1]) for i in range(0, len(reply), 2)]


def _published(status: bytes, entry_id: bytes) -> Published:
    return Published(status.decode(), entry_id.decode() or None)  # type: ignore[arg-type]
