"""What every Dateline HTTP service shares: health, readiness, metrics, errors, serving.

Litestar speaks msgspec natively (bodies decode into Structs, responses encode from them),
so the API types in :mod:`shared.schemas` are used as they are. Every error leaves as an
:class:`~shared.schemas.ErrorBody` with a request id (:mod:`shared.http_errors`), also for
requests uvicorn refuses by itself (:mod:`shared.http_protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import uvicorn
from litestar import Litestar, MediaType, Response, get
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest

from shared.api_docs import assets_router, render_plugins
from shared.http_errors import Edge, error_response, http_exception, unexpected_exception
from shared.http_protocol import protocol_with_deadline
from shared.settings import Settings

__all__ = ["InLoopServer", "ReadinessChecks", "build_app", "error_response", "uvicorn_config"]

# name -> async check returning None when fine, or a sentence saying what is wrong
ReadinessChecks = dict[str, Callable[[], Awaitable[str | None]]]
# Ends the app's long responses (event streams) when the server stops
Drain = Callable[[], Awaitable[None]]

DEFAULTS = Settings()

REQUEST_SECONDS = Histogram(
    "dateline_http_request_seconds",
    "HTTP request latency by service, route and status.",
    ["service", "route", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def _health_routes(checks: ReadinessChecks, degraded_when: ReadinessChecks) -> list:
    @get("/healthz", media_type=MediaType.JSON, include_in_schema=False, sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", media_type=MediaType.JSON, include_in_schema=False)
    async def readyz() -> Response[dict[str, Any]]:
        failures = await _problems(checks)
        body = {"ready": not failures, "failures": failures, "degraded": await _problems(degraded_when)}
        return Response(body, status_code=503 if failures else 200)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return [healthz, readyz, metrics]


async def _problems(checks: ReadinessChecks) -> dict[str, str]:
    found = {}
    for name, check in checks.items():
        try:
            problem = await check()
        except Exception as exc:  # noqa: BLE001 - a check that raises is a failed check
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            found[name] = problem
    return found


def _timing(service: str) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def timed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = [500]

            async def send_status(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_status)
            finally:
                route = scope.get("path_template") or "unmatched"
                REQUEST_SECONDS.labels(service, route, str(status[0])).observe(
                    time.perf_counter() - started
                )

        return timed

    return middleware


def build_app(
    service: str,
    routes: Sequence[Any],
    checks: ReadinessChecks | None = None,
    *,
    degraded_when: ReadinessChecks | None = None,
    title: str,
    body_timeout_s: float = DEFAULTS.body_timeout_s,
    security_schemes: dict[str, SecurityScheme] | None = None,
    on_drain: Sequence[Drain] = (),
    **litestar_kwargs: Any,
) -> Litestar:
    """A Litestar app with the service's routes plus /healthz, /readyz, /metrics and docs
    (:mod:`shared.api_docs`: served with their own files, no CDN). ``on_drain``: called when
    the server stops, before it waits for open responses.

    /readyz answers 503 naming each of ``checks`` that fails (the service cannot do its
    work: keep traffic away), else 200; either way ``degraded`` names each of
    ``degraded_when`` that fails (the service works with less: search without indexing)."""
    # Litestar's default logging config would replace the structlog handler.
    litestar_kwargs.setdefault("logging_config", None)
    app = Litestar(
        route_handlers=[*routes, *_health_routes(checks or {}, degraded_when or {}), assets_router()],
        exception_handlers={HTTPException: http_exception, Exception: unexpected_exception},
        middleware=[_timing(service)],
        openapi_config=OpenAPIConfig(
            title=title, version="1", path="/docs", render_plugins=render_plugins(),
            components=Components(security_schemes=security_schemes or None),
        ),
        **litestar_kwargs,
    )
    # Around Litestar's router rather than a Litestar middleware: those run for matched
    # routes only, and a 404 or 405 needs its request id too.
    app.asgi_handler = Edge(app.asgi_handler, body_timeout_s)
    app.state["on_drain"] = tuple(on_drain)
    return app


class InLoopServer(uvicorn.Server):
    """uvicorn inside the service's own event loop, leaving SIGTERM to the service runtime.

    Workers and the indexer drain their in-flight batch on SIGTERM before the HTTP side
    goes away (:mod:`shared.runtime`), so uvicorn must not install its own signal
    handlers. On stopping, it waits for every open response to finish: the app's long ones
    (event streams) are told to end first, so a stop is not held up by a client.
    """

    def __init__(self, app: Litestar, host: str, port: int, head_timeout_s: float = DEFAULTS.body_timeout_s) -> None:
        super().__init__(uvicorn_config(app, host, port, head_timeout_s))

    async def shutdown(self, sockets: list | None = None) -> None:
        for drain in getattr(self.config.app, "state", {}).get("on_drain", ()):
            await drain()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[InLoopServer]:
        task = asyncio.create_task(self.serve())
        while not self.started:
            if task.done():  # uvicorn exits (SystemExit) when it cannot bind
                raise RuntimeError(f"cannot serve HTTP on {self.config.host}:{self.config.port}")
            await asyncio.sleep(0.01)
        try:
            yield self
        finally:
            self.should_exit = True
            await task


def _uvicorn_options(head_timeout_s: float) -> dict[str, Any]:
    """How every service runs uvicorn: our logging, our error bodies below the app too."""
    return {"log_config": None, "access_log": False, "lifespan": "on", "http": protocol_with_deadline(head_timeout_s)}


def uvicorn_config(app: Litestar, host: str, port: int, head_timeout_s: float = DEFAULTS.body_timeout_s) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, **_uvicorn_options(head_timeout_s))

