"""What every Dateline HTTP API shares: health, readiness, metrics, errors, docs (Litestar).

Litestar speaks msgspec natively (bodies decode into Structs, responses encode from them),
so the API types in :mod:`shared.schemas` are used as they are. Every error leaves as an
:class:`~shared.schemas.ErrorBody` with a request id (:mod:`shared.http_errors`), also for
requests uvicorn refuses by itself (:mod:`shared.http_protocol`). Serving is
:mod:`shared.serving`'s (re-exported here); a service without an API serves
:class:`shared.health.HealthApp` instead, without Litestar.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

import msgspec
from litestar import Litestar, MediaType, Response, get
from litestar._asgi.utils import is_valid_host  # the check Litestar's router makes
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import Histogram

from shared.api_docs import assets_router, render_plugins
from shared.health import ReadinessChecks, metrics, readiness
from shared.http_errors import Edge, error_response, http_exception, unexpected_exception
from shared.serving import InLoopServer, uvicorn_config
from shared.settings import Settings

__all__ = [
    "InLoopServer", "JsonAnswer", "Lane", "ReadinessChecks", "build_app", "error_response", "uvicorn_config",
]

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
        status, body = await readiness(checks, degraded_when)
        return Response(body, status_code=status)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics_route() -> Response[bytes]:
        text, content_type = metrics()
        return Response(text, media_type=content_type)

    return [healthz, readyz, metrics_route]


class _Timers:
    """``dateline_http_request_seconds`` of one service: Litestar's routes are timed by
    :meth:`middleware`, the lanes by :class:`_Lane` itself."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[str, int], Any] = {}  # (route, status) -> its histogram child, looked up once

    def __call__(self, route: str, status: int) -> Any:
        found = self._children.get((route, status))
        if found is None:
            found = self._children[route, status] = REQUEST_SECONDS.labels(self.service, route, str(status))
        return found

    def middleware(self, app: ASGIApp) -> ASGIApp:
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
                self(scope.get("path_template") or "unmatched", status[0]).observe(time.perf_counter() - started)

        return timed


_encode_json = msgspec.json.Encoder().encode


class JsonAnswer(ASGIResponse):
    """A JSON answer whose body msgspec encodes once, sent as it is: for a route's hot path,
    where Litestar's :class:`~litestar.Response` would wrap the body, merge headers and
    check them again on every request. Declare the body's type in the route's
    ``responses`` (the API docs take it from there)."""

    __slots__ = ("content",)

    def __init__(self, content: Any, status_code: int = 200) -> None:  # no ASGIResponse set-up: that is the point
        self.body = _encode_json(content)
        self.status_code = status_code
        # Held until the answer is sent and dropped: freeing a search's hits, facets and
        # histogram takes 15-100 us (200k-article benchmark), which the client need not wait for.
        self.content = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(self.body))]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


# What a lane answers a request with (see Lane); ``status_code`` goes to the request metrics.
LaneAnswer = Callable[[Scope, Receive], Awaitable[ASGIResponse]]


class Lane(NamedTuple):
    """``GET path`` answered beside Litestar rather than through it: for a route whose
    answer takes about as long as Litestar's own work for a request (routing, a request
    object, parameters parsed into the handler's signature, exception layers): ~0.05 ms of
    CPU run hot, 0.04-0.2 ms in a search process whose caches the store has just cooled
    (``make bench-search``, /v1/search).

    The route stays declared in Litestar with the same handler code: the API docs, the
    other methods, ``path/`` and the requests a lane passes on (a malformed Host header, a
    CORS request when CORS is on, an app under a root path) are Litestar's. The lane does
    what Litestar would around its ``answer``: the request metrics, ``path_template`` in
    the scope; the request id, log context and 500s are :class:`~shared.http_errors.Edge`'s
    for both. Its own checks (access, parameters) are ``answer``'s."""

    path: str
    answer: LaneAnswer


class _Lane:
    def __init__(self, lane: Lane, litestar: ASGIApp, timers: _Timers, *, cors: bool) -> None:
        self.path, self.answer = lane
        self.litestar = litestar
        self.timers = timers
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._plain(scope):
            await self.litestar(scope, receive, send)
            return
        scope["path_template"] = self.path
        started = time.perf_counter()
        status = 500
        try:
            answer = await self.answer(scope, receive)
            status = answer.status_code
            await answer(scope, receive, send)
        finally:
            self.timers(self.path, status).observe(time.perf_counter() - started)

    def _plain(self, scope: Scope) -> bool:
        """Nothing Litestar would answer differently from the route's handler."""
        if scope.get("root_path"):
            return False
        for name, value in scope["headers"]:
            if (name == b"host" and not is_valid_host(value)) or (self.cors and name == b"origin"):
                return False
        return True


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
    lanes: Sequence[Lane] = (),
    **litestar_kwargs: Any,
) -> Litestar:
    """A Litestar app with the service's routes plus /healthz, /readyz, /metrics and docs
    (:mod:`shared.api_docs`: served with their own files, no CDN). ``on_drain``: called when
    the server stops, before it waits for open responses.

    /readyz answers 503 naming each of ``checks`` that fails (the service cannot do its
    work: keep traffic away), else 200; either way ``degraded`` names each of
    ``degraded_when`` that fails (the service works with less: search without indexing).
    ``lanes``: routes also answered beside Litestar's per-request work (:class:`Lane`)."""
    # Litestar's default logging config would replace the structlog handler.
    litestar_kwargs.setdefault("logging_config", None)
    timers = _Timers(service)
    app = Litestar(
        route_handlers=[*routes, *_health_routes(checks or {}, degraded_when or {}), assets_router()],
        exception_handlers={HTTPException: http_exception, Exception: unexpected_exception},
        middleware=[timers.middleware],
        openapi_config=OpenAPIConfig(
            title=title, version="1", path="/docs", render_plugins=render_plugins(),
            components=Components(security_schemes=security_schemes or None),
        ),
        **litestar_kwargs,
    )
    # Around Litestar's router rather than a Litestar middleware: those run for matched
    # routes only, and a 404 or 405 needs its request id too.
    cors = litestar_kwargs.get("cors_config") is not None
    hot = {lane.path: _Lane(lane, app.asgi_handler, timers, cors=cors) for lane in lanes}
    app.asgi_handler = Edge(app.asgi_handler, body_timeout_s, lanes=hot)
    app.state["on_drain"] = tuple(on_drain)
    return app
