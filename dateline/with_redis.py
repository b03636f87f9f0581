"""One CLI command's Redis work: a client for the duration of one async operation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis

from shared.runtime import redis_client
from shared.settings import Settings

T = TypeVar("T")


def run_with_redis(settings: Settings, operation: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
    """``operation(client)`` on a client of the configured Redis, closed afterwards."""

    async def with_client() -> T:
        client = redis_client(settings)  # the services' timeouts and retries: a CLI that cannot hang
        try:
            return await operation(client)
        finally:
            await client.aclose()

    return asyncio.run(with_client())
