"""Redis goes away and comes back: search answers throughout, stays ready (/readyz 200: compose
and load balancers keep sending it searches) and says what is degraded, and the indexer picks
up again by itself, in the same process.

A real private redis-server is stopped and started again on the same port, once keeping its
data (a restart with its AOF) and once losing it (a new, empty server: the groups are gone),
while a client searches every few milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from shared.redis_server import PrivateRedis, free_port
from shared.streams import ENRICHED, add_all
from tests.factories import story
from tests.integration.polling import eventually

OUTAGE_S = 6.0


class Outage:
    """One redis-server on a fixed port that can be stopped and started again."""

    def __init__(self, directory: Path, *, keeps_data: bool) -> None:
        self.port = free_port()
        self.directory = directory
        self.keeps_data = keeps_data
        self.server = self._new().start()

    @property
    def url(self) -> str:
        return self.server.url

    def _new(self) -> PrivateRedis:
        directory = self.directory if self.keeps_data else None  # None: a fresh, empty one each time
        return PrivateRedis(port=self.port, appendonly=self.keeps_data, directory=directory)

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = self._new().start()


@asynccontextmanager
async def index_service(
    redis_url: str, data_dir: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update(DATELINE_REDIS_URL=redis_url, DATELINE_DATA_DIR=str(data_dir), DATELINE_SEARCH_PORT=str(port),
               DATELINE_LOG_LEVEL="WARNING", DATELINE_INDEX_BATCH_SIZE="16")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.index", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            await eventually(lambda: _status_is(http, "/readyz", 200), timeout=60)
        yield process, base
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def _status_is(http: httpx.AsyncClient, path: str, status: int) -> bool:
    try:
        return (await http.get(path)).status_code == status
    except httpx.TransportError:
        return False


async def _found(http: httpx.AsyncClient, title: str) -> bool:
    body = (await http.get("/v1/search", params={"q": f'title:"{title}"'})).json()
    return body["total"] == 1


async def _publish(redis_url: str, n: int, title: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        await add_all(client, ENRICHED, [story(n, title=title)])
    finally:
        await client.aclose()


async def _readiness(http: httpx.AsyncClient) -> dict:
    return (await http.get("/readyz")).json()


@pytest.mark.parametrize("keeps_data", [True, False], ids=["restart", "restart_empty"])
async def test_search_answers_through_a_redis_restart_and_indexing_resumes(tmp_path, keeps_data):
    redis = Outage(tmp_path / "redis", keeps_data=keeps_data)
    try:
        async with index_service(redis.url, tmp_path / "data") as (process, base), \
                httpx.AsyncClient(base_url=base, timeout=5) as http:
            await _publish(redis.url, 1, "Harbour reopens before the storm")
            await eventually(lambda: _found(http, "Harbour reopens before the storm"), timeout=30)

            answers: Counter = Counter()
            searching = True

            async def search_every_few_ms() -> None:
                async with httpx.AsyncClient(base_url=base, timeout=5) as client:
                    while searching:
                        try:
                            answers[(await client.get("/v1/search", params={"q": "harbour"})).status_code] += 1
                        except httpx.TransportError as exc:
                            answers[type(exc).__name__] += 1
                        await asyncio.sleep(0.005)  # the client's pace

            searcher = asyncio.create_task(search_every_few_ms())
            try:
                await asyncio.to_thread(redis.stop)  # searches go on meanwhile
                degraded = await eventually(lambda: _degraded(http), timeout=30)
                assert "redis" in degraded["degraded"]
                assert degraded["ready"] is True and degraded["failures"] == {}
                # The outage itself (not a wait for anything): longer than redis-py's retry budget
                # (~5 s), which hid short outages from the service of before, while search is polled.
                await asyncio.sleep(OUTAGE_S)
                still = await _degraded(http)
                assert still and "redis" in still["degraded"], "the service should still answer, degraded"
                await asyncio.to_thread(redis.start)
                await eventually(lambda: _whole(http), timeout=30)
                await _publish(redis.url, 2, "Ferries sail again after the storm")
                await eventually(lambda: _found(http, "Ferries sail again after the storm"), timeout=30)
            finally:
                searching = False
                await searcher
            assert process.returncode is None, "the index service exited"
            assert set(answers) == {200} and answers[200] > 50, answers
            assert (await http.get("/v1/search", params={"q": "harbour"})).json()["total"] == 1
    finally:
        redis.stop()


async def _degraded(http: httpx.AsyncClient) -> dict | None:
    """/readyz while something is degraded: it must still be a 200."""
    try:
        answer = await http.get("/readyz")
    except httpx.TransportError:
        return None
    assert answer.status_code == 200, answer.text
    return answer.json() if answer.json()["degraded"] else None


async def _whole(http: httpx.AsyncClient) -> bool:
    answer = await http.get("/readyz")
    return answer.status_code == 200 and answer.json()["degraded"] == {}


async def test_the_service_starts_without_redis_and_indexes_once_it_comes(tmp_path):
    redis = Outage(tmp_path / "redis", keeps_data=False)
    redis.stop()
    try:
        async with index_service(redis.url, tmp_path / "data") as (process, base), \
                httpx.AsyncClient(base_url=base, timeout=5) as http:
            waiting = await http.get("/readyz")
            assert waiting.status_code == 200 and set(waiting.json()["degraded"]) == {"redis", "indexer"}
            assert (await http.get("/v1/search")).status_code == 200
            await asyncio.to_thread(redis.start)
            await eventually(lambda: _whole(http), timeout=30)
            await _publish(redis.url, 3, "Lighthouse keeper retires")
            await eventually(lambda: _found(http, "Lighthouse keeper retires"), timeout=30)
            assert process.returncode is None
    finally:
        redis.stop()
