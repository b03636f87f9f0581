"""Group commit: the articles of concurrent requests go to Redis together.

While one publish call is in flight, articles that arrive wait and then go in the next
call, together. Under load that turns many one-article round trips into a few larger
ones (the Redis client's own cost is about 100 us of CPU per call, more than the script
spends per article); without load, an article goes at once, alone. Every caller still
gets its answer only after its own articles are in the stream, and a failed call fails
every request in it, with nothing of them written (see :func:`publish`). Each caller's
articles stay one order in the call: admitted or refused (BacklogFull) whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import redis.asyncio as aioredis

from services.ingest.publish import BacklogFull, Published, publish
from shared.schemas import RawArticle

# One call's articles at most: bounds the time Redis spends in one script.
MAX_RUN_ARTICLES = 2000


class _Order:
    def __init__(self, articles: Sequence[RawArticle]) -> None:
        self.articles = articles
        self.done: asyncio.Future[list[Published]] = asyncio.get_running_loop().create_future()


class Press:
    def __init__(self, redis: aioredis.Redis, ttl_seconds: int, max_backlog: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._max_backlog = max_backlog
        self._waiting: list[_Order] = []
        self._run: asyncio.Task[None] | None = None

    async def publish(self, articles: Sequence[RawArticle]) -> list[Published]:
        """What :func:`publish` makes of ``articles``, published with whatever else is
        waiting. Raises BacklogFull when they would take the backlog past the limit, and
        what :func:`publish` raises."""
        if not articles:
            return []
        order = _Order(articles)
        self._waiting.append(order)
        if self._run is None:
            # A task of its own: a caller that goes away must not stop the others' run.
            self._run = asyncio.create_task(self._press())
        return await asyncio.shield(order.done)

    async def _press(self) -> None:
        try:
            while self._waiting:
                await self._press_one(self._next_run())
        finally:
            self._run = None

    def _next_run(self) -> list[_Order]:
        run, count = [], 0
        while self._waiting and (not run or count + len(self._waiting[0].articles) <= MAX_RUN_ARTICLES):
            order = self._waiting.pop(0)
            run.append(order)
            count += len(order.articles)
        return run

    async def _press_one(self, run: list[_Order]) -> None:
        try:
            outcomes = await publish(self._redis, [o.articles for o in run], self._ttl, self._max_backlog)
        except BaseException as exc:  # handed to every caller of this run
            failure = exc if isinstance(exc, Exception) else RuntimeError("ingest is stopping")
            for order in run:
                order.done.set_exception(failure)
            if failure is not exc:
                raise
            return
        for order, outcome in zip(run, outcomes, strict=True):
            if isinstance(outcome, BacklogFull):
                order.done.set_exception(outcome)
            else:
                order.done.set_result(outcome)
