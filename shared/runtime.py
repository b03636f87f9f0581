"""What every Dateline service process does the same way at run time: name itself as a
consumer, tell readiness whether Redis answers, and run until SIGTERM or SIGINT.

Services wire their own parts (bootstrap/worker/service modules); these steps are the
ones they share, so a fix to any of them is made once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

ReadinessCheck = Callable[[], Awaitable[str | None]]


def consumer_name(service: str) -> str:
    """Unique per process, and says where to look: the service, host and pid."""
    return f"{service}-{socket.gethostname()}-{os.getpid()}"


def redis_readiness(redis: aioredis.Redis) -> ReadinessCheck:
    """A readiness check: None while Redis answers PING (an exception is a failed check)."""

    async def check() -> str | None:
        return None if await redis.ping() else "Redis did not answer PING"

    return check


async def run_until_signalled(stop: Callable[[], None], run: Callable[[], Awaitable[int]]) -> int:
    """Run ``run`` with SIGTERM and SIGINT calling ``stop`` (a graceful stop); its exit code."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    return await run()
