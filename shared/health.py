"""/healthz, /readyz and /metrics: what every service answers, the same way.

:func:`readiness` is the one judgement of /readyz, for the Litestar apps
(:func:`shared.http.build_app`) and for :class:`HealthApp`, the bare ASGI app of the
services that serve nothing else (the enrich workers, the poller): importing a web
framework would be most of their time to /healthz. Its other answers are in the one error
shape with a request id (404, 405 with ``Allow``), like every service's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from shared.auth import RAW_CHALLENGE, OperatorKeys, caller_of_scope
from shared.error_shape import error_body, raw_error, request_id_of

# name -> async check returning None when fine, or a sentence saying what is wrong
ReadinessChecks = dict[str, Callable[[], Awaitable[str | None]]]
Message = MutableMapping[str, Any]

_ALLOW = "GET, HEAD"


async def problems(checks: ReadinessChecks) -> dict[str, str]:
    """The checks that fail, each with what is wrong."""
    found = {}
    for name, check in checks.items():
        try:
            problem = await check()
        except Exception as exc:  # noqa: BLE001 - a check that raises is a failed check
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            found[name] = problem
    return found


async def readiness(checks: ReadinessChecks, degraded_when: ReadinessChecks) -> tuple[int, dict[str, Any]]:
    """/readyz: 503 naming each of ``checks`` that fails (keep traffic away), else 200;
    either way ``degraded`` names each of ``degraded_when`` that fails (working with less)."""
    failures = await problems(checks)
    body = {"ready": not failures, "failures": failures, "degraded": await problems(degraded_when)}
    return (503 if failures else 200), body


def metrics() -> tuple[bytes, str]:
    """/metrics: the process's Prometheus registry, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class HealthApp:
    """An ASGI app answering /healthz, /readyz and /metrics, and nothing else; /metrics
    for ``operators`` (:class:`~shared.auth.OperatorKeys`), as on every service."""

    def __init__(self, checks: ReadinessChecks, operators: OperatorKeys,
                 degraded_when: ReadinessChecks | None = None) -> None:
        self.checks = checks
        self.operators = operators
        self.degraded_when = degraded_when or {}

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = request_id_of(scope)
        status, body, headers = await self._answer(scope, request_id)
        if not any(name == b"content-length" for name, _ in headers):
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        headers = [*headers, (b"x-request-id", request_id.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})  # uvicorn leaves it out for a HEAD

    async def _answer(self, scope: Message, request_id: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        path, method = scope["path"], scope["method"]
        if path not in ("/healthz", "/readyz", "/metrics"):
            return _error(404, "not_found", f"no such page: {path} (this port serves /healthz, /readyz, /metrics)",
                          request_id)
        if method not in ("GET", "HEAD"):
            status, body, headers = _error(405, "method_not_allowed", f"{method} is not allowed on {path}", request_id)
            return status, body, [*headers, (b"allow", _ALLOW.encode())]
        if path == "/metrics":
            if refusal := self.operators.judge(*caller_of_scope(scope)):
                status, body, headers = _error(*refusal, request_id)
                return status, body, [*headers, *(RAW_CHALLENGE if status == 401 else [])]
            text, content_type = metrics()
            return 200, text, [(b"content-type", content_type.encode())]
        status, found = (200, {"status": "ok"}) if path == "/healthz" else await readiness(
            self.checks, self.degraded_when)
        return status, msgspec.json.encode(found), [(b"content-type", b"application/json")]




def _error(status: int, error: str, detail: str, request_id: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    encoded, headers = raw_error(error_body(status, error, detail, request_id=request_id))
    return status, encoded, headers


async def _lifespan(receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
