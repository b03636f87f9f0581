"""Search cursors: where a page ended, sealed so that only cursors this service issued come back.

A cursor is ``base64url(payload || tag)``: the payload is a msgpack :class:`CursorState`,
the tag the first 16 bytes of its HMAC-SHA256 under the service's cursor key. A forged or
altered cursor fails the tag and is refused before any of its values is used; the values
are still checked against their types (defence in depth: a leaked key must not make a 500).

Every search process of one data directory must share the key so that a cursor issued by
one is honoured by the others and after a restart: it comes from ``DATELINE_CURSOR_SECRET``,
else from a random key generated once in ``<data_dir>/cursor.key``
(:func:`load_cursor_key`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from services.index.domain import After, SearchRequest
from shared.settings import Settings

KEY_FILE = "cursor.key"
TAG_BYTES = 16

NonNegative63 = Annotated[int, Meta(ge=0, le=2**63 - 1)]  # what the store's i64 fields and offsets take


class CursorState(Struct, array_like=True, forbid_unknown_fields=True):
    """What a cursor carries (see :class:`~services.index.domain.After`)."""

    sort_key: NonNegative63 | None
    offset: NonNegative63
    seq_ceiling: NonNegative63
    query: bytes  # the digest of the match and sort it was issued for


class BadCursor(ValueError):
    """A cursor that cannot be used; the message says why, for the API's 400."""


NOT_OURS = "is not a cursor this API issued (pass `next_cursor` back unchanged)"
OTHER_QUERY = "belongs to a different query: repeat the query and sort it was issued for"


class CursorSeal:
    """Issues and opens cursors under one key."""

    def __init__(self, key: bytes) -> None:
        # Keyed once, copied for each tag: hmac.digest(key, payload, "sha256") looks the
        # digest up in OpenSSL 3 every time, ~45 us of a search request's CPU (make bench-search).
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._decode = msgspec.msgpack.Decoder(CursorState).decode

    def issue(self, after: After, request: SearchRequest) -> str:
        state = CursorState(after.sort_key, after.offset, after.seq_ceiling, query_digest(request))
        payload = msgspec.msgpack.encode(state)
        return base64.urlsafe_b64encode(payload + self._tag(payload)).decode().rstrip("=")

    def open(self, token: str, request: SearchRequest) -> After:
        """The position ``token`` stands for in ``request``'s results, or :class:`BadCursor`."""
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise BadCursor(NOT_OURS) from None
        payload, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
        if len(sealed) <= TAG_BYTES or not hmac.compare_digest(tag, self._tag(payload)):
            raise BadCursor(NOT_OURS)
        try:
            state = self._decode(payload)
        except msgspec.DecodeError:  # ValidationError included: values out of range
            raise BadCursor(NOT_OURS) from None
        if not hmac.compare_digest(state.query, query_digest(request)):
            raise BadCursor(OTHER_QUERY)
        if (state.sort_key is None) == request.by_date:
            raise BadCursor(NOT_OURS)  # a date-order position for a relevance query, or the reverse
        return After(sort_key=state.sort_key, offset=state.offset, seq_ceiling=state.seq_ceiling)

    def _tag(self, payload: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(payload)
        return mac.digest()[:TAG_BYTES]


def query_digest(request: SearchRequest) -> bytes:
    """What a cursor must agree with: the match and the order, not the page size."""
    return hashlib.blake2b(msgspec.msgpack.encode((request.match, request.sort)), digest_size=8).digest()


def load_cursor_key(settings: Settings) -> bytes:
    """``DATELINE_CURSOR_SECRET``, else the data directory's key, created on first use."""
    if settings.cursor_secret:
        return settings.cursor_secret.encode()
    return _shared_key(settings.data_path / KEY_FILE)


def _shared_key(path: Path) -> bytes:
    """Read ``path``, or create it with a random key; processes starting together agree
    on one key: the file appears whole (a hard link of a finished file) or not at all."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, draft = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # readable by us only
    try:
        os.write(handle, secrets.token_hex(32).encode())
        os.close(handle)
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(draft, path)
    finally:
        os.unlink(draft)
    return path.read_bytes()
