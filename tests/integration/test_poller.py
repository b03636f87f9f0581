"""The poller against local HTTP servers and a real Redis: new items go to ingest's intake once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import msgspec
import pytest

from services.poller.addresses import AddressPolicy
from services.poller.fetch import Limits, new_client
from services.poller.poller import Poller
from shared import followed_feeds as feeds
from shared.streams import INCOMING
from tests.integration.feed_server import answer, feed_server, rss

LOCAL = AddressPolicy(allowed=["127.0.0.1/32"])


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def poller(redis):
    clock = Clock()
    async with new_client() as client:
        poller = Poller(redis, client, LOCAL, Limits(timeout_s=5), host_gap_s=0.0, clock=clock)
        poller.clock_ = clock
        yield poller


async def pushed_urls(redis) -> list[str]:
    return [msgspec.json.decode(fields[b"article"])["url"] for _, fields in await redis.xrange(INCOMING)]


async def poll_again(poller, after_s: float) -> int:
    poller.clock_.now += timedelta(seconds=after_s)
    return await poller.poll_due()


async def test_new_items_go_to_intake_once_and_unchanged_feeds_cost_a_304(poller, redis):
    versions = {"etag": '"1"', "body": rss(("Pier reopens", "https://desk.example/pier"),
                                           ("Tram extended", "https://desk.example/tram"))}

    def feed(handler):
        if handler.headers.get("If-None-Match") == versions["etag"]:
            answer(304)(handler)
        else:
            answer(200, versions["body"], ETag=versions["etag"], Content_Type="application/rss+xml")(handler)

    with feed_server({"/rss": feed}) as server:
        await feeds.follow(redis, server.url("/rss"), every_s=900, now=poller.clock_.now)
        assert await poller.poll_due() == 1
        assert await pushed_urls(redis) == ["https://desk.example/pier", "https://desk.example/tram"]
        assert await poller.poll_due() == 0  # not due again yet

        assert await poll_again(poller, 3600) == 1  # unchanged: 304
        assert server.requests[-1][1]["If-None-Match"] == '"1"'
        assert len(await pushed_urls(redis)) == 2

        versions.update(etag='"2"', body=rss(("Ferry back", "https://desk.example/ferry"),
                                              ("Pier reopens", "https://desk.example/pier")))
        await poll_again(poller, 3600 * 6)
        assert await pushed_urls(redis) == ["https://desk.example/pier", "https://desk.example/tram",
                                            "https://desk.example/ferry"]
        [listed] = await feeds.followed(redis, poller.clock_.now)
        assert listed.state == "ok" and listed.health.etag == '"2"' and listed.health.last_error is None
        assert listed.items_24h == 3
        [later] = await feeds.followed(redis, poller.clock_.now + timedelta(hours=20))
        assert later.items_24h == 1  # the ferry: the first two were pushed more than a day before


async def test_quiet_feeds_are_polled_less_often_and_busy_ones_more(poller, redis):
    with feed_server({"/rss": answer(200, rss(("A", "https://desk.example/a")))}) as server:
        await feeds.follow(redis, server.url("/rss"), every_s=900, now=poller.clock_.now)
        await poller.poll_due()
        [first] = await feeds.followed(redis, poller.clock_.now)
        assert first.health.interval_s == 450  # new items: twice as often
        await poll_again(poller, 450)
        [second] = await feeds.followed(redis, poller.clock_.now)
        assert second.health.interval_s == 675  # nothing new: half as often again


async def test_a_failing_feed_backs_off_is_flagged_and_is_never_dropped(poller, redis):
    with feed_server({"/rss": answer(500)}) as server:
        await feeds.follow(redis, server.url("/rss"), every_s=900, now=poller.clock_.now)
        waits = []
        for _ in range(10):
            await poll_again(poller, 6 * 3600 * 1.2)
            [feed] = await feeds.followed(redis, poller.clock_.now)
            waits.append((feed.health.next_poll_at - feed.health.last_polled_at).total_seconds())
        assert feed.state == "failing" and feed.health.failures == 10 and feed.health.last_error == "HTTP 500"
        assert waits[0] < waits[1] < waits[2] < waits[3]  # 1, 2, 4, 8 minutes (with jitter)
        assert await redis.zscore(feeds.DUE, feed.subscription.id) is not None  # still followed


async def test_retry_after_is_honoured(poller, redis):
    with feed_server({"/rss": answer(503, Retry_After="7200")}) as server:
        await feeds.follow(redis, server.url("/rss"), every_s=900, now=poller.clock_.now)
        await poller.poll_due()
        [feed] = await feeds.followed(redis, poller.clock_.now)
        assert (feed.health.next_poll_at - feed.health.last_polled_at).total_seconds() == 7200
        assert feed.state == "backing off"


async def test_a_feed_that_moves_is_followed_at_its_new_address(poller, redis):
    with feed_server() as server:
        server.routes["/old"] = answer(301, Location="/new")
        server.routes["/new"] = answer(200, rss(("A", "https://desk.example/a")))
        added = await feeds.follow(redis, server.url("/old"), every_s=900, now=poller.clock_.now)
        await poller.poll_due()
        [feed] = await feeds.followed(redis, poller.clock_.now)
        assert feed.subscription.id == added.id and feed.subscription.url == server.url("/new")
        assert feed.health.moved_from == server.url("/old")
        await poll_again(poller, 3600)
        assert server.requests[-1][0] == "/new"


async def test_private_addresses_are_refused_and_the_error_is_shown(redis):
    with feed_server({"/rss": answer(200, rss(("A", "https://desk.example/a")))}) as server:
        async with new_client() as client:
            poller = Poller(redis, client, AddressPolicy(), Limits(), host_gap_s=0.0)
            await feeds.follow(redis, server.url("/rss"), every_s=900)
            await poller.poll_due()
        [feed] = await feeds.followed(redis)
        assert "127.0.0.1 is not a public address" in feed.health.last_error
        assert server.requests == [] and await redis.xlen(INCOMING) == 0


async def test_one_request_at_a_time_per_host_with_a_gap(redis):
    stamps = []

    def timed(handler):
        stamps.append(time.monotonic())
        answer(200, rss())(handler)

    with feed_server({"/a": timed, "/b": timed, "/c": timed}) as server:
        async with new_client() as client:
            poller = Poller(redis, client, LOCAL, Limits(), host_gap_s=0.3)
            for path in ("/a", "/b", "/c"):
                await feeds.follow(redis, server.url(path), every_s=900)
            assert await poller.poll_due() == 3
    gaps = [later - earlier for earlier, later in pairwise(stamps)]
    assert len(stamps) == 3 and min(gaps) >= 0.29


async def test_a_feed_removed_while_it_was_polled_is_not_revived(poller, redis):
    with feed_server({"/rss": answer(200, rss())}) as server:
        added = await feeds.follow(redis, server.url("/rss"), every_s=900, now=poller.clock_.now)
        [(subscription, health)] = await feeds.due(redis, poller.clock_.now)
        await feeds.unfollow(redis, server.url("/rss"))
        await poller.poll(subscription, health)
        assert await feeds.followed(redis) == []
        assert not await redis.exists(feeds.DUE, feeds.health_key(added.id), feeds.seen_key(added.id))
