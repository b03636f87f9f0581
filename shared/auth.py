"""Bearer keys and local callers: what an HTTP service needs to tell who is calling.

Header values and addresses in, answers out. Operator endpoints (``/metrics``, admin
routes) follow one rule in every service (:class:`OperatorKeys`): a key of
``DATELINE_ADMIN_KEYS``, or, while none is set, a client on this machine only, so nothing
administrative is reachable from the network by accident. :func:`operator_only` applies it
to ``/metrics`` as a Litestar ``before_request`` hook; :class:`shared.health.HealthApp`
applies :meth:`OperatorKeys.judge` to its own. Litestar is imported only to build its
responses, so a service without it (the enrich workers, the poller) can use the rule.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

    from litestar import Request, Response

    from shared.schemas import ErrorBody
    from shared.settings import Settings

# The challenge a 401 carries (RFC 6750).
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dateline"'}
RAW_CHALLENGE = [(name.lower().encode(), value.encode()) for name, value in CHALLENGE.items()]  # as ASGI sends it


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer KEY`` header, or None when there is none."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


class BearerKeys:
    """A set of accepted keys, compared in constant time: timing does not reveal a near miss."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = [key.encode() for key in keys if key]

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        offered = key.encode()
        # Every key is compared, not stopping at the first match.
        return any([hmac.compare_digest(offered, known) for known in self._keys])  # noqa: C419


def is_local(host: str | None) -> bool:
    """Whether a client address is this machine's loopback (127.0.0.0/8, ::1, ::ffff:127.x)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class Refusal(NamedTuple):
    """Why a caller may not: the status, the error code and the sentence of its answer."""

    status: int
    error: str
    detail: str


class OperatorKeys:
    """Who may call operator endpoints; :meth:`judge` is None for those who may."""

    def __init__(self, admin_keys: Iterable[str], other_keys: Iterable[str] = ()) -> None:
        self._admin = BearerKeys(admin_keys)
        self._others = BearerKeys(other_keys)  # valid elsewhere (search keys): 403, not 401

    def judge(self, key: str | None, client: str | None) -> Refusal | None:
        if not self._admin:
            if is_local(client):
                return None
            return Refusal(403, "forbidden", "admin endpoints answer clients on this machine only: "
                           "set DATELINE_ADMIN_KEYS to call them from elsewhere")
        if key in self._admin:
            return None
        if key is None:
            return Refusal(401, "unauthorized", "send an admin key as `Authorization: Bearer <key>`")
        if key in self._others:
            return Refusal(403, "forbidden", "this key cannot call admin endpoints")
        return Refusal(401, "unauthorized", "the admin key is not valid")

    def refusal(self, key: str | None, client: str | None) -> Response[ErrorBody] | None:
        """:meth:`judge`'s answer as a Litestar response."""
        found = self.judge(key, client)
        return None if found is None else refused(found)


def refused(refusal: Refusal) -> Response[ErrorBody]:
    from shared.http import error_response

    response = error_response(refusal.status, refusal.error, refusal.detail)
    if refusal.status == 401:
        response.headers.update(CHALLENGE)
    return response


def unauthorized(detail: str) -> Response[ErrorBody]:
    return refused(Refusal(401, "unauthorized", detail))


def caller(request: Request) -> tuple[str | None, str | None]:
    """The bearer key a request offers, and the address it comes from."""
    return bearer_key(request.headers.get("authorization")), request.client.host if request.client else None


def caller_of_scope(scope: MutableMapping[str, Any]) -> tuple[str | None, str | None]:
    """:func:`caller` from the ASGI scope, for an app without Litestar's request."""
    authorization = dict(scope.get("headers") or ()).get(b"authorization", b"").decode("latin-1")
    client = scope.get("client")
    return bearer_key(authorization), client[0] if client else None


def operator_only(settings: Settings, paths: Iterable[str] = ("/metrics",)) -> Callable[[Request], Awaitable[Response[ErrorBody] | None]]:
    """A ``before_request`` hook keeping ``paths`` (route templates) for operators."""
    keys, guarded = OperatorKeys(settings.admin_keys), frozenset(paths)

    async def hook(request: Request) -> Response[ErrorBody] | None:
        if (request.scope.get("path_template") or request.scope["path"]) not in guarded:
            return None
        return keys.refusal(*caller(request))

    return hook
