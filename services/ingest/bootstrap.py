"""Wires ingest together (its composition root): one Redis client, the incoming stage, the
HTTP app, run by the service runtime (:mod:`shared.runtime`)."""

from __future__ import annotations

import asyncio

from litestar import Litestar

from services.ingest.api import articles_route
from services.ingest.backlog import Backlog
from services.ingest.extraction import PageReader
from services.ingest.incoming import incoming_handler
from services.ingest.intake import Intake
from services.ingest.normalise import load_language_model
from services.ingest.openapi import SECURITY_SCHEMES
from services.ingest.press import Press
from shared.auth import operator_only
from shared.consumer import Stage
from shared.http import build_app
from shared.runtime import ConfigurationError, Service, consumer_name, redis_client, redis_readiness
from shared.serving import InLoopServer
from shared.settings import Settings
from shared.streams import INCOMING, INCOMING_FIELD, INGEST_GROUP

__all__ = ["ConfigurationError", "build", "check_can_start"]


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


def build(settings: Settings) -> Service:
    """Ingest: POST /v1/articles and the dateline:incoming reader, one intake for both."""
    check_can_start(settings)
    redis = redis_client(settings)
    backlog = Backlog(redis, settings.max_backlog)
    pages = PageReader(settings.html_workers, settings.html_timeout_s)
    press = Press(redis, settings.dedup_ttl_seconds, settings.max_backlog)
    intake = Intake(press, pages, settings.enrich_max_chars)
    stage = Stage(
        stage="ingest", stream=INCOMING, group=INGEST_GROUP, consumer=consumer_name("ingest"),
        handler=incoming_handler(intake, backlog), settings=settings, body_field=INCOMING_FIELD,
    )
    # Ready (it accepts POSTs) while Redis answers; the dateline:incoming reader is the
    # second door: while it starts, or starts over after an outage, ingest is degraded only.
    app = _app(settings, intake, backlog, checks={"redis": redis_readiness(redis)},
               degraded_when={"incoming": stage.readiness})

    async def start_pages() -> None:
        pages.start()  # in the background: readiness does not wait for it

    async def warm_up() -> None:
        # py3langid's model takes seconds to load: before a request needs it, not inside one.
        await asyncio.to_thread(load_language_model)

    return Service(
        "ingest", settings, http=InLoopServer(app, settings.ingest_host, settings.ingest_port, settings.body_timeout_s),
        redis=redis, prepare=start_pages, stages=(stage,), loops=(warm_up,), close=(pages.close,),
        started={"open": not settings.api_keys},
    )


def _app(settings: Settings, intake: Intake, backlog: Backlog, checks: dict, degraded_when: dict) -> Litestar:
    return build_app(
        "ingest",
        [articles_route(intake, backlog, settings)],
        # Not the extraction workers: without them pages are read as plain text (logged as
        # html.worker_failed), a lesser service but not a reason to turn every request away.
        checks,
        degraded_when=degraded_when,
        title="Dateline ingest",
        body_timeout_s=settings.body_timeout_s,
        security_schemes=SECURITY_SCHEMES,
        # ingest's port is published (compose.yaml): its /metrics is for operators only
        before_request=operator_only(settings),
    )
