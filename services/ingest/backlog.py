"""Backpressure: how far enrichment is behind on dateline:raw.

Ingest refuses a request (429 with Retry-After) when its new articles would take the
``enrich`` group past ``max_backlog`` entries waiting (not yet delivered) or in progress
(pending), instead of letting the stream grow without bound or trimming work nobody has
done. That check is made where it cannot race, in the publishing script
(:mod:`services.ingest.publish`). The figure here, read with one XINFO GROUPS and reused
for ``CACHE_SECONDS``, serves what may be a moment late: the gauge, turning requests away
early while the backlog is full, and the dateline:incoming reader's pause.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis.asyncio as aioredis
from prometheus_client import Gauge

from shared.streams import ENRICH_GROUP, RAW, unfinished

GROUP = ENRICH_GROUP
CACHE_SECONDS = 0.5
RETRY_AFTER_SECONDS = 2

BACKLOG = Gauge(
    "dateline_ingest_backlog_entries",
    "Entries of dateline:raw the enrich group has not finished (lag + pending), last read.",
)


class Backlog:
    """The enrich backlog, re-read from Redis at most every ``CACHE_SECONDS``."""

    def __init__(
        self,
        redis: aioredis.Redis,
        limit: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self.limit = limit
        self._clock = clock
        self._size = 0
        self._read_at = float("-inf")

    async def size(self) -> int:
        if self._clock() - self._read_at >= CACHE_SECONDS:
            self._size = await self._read()
            self._read_at = self._clock()
            BACKLOG.set(self._size)
        return self._size

    async def full(self) -> bool:
        """No room for even one more entry (as of the last reading)."""
        return await self.size() >= self.limit

    async def _read(self) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xinfo_groups(RAW)
            pipe.xlen(RAW)
            groups, length = await pipe.execute(raise_on_error=False)
        if isinstance(groups, Exception):  # no stream yet: nothing is waiting
            if "no such key" in str(groups).lower():
                return 0
            raise groups
        if isinstance(length, Exception):
            raise length
        return unfinished(groups, int(length), GROUP)

