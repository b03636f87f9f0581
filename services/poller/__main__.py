"""`python -m services.poller`: follow the feeds `dateline feeds add` lists, until SIGTERM.

It serves /healthz, /readyz (Redis answers) and /metrics on DATELINE_POLLER_PORT, like
every service; the service runtime (:mod:`shared.runtime`) runs it.
"""

from __future__ import annotations

import sys
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from services.poller.addresses import AddressPolicy
from services.poller.fetch import Limits, new_client
from services.poller.poller import Poller
from shared import followed_feeds as feeds
from shared.auth import OperatorKeys
from shared.health import HealthApp
from shared.logging import get_logger
from shared.runtime import Service, redis_client, redis_readiness, run_service
from shared.serving import InLoopServer
from shared.settings import Settings

log = get_logger("dateline.poller")

NAP_S = (0.5, 5.0)  # between passes: until the next feed is due, within these bounds


def build(settings: Settings) -> Service:
    """The poller's composition root: one Redis client, one HTTP client, one loop."""
    redis = redis_client(settings)
    app = HealthApp({"redis": redis_readiness(redis)}, OperatorKeys(settings.admin_keys))
    limits = Limits(max_bytes=settings.poll_max_bytes, timeout_s=settings.poll_timeout_s)
    policy = AddressPolicy(settings.poll_allow_private)

    async def poll_until_stopped() -> None:
        async with new_client() as client:
            poller = Poller(redis, client, policy, limits, settings.poll_host_gap_s)
            while not service.stopping:
                nap = NAP_S[1]
                try:
                    await poller.poll_due()
                    nap = await _until_next(redis)
                except RedisError as exc:
                    log.warning("redis.unavailable", error=f"{type(exc).__name__}: {exc}")
                await service.pause(nap)  # a scheduler's wait, cut short by SIGTERM

    service = Service(
        "poller", settings, http=InLoopServer(app, settings.poller_host, settings.poller_port), redis=redis,
        loops=(poll_until_stopped,), started={"allow_private": settings.poll_allow_private, "port": settings.poller_port},
    )
    return service


async def _until_next(redis: aioredis.Redis) -> float:
    due_at = await feeds.next_due_at(redis)
    if due_at is None:
        return NAP_S[1]
    return min(NAP_S[1], max(NAP_S[0], due_at - time.time()))


if __name__ == "__main__":
    sys.exit(run_service("poller", build))
