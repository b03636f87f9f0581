"""Wires ingest together: one Redis client, the incoming stage, the HTTP app and its lifespan."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import msgspec
import redis.asyncio as aioredis
from litestar import Litestar

from services.ingest.api import articles_route
from services.ingest.backlog import Backlog
from services.ingest.extraction import PageReader
from services.ingest.incoming import incoming_handler
from services.ingest.intake import Intake
from services.ingest.normalise import load_language_model
from services.ingest.openapi import SECURITY_SCHEMES
from services.ingest.press import Press
from shared.broker import build_broker
from shared.consumer import Stage, add_stage
from shared.http import build_app
from shared.logging import get_logger
from shared.runtime import consumer_name, redis_readiness
from shared.settings import Settings
from shared.streams import INCOMING, INCOMING_FIELD, INGEST_GROUP, ensure_groups

log = get_logger("dateline.ingest")

WATCH_SECONDS = 1.0
# A request fails fast (503) when Redis is gone, rather than hanging its caller.
REDIS_TIMEOUTS = {"socket_timeout": 5.0, "socket_connect_timeout": 2.0}


class ConfigurationError(Exception):
    """Ingest must not start like this; the message says what to set."""


def check_can_start(settings: Settings) -> None:
    if not settings.redis_url:
        raise ConfigurationError(
            "DATELINE_REDIS_URL is not set: point it at Redis (`dateline up` starts a private one)"
        )
    if not settings.api_keys and not settings.open_ingest:
        raise ConfigurationError(
            "no API keys: set DATELINE_API_KEYS=key1,key2 (or DATELINE_OPEN_INGEST=true "
            "to accept unauthenticated pushes, for local use only)"
        )


def _faststream_logger() -> logging.Logger:
    logger = logging.getLogger("faststream.ingest")
    logger.setLevel(logging.WARNING)
    return logger


def stop_this_process() -> None:
    """Ask uvicorn for a graceful exit; the supervisor (or compose) starts ingest again."""
    os.kill(os.getpid(), signal.SIGTERM)


async def watch_incoming(stage: Stage, on_stopped: Callable[[], None]) -> None:
    """FastStream stops a subscriber for good when its group vanishes (a FLUSHALL, a
    deleted stream): then restart, which re-creates the groups, rather than serve on
    with dateline:incoming unread."""
    while stage.running:
        await asyncio.sleep(WATCH_SECONDS)
    log.error(
        "service.stage_stopped",
        reason="the dateline:incoming reader stopped (its consumer group is gone?); restarting",
    )
    on_stopped()


def create_app(settings: Settings, on_incoming_stopped: Callable[[], None] = stop_this_process) -> Litestar:
    check_can_start(settings)
    redis = aioredis.Redis.from_url(settings.redis_url, **REDIS_TIMEOUTS)
    backlog = Backlog(redis, settings.max_backlog)
    pages = PageReader(settings.html_workers, settings.html_timeout_s)
    press = Press(redis, settings.dedup_ttl_seconds, settings.max_backlog)
    intake = Intake(press, pages, settings.enrich_max_chars)
    broker = build_broker(
        settings.redis_url,
        graceful_timeout=settings.graceful_timeout_s,
        # FastStream's own logger prints plain lines to stdout; ours goes through structlog.
        # Its per-message and per-task lines are noise next to the article.* events.
        logger=_faststream_logger(),
        log_level=logging.DEBUG,
    )
    stage = add_stage(
        broker,
        stage="ingest",
        stream=INCOMING,
        group=INGEST_GROUP,
        consumer=consumer_name("ingest"),
        handler=incoming_handler(intake, backlog),
        settings=settings,
        body_field=INCOMING_FIELD,
    )

    @asynccontextmanager
    async def running(_: Litestar) -> AsyncIterator[None]:
        await ensure_groups(redis)
        await broker.start()
        pages.start()  # in the background: readiness does not wait for it
        # py3langid's model takes seconds to load: before a request needs it, not inside one.
        warm_up = asyncio.create_task(asyncio.to_thread(load_language_model))
        watch = asyncio.create_task(watch_incoming(stage, on_incoming_stopped))
        log.info("service.started", open=not settings.api_keys, consumer=stage.consumer)
        try:
            yield
        finally:
            watch.cancel()
            warm_up.cancel()
            await broker.stop()
            await pages.close()
            await redis.aclose()
            log.info("service.stopped", **msgspec.structs.asdict(stage.counts))

    return build_app(
        "ingest",
        [articles_route(intake, backlog, settings)],
        # Not the extraction workers: without them pages are read as plain text (logged as
        # html.worker_failed), a lesser service but not a reason to turn every request away.
        {"redis": redis_readiness(redis), "incoming": stage.readiness},
        title="Dateline ingest",
        body_timeout_s=settings.body_timeout_s,
        security_schemes=SECURITY_SCHEMES,
        lifespan=[running],
    )
