"""The Redis side of ingest: admit, de-duplicate, XADD to dateline:raw — in one script.

One Lua script takes the articles of one or more requests ("orders"). For each order it
first counts the entries the order would add (articles whose content hash differs from
the one stored for their id); if that would take the enrich backlog past the limit, the
order is refused whole and nothing of it is written. Otherwise each new or changed article
is XADDed and its hash recorded with a TTL. A script runs atomically, so the backlog
check and the publishing cannot interleave with another request's, from this process or
another ingest: the backlog never passes the limit, and two requests carrying the same
article at once cannot both publish it. The whole call is one command: if Redis or the
connection fails before it is complete, nothing of it is written. (One script per call,
rather than a MULTI/EXEC of one script per article, costs a quarter of the client CPU per
article.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

import redis.asyncio as aioredis
from msgspec import Struct
from redis.exceptions import NoScriptError

from shared.schemas import RawArticle
from shared.streams import DATA_FIELD, ENRICH_GROUP, RAW, entry_fields

SEEN_PREFIX = "dateline:seen:"
BACKLOG_GROUP = ENRICH_GROUP  # the group whose unfinished entries are the backlog

# KEYS: the stream, then each article's seen-key, order after order.
# ARGV: TTL (s), the entry's field, the backlog limit, the group, the number of orders,
#       each order's article count, then (content hash, entry JSON) per article.
# Returns, per order: ('refused', entries it would have added), or (status, entry id or '')
# per article. A duplicate refreshes the TTL: an article a feed keeps pushing stays known.
# The backlog is counted as shared.streams.unfinished counts it: entries of the stream
# not yet delivered to the group (its lag, or the whole stream when the lag is unknown)
# plus those delivered and not yet acknowledged (pending).
_PUBLISH_SCRIPT = """
local ttl, field, limit, group = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local orders = tonumber(ARGV[5])

local function backlog()
  local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
  if groups.err then return 0 end  -- no stream yet: nothing waits
  for _, info in ipairs(groups) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == group then
      local waiting = fields['lag'] or redis.call('XLEN', KEYS[1])
      return tonumber(waiting) + tonumber(fields['pending'])
    end
  end
  return redis.call('XLEN', KEYS[1])  -- nobody reads: everything waits
end

local unfinished = backlog()
local out = {}
local key, arg = 2, 6 + orders
for o = 1, orders do
  local size = tonumber(ARGV[5 + o])
  local adding = 0  -- an article twice in one order counts twice: never too few
  for i = 0, size - 1 do
    if redis.call('GET', KEYS[key + i]) ~= ARGV[arg + 2 * i] then adding = adding + 1 end
  end
  if adding > 0 and unfinished + adding > limit then
    out[#out + 1] = 'refused'
    out[#out + 1] = tostring(adding)
  else
    for i = 0, size - 1 do
      local k, hash, entry = KEYS[key + i], ARGV[arg + 2 * i], ARGV[arg + 2 * i + 1]
      local now = redis.call('GET', k)  -- an earlier article of this order may be the same
      if now == hash then
        redis.call('EXPIRE', k, ttl)
        out[#out + 1] = 'duplicate'
        out[#out + 1] = ''
      else
        out[#out + 1] = now and 'updated' or 'accepted'
        out[#out + 1] = redis.call('XADD', KEYS[1], '*', field, entry)
        redis.call('SET', k, hash, 'EX', ttl)
        unfinished = unfinished + 1
      end
    end
  end
  key, arg = key + size, arg + 2 * size
end
return out
"""
_PUBLISH_SHA = hashlib.sha1(_PUBLISH_SCRIPT.encode()).hexdigest()


class Published(Struct, frozen=True):
    """What the stream made of one article; ``entry_id`` is its dateline:raw entry."""

    status: Literal["accepted", "updated", "duplicate"]
    entry_id: str | None = None


class BacklogFull(Exception):
    """An order was refused: its ``adding`` new entries would take the backlog past ``limit``."""

    def __init__(self, adding: int, limit: int) -> None:
        super().__init__(f"{adding} new entries would take the enrich backlog past {limit}")
        self.adding = adding
        self.limit = limit


def seen_key(article_id: str) -> str:
    return SEEN_PREFIX + article_id


async def publish(
    redis: aioredis.Redis, orders: Sequence[Sequence[RawArticle]], ttl_seconds: int, max_backlog: int
) -> list[list[Published] | BacklogFull]:
    """Publish every new or changed article of each order to dateline:raw, in order; an
    order that would take the backlog past ``max_backlog`` is refused whole (BacklogFull in
    its place).

    Raises redis.exceptions.RedisError when Redis cannot be reached or refuses: then no
    article of any order has been written.
    """
    articles = [article for order in orders for article in order]
    keys = [RAW, *(seen_key(article.id) for article in articles)]
    args: list[object] = [ttl_seconds, DATA_FIELD, max_backlog, BACKLOG_GROUP, len(orders)]
    args += [len(order) for order in orders]
    for article in articles:
        args += [article.content_hash, entry_fields(article)[DATA_FIELD]]
    try:
        reply = await redis.evalsha(_PUBLISH_SHA, len(keys), *keys, *args)
    except NoScriptError:
        # First use on this server, or it restarted: nothing ran, so load the script, redo.
        reply = await redis.eval(_PUBLISH_SCRIPT, len(keys), *keys, *args)
    return _outcomes(reply, [len(order) for order in orders], max_backlog)


def _outcomes(reply: list[bytes], sizes: list[int], limit: int) -> list[list[Published] | BacklogFull]:
    outcomes: list[list[Published] | BacklogFull] = []
    at = 0
    for size in sizes:
        if size and reply[at] == b"refused":
            outcomes.append(BacklogFull(int(reply[at + 1]), limit))
            at += 2
        else:
            outcomes.append([_published(reply[i], reply[i + 1]) for i in range(at, at + 2 * size, 2)])
            at += 2 * size
    return outcomes


def _published(status: bytes, entry_id: bytes) -> Published:
    return Published(status.decode(), entry_id.decode() or None)  # type: ignore[arg-type]
