"""Forged cursors say what the forger meant, with the fingerprint a real cursor carries."""

from __future__ import annotations

from fuzz import cursors


def test_a_forgery_carries_the_values_it_was_given() -> None:
    token = cursors.forged(1234, cursors.U64_MAX, cursors.I64_MIN, -1)
    assert cursors.decode(token) == [[cursors.U64_MAX, cursors.I64_MIN, -1], 1234]
    assert "=" not in token  # unpadded base64url, as the API issues them


def test_the_fingerprint_is_taken_from_a_real_cursor_else_recomputed() -> None:
    real = cursors.encode([[None, 10, 3], 987654])
    assert cursors.fingerprint_of(real, {"q": "Lisbon"}) == 987654
    recomputed = cursors.fingerprint_of("not-a-cursor", {"q": "Lisbon"})
    assert recomputed == cursors.recomputed_fingerprint({"q": "Lisbon"})
    assert recomputed != cursors.recomputed_fingerprint({"q": "Porto"})
