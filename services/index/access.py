"""Who may call the search service, and how often: one check every request passes first.

Three kinds of route (:data:`ROUTE_ACCESS`, one table):

- **open**: ``/healthz``, ``/readyz``, the API docs, the page's static files, CORS preflights;
- **admin**: ``/v1/reindex`` and ``/metrics``, for operators
  (:class:`shared.auth.OperatorKeys`): with ``DATELINE_ADMIN_KEYS`` set they need one of
  those keys as ``Authorization: Bearer KEY``; with none set they answer clients on this
  machine only (loopback), so ``dateline reindex`` works out of the box and nothing
  administrative is reachable from the network by accident;
- **search**: everything else. With ``DATELINE_SEARCH_KEYS`` set they need a search (or
  admin) key; with none, search is open (the local default). ``DATELINE_SEARCH_RATE``
  gives each key, or each client address when search is open, a token bucket: over it,
  429 with ``Retry-After``.

Installed as Litestar's ``before_request`` hook: it runs after routing (so the route's
template, not the raw path, decides) and before parameters are parsed.
"""

from __future__ import annotations

import math
from typing import Literal

from litestar import Request, Response
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from services.index.ratelimit import TokenBuckets
from shared.auth import BearerKeys, OperatorKeys, caller, unauthorized
from shared.http import error_response
from shared.schemas import ErrorBody
from shared.settings import Settings

Access = Literal["open", "search", "admin"]

ROUTE_ACCESS: dict[str, Access] = {
    "/healthz": "open",
    "/readyz": "open",
    "/metrics": "admin",
    "/v1/reindex": "admin",
}
OPEN_PREFIXES = ("/docs", "/static")  # the API docs, and the page's stylesheet, script and map

# -- the OpenAPI side: the schemes, and what each kind of route declares -----------------------

SEARCH_SCHEME, ADMIN_SCHEME = "searchKey", "adminKey"
SECURITY_SCHEMES = Components(security_schemes={
    SEARCH_SCHEME: SecurityScheme(
        type="http", scheme="bearer",
        description="A key of DATELINE_SEARCH_KEYS (or DATELINE_ADMIN_KEYS). Search is open when none is set.",
    ),
    ADMIN_SCHEME: SecurityScheme(
        type="http", scheme="bearer",
        description="A key of DATELINE_ADMIN_KEYS. With none set, admin endpoints answer local clients only.",
    ),
})
ADMIN_SECURITY: list[SecurityRequirement] = [{ADMIN_SCHEME: []}]


def search_security(settings: Settings) -> list[SecurityRequirement]:
    """A key is required when search keys are set; else anonymous calls are fine too."""
    return [{SEARCH_SCHEME: []}] if settings.search_keys else [{}, {SEARCH_SCHEME: []}]


def _doc(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description)


SEARCH_REFUSALS = {
    401: _doc("DATELINE_SEARCH_KEYS is set and no valid key was sent as `Authorization: Bearer <key>`."),
    429: _doc("Over this client's rate (DATELINE_SEARCH_RATE): retry after `Retry-After` seconds."),
}
ADMIN_REFUSALS = {
    401: _doc("No valid admin key was sent as `Authorization: Bearer <key>`."),
    403: _doc("A search key, or a remote client while DATELINE_ADMIN_KEYS is not set."),
}


# -- the check ----------------------------------------------------------------------------------


class Gatekeeper:
    """:meth:`admit` is the ``before_request`` hook: None lets the request through, a response refuses it."""

    def __init__(self, settings: Settings) -> None:
        self._admin = BearerKeys(settings.admin_keys)
        self._search = BearerKeys(settings.search_keys)
        self._operators = OperatorKeys(settings.admin_keys, other_keys=settings.search_keys)
        self._buckets = TokenBuckets(settings.search_rate, settings.search_burst) if settings.search_rate else None
        # Search open to all at any rate (the default) asks nothing of a request: its
        # headers are then not even read.
        self.checks_search = bool(self._search) or self._buckets is not None

    async def admit(self, request: Request) -> Response[ErrorBody] | None:
        scope = request.scope
        if scope["method"] == "OPTIONS":
            return None  # CORS preflights carry no credentials
        match access_of(scope.get("path_template") or scope["path"]):
            case "admin":
                return self._operators.refusal(*caller(request))
            case "search" if self.checks_search:
                return self._admit_search(*caller(request))
        return None

    def _admit_search(self, key: str | None, client: str | None) -> Response[ErrorBody] | None:
        if self._search:
            if key is None:
                return unauthorized("send your search key as `Authorization: Bearer <key>`")
            if key not in self._search and key not in self._admin:
                return unauthorized("the search key is not valid")
        return self._limit(_who(key, client, keyed=bool(self._search)))

    def _limit(self, who: str) -> Response[ErrorBody] | None:
        if self._buckets is None:
            return None
        wait = self._buckets.take(who)
        if not wait:
            return None
        refusal = error_response(429, "rate_limited", f"over {self._buckets.rate:g} requests/s "
                                 f"(bursts of {self._buckets.burst}): retry in {wait:.2f} s")
        refusal.headers["Retry-After"] = str(math.ceil(wait))
        return refusal


def caller_of(request: Request, settings: Settings) -> str:
    """Whom a search request counts against (rate, open streams): its key when search
    keys are set, else the address it comes from."""
    return _who(*caller(request), keyed=bool(settings.search_keys))


def _who(key: str | None, client: str | None, *, keyed: bool) -> str:
    return f"key:{key}" if keyed else f"client:{client}"


def access_of(route: str) -> Access:
    if route in ROUTE_ACCESS:
        return ROUTE_ACCESS[route]
    return "open" if route.startswith(OPEN_PREFIXES) else "search"

