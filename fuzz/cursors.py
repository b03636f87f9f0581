"""Cursors as an attacker makes them: from a real ``next_cursor`` and public knowledge.

A cursor the search API issues is base64url (unpadded) of msgpack ``[after, fingerprint]``
with ``after = [sort_key, offset, seq_ceiling]``, and the fingerprint is a CRC32 of the
msgpack of the query's match and sort: nothing secret. So a forger keeps the fingerprint
of a real cursor (or recomputes it) and writes any ``after`` they like. A search API that
signs its cursors refuses all of these.
"""

from __future__ import annotations

import base64
import zlib

import msgspec

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1


def encode(token: object) -> str:
    return base64.urlsafe_b64encode(msgspec.msgpack.encode(token)).decode().rstrip("=")


def decode(cursor: str) -> object:
    return msgspec.msgpack.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def fingerprint_of(cursor: str | None, query: dict[str, str]) -> int:
    """The fingerprint a real cursor carries, else the one recomputed for ``query``."""
    if cursor:
        try:
            token = decode(cursor)
            if isinstance(token, list) and len(token) == 2 and isinstance(token[1], int):
                return token[1]
        except (ValueError, msgspec.DecodeError):
            pass  # not the unsigned layout (any more): recompute it
    return recomputed_fingerprint(query)


def recomputed_fingerprint(query: dict[str, str]) -> int:
    """CRC32 of the msgpack of (match, sort), computed as the unsigned search API did; 0
    where its parsing has changed shape (a signed API refuses the forgery either way)."""
    from services.index.cursors import CursorSeal
    from services.index.query import SearchParams, parse_search  # the API's own parsing

    try:
        request = parse_search(SearchParams(**query), CursorSeal(b"forger"))
    except (TypeError, ValueError):
        return 0
    return zlib.crc32(msgspec.msgpack.encode((request.match, request.sort)))


def forged(fingerprint: int, sort_key: object, offset: object, seq_ceiling: object = 1) -> str:
    return encode([[sort_key, offset, seq_ceiling], fingerprint])
