"""`python -m services.poller`: follow the feeds `dateline feeds add` lists, until SIGTERM.

It serves /healthz, /readyz (Redis answers) and /metrics on DATELINE_POLLER_PORT, like
every service.
"""

from __future__ import annotations

import asyncio
import sys
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.poller.addresses import AddressPolicy
from services.poller.fetch import Limits, new_client
from services.poller.poller import Poller
from shared import followed_feeds as feeds
from shared.http import InLoopServer, build_app
from shared.logging import configure_logging, get_logger
from shared.runtime import redis_readiness, run_until_signalled
from shared.settings import Settings, settings_or_exit

log = get_logger("dateline.poller")

NAP_S = (0.5, 5.0)  # between passes: until the next feed is due, within these bounds


async def run(settings: Settings, stop: asyncio.Event) -> int:
    redis = aioredis.Redis.from_url(settings.redis_url)
    app = build_app("poller", routes=[], checks={"redis": redis_readiness(redis)}, title="Dateline feed poller")
    limits = Limits(max_bytes=settings.poll_max_bytes, timeout_s=settings.poll_timeout_s)
    try:
        async with InLoopServer(app, settings.poller_host, settings.poller_port).running(), new_client() as client:
            poller = Poller(redis, client, AddressPolicy(settings.poll_allow_private), limits, settings.poll_host_gap_s)
            log.info("service.started", allow_private=settings.poll_allow_private, port=settings.poller_port)
            await _poll_until(stop, poller, redis)
    finally:
        await redis.aclose()
    log.info("service.stopped")
    return 0


async def _poll_until(stop: asyncio.Event, poller: Poller, redis: aioredis.Redis) -> None:
    while not stop.is_set():
        nap = NAP_S[1]
        try:
            await poller.poll_due()
            nap = await _until_next(redis)
        except RedisError as exc:
            log.error("redis.unavailable", error=f"{type(exc).__name__}: {exc}")
        try:  # a scheduler's wait, cut short by SIGTERM
            await asyncio.wait_for(stop.wait(), nap)
        except TimeoutError:
            pass


async def _until_next(redis: aioredis.Redis) -> float:
    due_at = await feeds.next_due_at(redis)
    if due_at is None:
        return NAP_S[1]
    return min(NAP_S[1], max(NAP_S[0], due_at - time.time()))


def main() -> int:
    settings = settings_or_exit("poller")
    configure_logging("poller", settings.log_level, settings.log_format)
    stop = asyncio.Event()
    return asyncio.run(run_until_signalled(stop.set, lambda: run(settings, stop)))


if __name__ == "__main__":
    sys.exit(main())
