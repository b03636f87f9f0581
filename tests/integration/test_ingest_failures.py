"""When Redis fails or enrichment falls behind: errors the caller sees, nothing half-written."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

import msgspec

from services.ingest.backlog import Backlog
from services.ingest.publish import SEEN_PREFIX
from shared.redis_server import PrivateRedis
from shared.schemas import ErrorBody
from shared.streams import RAW
from tests.integration.test_ingest_api import (
    AUTH,
    article,
    ndjson,
    raw_entries,
    running_ingest,
    settings_for,
)

NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}


class CuttingProxy:
    """A TCP proxy in front of Redis that, while ``cutting``, forwards what a client sends
    up to ``marker`` and then drops the connection: Redis gone in the middle of a request,
    after some of its commands arrived."""

    def __init__(self, port: int, marker: bytes) -> None:
        self.upstream_port = port
        self.marker = marker
        self.cutting = True
        self.cuts = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        back = asyncio.create_task(self._pump(redis_r, client_w))
        self._tasks.add(back)
        try:
            while data := await client_r.read(65536):
                if self.cutting and self.marker in data:
                    redis_w.write(data[: data.index(self.marker)])
                    await redis_w.drain()
                    self.cuts += 1
                    break
                redis_w.write(data)
                await redis_w.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            back.cancel()
            for writer in (redis_w, client_w):
                writer.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


def error_of(response) -> ErrorBody:
    return msgspec.json.decode(response.content, type=ErrorBody)


async def test_redis_lost_mid_request_is_503_and_nothing_is_written(redis, redis_server):
    # Cut inside the second article's command: the first one has fully reached Redis.
    marker = article(2)["title"].encode()
    async with (
        CuttingProxy(redis_server.port, marker) as proxy,
        running_ingest(settings_for(proxy.url)) as ingest,
    ):
        body = ndjson(article(1), article(2), article(3))
        response = await ingest.post("/v1/articles", content=body, headers=NDJSON)
        assert response.status_code == 503, response.text
        assert error_of(response).error == "redis_unavailable"
        assert response.headers["Retry-After"]
        assert proxy.cuts >= 1  # the request really was cut short
        assert await redis.xlen(RAW) == 0
        assert await redis.keys(SEEN_PREFIX + "*") == []

        proxy.cutting = False  # Redis is back: the same request now goes through whole
        response = await ingest.post("/v1/articles", content=body, headers=NDJSON)
        assert response.status_code == 202
        assert [r["status"] for r in response.json()["results"]] == ["accepted"] * 3
    assert len(await raw_entries(redis)) == 3


async def test_redis_stopped_is_503_and_not_ready(tmp_path):
    server = PrivateRedis(directory=tmp_path / "redis").start()
    try:
        async with running_ingest(settings_for(server.url)) as ingest:
            assert (await ingest.post("/v1/articles", json=article(1), headers=AUTH)).status_code == 202
            server.kill()
            response = await ingest.post("/v1/articles", json=article(2), headers=AUTH)
            assert response.status_code == 503, response.text
            found = error_of(response)
            assert (found.status, found.error) == (503, "redis_unavailable")
            assert "nothing of this request was published" in found.detail
            ready = await ingest.get("/readyz")
            assert ready.status_code == 503 and "redis" in ready.json()["failures"]
    finally:
        server.stop()


async def test_a_request_that_would_pass_the_backlog_limit_is_429_until_enrichment_catches_up(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_backlog=3)) as ingest:
        body = ndjson(*[article(n) for n in range(3)])
        assert (await ingest.post("/v1/articles", content=body, headers=NDJSON)).status_code == 202

        response = await ingest.post("/v1/articles", json=article(99), headers=AUTH)  # 3 + 1 > 3
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        found = error_of(response)
        assert found.error == "backlog_full" and "past 3 articles waiting" in found.detail
        assert await redis.xlen(RAW) == 3

        entries = await redis.xreadgroup("enrich", "test", {RAW: ">"})
        await redis.xack(RAW, "enrich", *[entry_id for entry_id, _ in entries[0][1]])
        response = await ingest.post("/v1/articles", json=article(100), headers=AUTH)
        assert response.status_code == 202
        assert await redis.xlen(RAW) == 4


async def test_concurrent_requests_never_take_the_backlog_past_the_limit(redis, redis_url):
    # No enrich worker: every accepted article stays in the backlog.
    async with running_ingest(settings_for(redis_url, max_backlog=200)) as ingest:
        requests = [
            ingest.post("/v1/articles", json=[article(10 * n + i) for i in range(10)], headers=AUTH)
            for n in range(50)
        ]
        statuses = sorted(response.status_code for response in await asyncio.gather(*requests))
    assert statuses == [202] * 20 + [429] * 30
    assert await redis.xlen(RAW) == 200


async def test_a_request_larger_than_the_backlog_limit_is_413(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_backlog=5)) as ingest:
        response = await ingest.post("/v1/articles", json=[article(n) for n in range(6)], headers=AUTH)
    found = error_of(response)
    assert (found.status, found.error) == (413, "too_many_articles")
    assert "DATELINE_MAX_BACKLOG=5" in found.detail


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_figure_is_reread_only_after_the_cache_time(redis):
    clock = FakeClock()
    backlog = Backlog(redis, limit=3, clock=clock)
    assert await backlog.size() == 0  # no stream yet: nothing waits
    await redis.xadd("dateline:raw", {"__data__": b"{}"})
    await redis.xadd("dateline:raw", {"__data__": b"{}"})
    assert await backlog.size() == 0  # cached
    clock.now += 1.0
    assert await backlog.size() == 2 and not await backlog.full()
    await redis.xadd("dateline:raw", {"__data__": b"{}"})
    clock.now += 1.0
    assert await backlog.full()
