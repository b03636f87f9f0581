"""The client side of server-sent events reads messages as a browser's EventSource does."""

from __future__ import annotations

from dateline.events import EventParser, ServerEvent
from services.index.live import article_event, expired_event, heartbeat


def parse(text: bytes, last_id: str | None = None) -> list[ServerEvent]:
    parser = EventParser(last_id)
    found = [parser.feed(line) for line in text.decode().split("\n")]
    return [event for event in found if event is not None]


def test_an_article_event_carries_its_id_and_one_line_of_json():
    [event] = parse(article_event(42, b'{"id":"a","text":"two\\nlines"}'))
    assert (event.kind, event.id, event.data) == ("article", "42", '{"id":"a","text":"two\\nlines"}')


def test_a_heartbeat_moves_the_last_event_id_without_an_event():
    [comment, after] = parse(heartbeat(7) + article_event(9, b"{}"), last_id="3")
    assert (comment.kind, comment.id) == ("comment", "7")
    assert after.id == "9"


def test_an_id_alone_sets_the_last_event_id_for_the_next_event():
    [event] = parse(b"id: 5\n\ndata: x\n\n")
    assert (event.kind, event.id, event.data) == ("message", "5", "x")


def test_multi_line_data_is_joined_and_an_expired_event_says_from_where():
    [event] = parse(b"event: note\ndata: a\ndata: b\n\n")
    assert (event.kind, event.data) == ("note", "a\nb")
    [expired] = parse(expired_event(1, 99, 50))
    assert expired.kind == "expired" and expired.id == "99" and '"last_event_id":"1"' in expired.data
