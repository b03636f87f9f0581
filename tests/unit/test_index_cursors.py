"""Cursors are sealed: only those this service issued, unaltered, for the same query, come back."""

from __future__ import annotations

import base64
import hmac
import threading
import zlib

import msgspec
import pytest

from services.index.cursors import (
    TAG_BYTES,
    BadCursor,
    CursorSeal,
    CursorState,
    load_cursor_key,
    query_digest,
)
from services.index.domain import After, Match, SearchRequest
from shared.settings import Settings

SEAL = CursorSeal(b"the service's key")
NEWEST = SearchRequest(sort="newest")
RELEVANT = SearchRequest(match=Match(text="flood"))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signed(state: CursorState, key: bytes = b"the service's key") -> str:
    """A cursor sealed with the real key around values the service would never issue
    (what a leaked key allows): the values are still checked."""
    payload = msgspec.msgpack.encode(state)
    return _b64(payload + hmac.digest(key, payload, "sha256")[:TAG_BYTES])


def test_a_cursor_comes_back_as_it_was_issued():
    after = After(sort_key=(1_700_000_000 << 29) | 77, offset=0, seq_ceiling=1_764_000_000_000_000)
    assert SEAL.open(SEAL.issue(after, NEWEST), NEWEST) == after
    deep = After(sort_key=None, offset=9_990, seq_ceiling=5)
    assert SEAL.open(SEAL.issue(deep, RELEVANT), RELEVANT) == deep


@pytest.mark.parametrize(
    "forged",
    [
        # the unsigned format of before: (after, CRC of public data) is all an attacker needed
        msgspec.msgpack.encode([[None, -5, 1], zlib.crc32(msgspec.msgpack.encode((RELEVANT.match, "relevance")))]),
        msgspec.msgpack.encode([[None, -(2**63), 1], 0]),
        msgspec.msgpack.encode([[2**64 - 1, 0, 1], 0]),
        msgspec.msgpack.encode(CursorState(None, 5, 1, query_digest(RELEVANT))) + b"\0" * TAG_BYTES,
        b"",
        b"x" * TAG_BYTES,
    ],
)
def test_a_forged_cursor_is_refused(forged):
    with pytest.raises(BadCursor, match="not a cursor this API issued"):
        SEAL.open(_b64(forged), RELEVANT)


def test_every_altered_byte_is_noticed():
    token = base64.urlsafe_b64decode(SEAL.issue(After(None, 10, 99), RELEVANT) + "==")
    for i in range(len(token)):
        altered = bytearray(token)
        altered[i] ^= 0x01
        with pytest.raises(BadCursor, match="not a cursor this API issued"):
            SEAL.open(_b64(bytes(altered)), RELEVANT)


def test_another_key_or_garbage_is_refused():
    theirs = CursorSeal(b"another deployment").issue(After(None, 10, 99), RELEVANT)
    for token in (theirs, "%%%", "not-a-cursor", "A", "====", SEAL.issue(After(None, 10, 99), RELEVANT)[:-3]):
        with pytest.raises(BadCursor, match="not a cursor this API issued"):
            SEAL.open(token, RELEVANT)


def test_a_cursor_of_another_query_says_so():
    token = SEAL.issue(After(None, 10, 99), RELEVANT)
    with pytest.raises(BadCursor, match="different query"):
        SEAL.open(token, SearchRequest(match=Match(text="drought")))
    assert SEAL.open(token, SearchRequest(match=Match(text="flood"), size=50)).offset == 10  # size may change


@pytest.mark.parametrize(
    ("state", "request_"),
    [
        (CursorState(None, -5, 1, query_digest(RELEVANT)), RELEVANT),
        (CursorState(None, -(2**63), 1, query_digest(RELEVANT)), RELEVANT),
        (CursorState(2**64 - 1, 0, 1, query_digest(NEWEST)), NEWEST),
        (CursorState(-1, 0, 1, query_digest(NEWEST)), NEWEST),
        (CursorState(5, 0, 2**63, query_digest(NEWEST)), NEWEST),
        (CursorState(None, 0, 1, query_digest(NEWEST)), NEWEST),  # a relevance position, date order
        (CursorState(5, 0, 1, query_digest(RELEVANT)), RELEVANT),  # a date position, relevance
    ],
)
def test_values_out_of_range_are_refused_even_under_the_right_key(state, request_):
    with pytest.raises(BadCursor, match="not a cursor this API issued"):
        SEAL.open(_signed(state), request_)


def test_the_key_is_made_once_per_data_directory(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    keys: list[bytes] = []
    racers = [threading.Thread(target=lambda: keys.append(load_cursor_key(settings))) for _ in range(8)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert load_cursor_key(settings) == keys[0]  # a restart, or another search process
    assert (tmp_path / "cursor.key").stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["cursor.key"]


def test_a_configured_secret_wins(tmp_path):
    settings = Settings(data_dir=str(tmp_path), cursor_secret="from the environment")
    assert load_cursor_key(settings) == b"from the environment"
    assert not (tmp_path / "cursor.key").exists()
