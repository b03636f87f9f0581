"""The poller's fetch against local HTTP servers: conditional GET, redirects, limits, SSRF."""

from __future__ import annotations

import threading

import pytest

from services.poller.addresses import AddressPolicy
from services.poller.fetch import Fetched, FetchFailed, Limits, NotModified, fetch, new_client
from tests.integration.feed_server import answer, feed_server, rss

LOCAL = AddressPolicy(allowed=["127.0.0.1/32"])  # these tests' servers, and nothing else private
FEED = rss(("Pier reopens", "https://desk.example/pier"))


async def _fetch(url: str, **options):
    async with new_client() as client:
        return await fetch(client, url, policy=options.pop("policy", LOCAL), **options)


async def test_a_feed_then_not_modified_with_its_etag_and_date():
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            answer(304)(handler)
        else:
            answer(200, FEED, Content_Type="application/rss+xml", ETag='"v1"',
                   Last_Modified="Mon, 02 Nov 2026 07:30:00 GMT")(handler)

    with feed_server({"/rss": conditional}) as server:
        first = await _fetch(server.url("/rss"))
        assert isinstance(first, Fetched) and first.body == FEED and first.etag == '"v1"'
        again = await _fetch(server.url("/rss"), etag=first.etag, last_modified=first.last_modified)
        assert again == NotModified()
        sent = server.requests[-1][1]
        assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Mon, 02 Nov 2026 07:30:00 GMT"
        assert sent["Host"] == server.base.removeprefix("http://")  # the name, though the IP was dialled


async def test_a_feed_that_moved_permanently_says_where_to():
    with feed_server() as server:
        server.routes["/old"] = answer(301, Location="/new")
        server.routes["/new"] = answer(200, FEED)
        fetched = await _fetch(server.url("/old"))
        assert fetched.moved_to == server.url("/new") and fetched.url == server.url("/new")
        server.routes["/temporary"] = answer(302, Location="/new")
        assert (await _fetch(server.url("/temporary"))).moved_to is None


async def test_redirects_past_the_limit_fail():
    with feed_server() as server:
        for n in range(8):
            server.routes[f"/hop{n}"] = answer(302, Location=f"/hop{n + 1}")
        with pytest.raises(FetchFailed, match="more than 5 redirects"):
            await _fetch(server.url("/hop0"))


async def test_errors_busy_servers_and_retry_after():
    with feed_server({"/broken": answer(500), "/busy": answer(429, Retry_After="120")}) as server:
        with pytest.raises(FetchFailed, match="HTTP 500"):
            await _fetch(server.url("/broken"))
        with pytest.raises(FetchFailed) as busy:
            await _fetch(server.url("/busy"))
        assert busy.value.retry_after_s == 120


async def test_a_huge_answer_is_abandoned_at_the_limit():
    def endless(handler):
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the limit is found by reading
        try:
            for _ in range(1000):
                handler.wfile.write(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass

    with feed_server({"/huge": endless, "/declared": answer(200, b"x" * 2048)}) as server:
        with pytest.raises(FetchFailed, match="larger than 1,048,576 bytes"):
            await _fetch(server.url("/huge"), limits=Limits(max_bytes=1024 * 1024))
        with pytest.raises(FetchFailed, match=r"larger than 1,024 bytes \(2,048\)"):
            await _fetch(server.url("/declared"), limits=Limits(max_bytes=1024))


async def test_a_slow_server_meets_the_deadline():
    release = threading.Event()

    def slow(handler):
        release.wait(10)
        answer(200, FEED)(handler)

    with feed_server({"/slow": slow}) as server:
        try:
            with pytest.raises(FetchFailed, match="no complete answer within 1 s"):
                await _fetch(server.url("/slow"), limits=Limits(timeout_s=1.0))
        finally:
            release.set()


async def test_private_addresses_are_refused_unless_allowed():
    with feed_server({"/rss": answer(200, FEED)}) as server:
        with pytest.raises(FetchFailed, match="not a public address"):
            await _fetch(server.url("/rss"), policy=AddressPolicy())
        assert server.requests == []  # refused before connecting
        assert isinstance(await _fetch(server.url("/rss"), policy=AddressPolicy(allow_private=True)), Fetched)


async def test_a_redirect_to_a_refused_address_is_not_followed():
    with feed_server() as server:
        port = server.server.server_address[1]
        server.routes["/rss"] = answer(302, Location=f"http://127.0.0.2:{port}/inside")
        with pytest.raises(FetchFailed, match="127.0.0.2 is not a public address"):
            await _fetch(server.url("/rss"))
        assert [path for path, _ in server.requests] == ["/rss"]


async def test_only_http_and_https():
    with pytest.raises(FetchFailed, match="not an http"):
        await _fetch("file:///etc/passwd")
