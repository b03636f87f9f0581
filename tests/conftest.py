"""Fixtures shared by every test layer: a private redis-server per session, clean per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from shared.redis_server import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[PrivateRedis]:
    """Our own redis-server on a free port; never the machine's shared one."""
    with PrivateRedis() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server: PrivateRedis) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: people outside the team do not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (team-only; see README)")
    return SHARED_DATA


@pytest.fixture
def env_clean(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("DATELINE_"):
            monkeypatch.delenv(key)
    return monkeypatch
