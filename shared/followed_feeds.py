"""The feeds Dateline follows, in Redis: what `dateline feeds` edits and the poller reads.

- ``dateline:feeds`` (hash): feed id -> :class:`Subscription` (what the subscriber asked for)
- ``dateline:feeds:due`` (sorted set): feed id by the time of its next poll
- ``dateline:feed:{id}`` (string): :class:`FeedHealth` (what the poller learnt)
- ``dateline:feed:{id}:seen`` (sorted set): the URLs of items already pushed, by when
  (30 days are kept), so each item goes to ingest once

The id is derived from the URL the feed was added with and stays when the feed moves.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import msgspec
import redis.asyncio as aioredis
from msgspec import Struct

FEEDS = "dateline:feeds"
DUE = "dateline:feeds:due"
SEEN_DAYS = 30
FAILING_AFTER = 10  # failures in a row after which a feed is flagged (and still tried)


def health_key(feed_id: str) -> str:
    return f"dateline:feed:{feed_id}"


def seen_key(feed_id: str) -> str:
    return f"dateline:feed:{feed_id}:seen"


class Subscription(Struct, kw_only=True):
    id: str
    url: str  # where the feed is now (updated when it moves permanently)
    every_s: float
    added_at: datetime


class FeedHealth(Struct, kw_only=True, omit_defaults=True):
    interval_s: float
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0  # in a row
    next_poll_at: datetime | None = None
    moved_from: str | None = None
    refused_items: int = 0  # items of the last poll that had no URL


class FollowedFeed(Struct, kw_only=True):
    """A subscription with its health, as `dateline feeds list` and `status` show it."""

    subscription: Subscription
    health: FeedHealth | None
    items_24h: int

    @property
    def state(self) -> str:
        if self.health is None or self.health.last_polled_at is None:
            return "new"
        if self.health.failures >= FAILING_AFTER:
            return "failing"
        return "backing off" if self.health.failures else "ok"


class NotFollowed(LookupError):
    pass


def feed_id(url: str) -> str:
    """16 hex digits of the feed's URL, with the scheme and host in lower case."""
    parts = urlsplit(url.strip())
    spelled = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
    return hashlib.blake2b(spelled.encode(), digest_size=8).hexdigest()


async def follow(redis: aioredis.Redis, url: str, every_s: float, now: datetime | None = None) -> Subscription:
    """Add a feed (or change how often an added one is wanted); due at once when new."""
    now = now or datetime.now(UTC)
    subscription = Subscription(id=feed_id(url), url=url.strip(), every_s=every_s, added_at=now)
    existing = await redis.hget(FEEDS, subscription.id)
    if existing:
        kept = msgspec.json.decode(existing, type=Subscription)
        subscription = msgspec.structs.replace(kept, every_s=every_s)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(FEEDS, subscription.id, msgspec.json.encode(subscription))
        pipe.zadd(DUE, {subscription.id: now.timestamp()}, nx=True)
        await pipe.execute()
    return subscription


async def unfollow(redis: aioredis.Redis, url_or_id: str) -> Subscription:
    for key in (url_or_id, feed_id(url_or_id)):
        raw = await redis.hget(FEEDS, key)
        if raw:
            break
    else:
        subscriptions = await _subscriptions(redis)
        found = [s for s in subscriptions if s.url == url_or_id.strip() or s.id.startswith(url_or_id)]
        if len(found) != 1:
            raise NotFollowed(f"no followed feed is {url_or_id!r}")
        raw = msgspec.json.encode(found[0])
    subscription = msgspec.json.decode(raw, type=Subscription)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hdel(FEEDS, subscription.id)
        pipe.zrem(DUE, subscription.id)
        pipe.delete(health_key(subscription.id), seen_key(subscription.id))
        await pipe.execute()
    return subscription


async def followed(redis: aioredis.Redis, now: datetime | None = None) -> list[FollowedFeed]:
    now = now or datetime.now(UTC)
    subscriptions = sorted(await _subscriptions(redis), key=lambda s: s.added_at)
    result = []
    for subscription in subscriptions:
        raw = await redis.get(health_key(subscription.id))
        health = msgspec.json.decode(raw, type=FeedHealth) if raw else None
        items = await redis.zcount(seen_key(subscription.id), now.timestamp() - 86400, "+inf")
        result.append(FollowedFeed(subscription=subscription, health=health, items_24h=items))
    return result


async def _subscriptions(redis: aioredis.Redis) -> list[Subscription]:
    return [msgspec.json.decode(raw, type=Subscription) for raw in (await redis.hgetall(FEEDS)).values()]


async def due(redis: aioredis.Redis, now: datetime, limit: int = 100) -> list[tuple[Subscription, FeedHealth | None]]:
    """The feeds whose next poll is due, oldest first, with what is known of them."""
    ids = await redis.zrangebyscore(DUE, "-inf", now.timestamp(), start=0, num=limit)
    result = []
    for raw_id in ids:
        feed = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
        raw = await redis.hget(FEEDS, feed)
        if raw is None:  # removed meanwhile
            await redis.zrem(DUE, feed)
            continue
        health = await redis.get(health_key(feed))
        result.append((msgspec.json.decode(raw, type=Subscription),
                       msgspec.json.decode(health, type=FeedHealth) if health else None))
    return result


async def next_due_at(redis: aioredis.Redis) -> float | None:
    first = await redis.zrange(DUE, 0, 0, withscores=True)
    return first[0][1] if first else None


async def record_poll(redis: aioredis.Redis, subscription: Subscription, health: FeedHealth) -> None:
    """Save what the poll learnt and when to poll next, if the feed is still followed."""
    when = (health.next_poll_at or datetime.now(UTC)).timestamp()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(health_key(subscription.id), msgspec.json.encode(health))
        pipe.zadd(DUE, {subscription.id: when}, xx=True)  # xx: a removed feed is not revived
        await pipe.execute()
    if not await redis.hexists(FEEDS, subscription.id):  # removed while polled: leave nothing
        await redis.delete(health_key(subscription.id), seen_key(subscription.id))


async def record_move(redis: aioredis.Redis, subscription: Subscription, new_url: str) -> Subscription:
    moved = msgspec.structs.replace(subscription, url=new_url)
    if await redis.hexists(FEEDS, subscription.id):
        await redis.hset(FEEDS, subscription.id, msgspec.json.encode(moved))
    return moved


async def unseen(redis: aioredis.Redis, feed: str, keys: list[str]) -> list[str]:
    if not keys:
        return []
    scores = await redis.zmscore(seen_key(feed), keys)
    return [key for key, score in zip(keys, scores, strict=True) if score is None]


async def mark_seen(redis: aioredis.Redis, feed: str, keys: list[str], now: datetime) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        if keys:
            pipe.zadd(seen_key(feed), dict.fromkeys(keys, now.timestamp()))
        pipe.zremrangebyscore(seen_key(feed), "-inf", now.timestamp() - SEEN_DAYS * 86400)
        await pipe.execute()
