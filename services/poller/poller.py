"""Poll the followed feeds that are due, and push their new items through ingest's intake.

A pass takes the due feeds, groups them by host and polls each host's feeds one after
the other with a minimum gap (hosts in parallel, up to a bound): one request at a time
per host. A poll is a conditional GET (fetch.py); a feed's new items (URLs not pushed
before) are XADDed to dateline:incoming, where ingest's own consumer validates,
normalises and de-duplicates them as it does any producer's. What the poll learnt (the
validators for the next conditional GET, success or the error in words, the next time,
a move) is recorded on the feed; a failing feed is flagged by its count, never dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import msgspec
import redis.asyncio as aioredis
from prometheus_client import Counter

from services.poller.addresses import AddressPolicy, Resolver, system_resolver
from services.poller.fetch import Fetched, FetchFailed, Limits, fetch
from services.poller.schedule import after_failure, after_success
from shared import followed_feeds as feeds
from shared.feeds import Document, FeedError, parse_document
from shared.logging import get_logger
from shared.streams import INCOMING, INCOMING_FIELD

log = get_logger("dateline.poller")

HOSTS_AT_ONCE = 8
POLLS = Counter(
    "dateline_poller_polls_total",
    "Feed polls by outcome: new_items, no_new_items, unchanged (a 304) or failed.",
    ["outcome"],
)
ITEMS_PUSHED = Counter("dateline_poller_items_pushed_total", "Feed items pushed to dateline:incoming.")


class _Addressed(msgspec.Struct):
    url: str = ""


class Poller:
    def __init__(self, redis: aioredis.Redis, client: httpx.AsyncClient, policy: AddressPolicy,
                 limits: Limits, host_gap_s: float, resolve: Resolver = system_resolver,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.redis = redis
        self.client = client
        self.policy = policy
        self.limits = limits
        self.host_gap_s = host_gap_s
        self.resolve = resolve
        self.clock = clock
        self.last_request: dict[str, float] = {}  # host -> monotonic time of its last request
        self.hosts = asyncio.Semaphore(HOSTS_AT_ONCE)

    async def poll_due(self) -> int:
        """One pass over the feeds that are due; the number polled."""
        due = await feeds.due(self.redis, self.clock())
        by_host: dict[str, list] = defaultdict(list)
        for subscription, health in due:
            by_host[urlsplit(subscription.url).hostname or ""].append((subscription, health))
        await asyncio.gather(*(self._poll_host(host, queue) for host, queue in by_host.items()))
        return len(due)

    async def _poll_host(self, host: str, queue: list) -> None:
        async with self.hosts:
            for subscription, health in queue:
                await self._wait_for_turn(host)
                await self.poll(subscription, health)

    async def _wait_for_turn(self, host: str) -> None:
        last = self.last_request.get(host)
        if last is not None:
            await asyncio.sleep(max(0.0, last + self.host_gap_s - time.monotonic()))  # politeness
        self.last_request[host] = time.monotonic()

    async def poll(self, subscription: feeds.Subscription, health: feeds.FeedHealth | None) -> feeds.FeedHealth:
        health = health or feeds.FeedHealth(interval_s=subscription.every_s)
        now = self.clock()
        try:
            result = await fetch(self.client, subscription.url, etag=health.etag, last_modified=health.last_modified,
                                 policy=self.policy, limits=self.limits, resolve=self.resolve)
            if result.moved_to:
                health = msgspec.structs.replace(health, moved_from=subscription.url)
                subscription = await feeds.record_move(self.redis, subscription, result.moved_to)
                log.warning("feed.moved", feed=subscription.id, url=subscription.url, moved_from=health.moved_from)
            pushed, refused = await self._take(subscription, result) if isinstance(result, Fetched) else (0, 0)
        except FetchFailed as exc:
            health = self._failed(subscription, health, now, exc.reason, exc.retry_after_s)
        except FeedError as exc:
            health = self._failed(subscription, health, now, str(exc).removeprefix(subscription.url + ": "), None)
        else:
            health = self._succeeded(subscription, health, now, result, pushed, refused)
        await feeds.record_poll(self.redis, subscription, health)
        return health

    async def _take(self, subscription: feeds.Subscription, fetched: Fetched) -> tuple[int, int]:
        document = parse_document(fetched.body, subscription.url, content_type=fetched.content_type,
                                  location=fetched.url)
        return await self._push_new(subscription, document), len(document.refused)

    async def _push_new(self, subscription: feeds.Subscription, document: Document) -> int:
        by_url = {msgspec.json.decode(item.body, type=_Addressed).url: item for item in document.items}
        new = await feeds.unseen(self.redis, subscription.id, list(by_url))
        if new:
            # pushed before marked seen: a crash in between pushes again, and ingest's
            # de-duplication recognises the copy; the other order could lose an item
            async with self.redis.pipeline(transaction=False) as pipe:
                for url in new:
                    pipe.xadd(INCOMING, {INCOMING_FIELD: by_url[url].body})
                await pipe.execute()
        await feeds.mark_seen(self.redis, subscription.id, new, self.clock())
        return len(new)

    def _succeeded(self, subscription, health, now, result, pushed: int, refused: int) -> feeds.FeedHealth:
        interval = after_success(health.interval_s, subscription.every_s, pushed)
        fetched = isinstance(result, Fetched)
        POLLS.labels("new_items" if pushed else "no_new_items" if fetched else "unchanged").inc()
        ITEMS_PUSHED.inc(pushed)
        log.info("feed.polled", feed=subscription.id, url=subscription.url, new_items=pushed,
                 unchanged=not fetched, next_in_s=round(interval))
        return msgspec.structs.replace(
            health, interval_s=interval, failures=0, last_polled_at=now, last_success_at=now,
            next_poll_at=now + timedelta(seconds=interval),
            etag=result.etag if fetched else health.etag,
            last_modified=result.last_modified if fetched else health.last_modified,
            refused_items=refused if fetched else health.refused_items,
        )

    def _failed(self, subscription, health, now, reason: str, retry_after_s: float | None) -> feeds.FeedHealth:
        failures = health.failures + 1
        wait = after_failure(failures, retry_after_s)
        POLLS.labels("failed").inc()
        log.warning("feed.failed", feed=subscription.id, url=subscription.url, error=reason, failures=failures,
                    next_in_s=round(wait))
        return msgspec.structs.replace(
            health, failures=failures, last_polled_at=now, last_error=reason, last_error_at=now,
            next_poll_at=now + timedelta(seconds=wait),
        )
