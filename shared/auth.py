"""Bearer keys and local callers: what an HTTP service needs to tell who is calling.

Pure: header values and addresses in, answers out; each service decides what to allow.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

# The challenge a 401 carries (RFC 6750).
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dateline"'}


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
