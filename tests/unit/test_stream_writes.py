"""What waits for a stream leaves in writes of at most QUEUE_EVENTS events and WRITE_BYTES
(one event at least), in order, each write naming the articles it carries."""

from __future__ import annotations

from services.index.live import QUEUE_EVENTS, WRITE_BYTES, Subscription, article_event, heartbeat


def drained(subscription: Subscription) -> list[tuple[bytes, list[int]]]:
    writes = []
    while subscription.pending:
        writes.append(subscription.take())
    assert (subscription.queued, subscription.pending_bytes, subscription.pending_seqs) == (0, 0, [])
    return writes


def events(first: int, count: int, size: int) -> tuple[list[bytes], list[int]]:
    seqs = list(range(first, first + count))
    return [article_event(seq, b'{"text":"%s"}' % (b"x" * size)) for seq in seqs], seqs


def test_what_fits_leaves_in_one_write_as_before():
    subscription = Subscription(None, "caller", 0)
    messages, seqs = events(1, 10, 1_000)
    subscription.push(messages, seqs)
    assert drained(subscription) == [(b"".join(messages), seqs)]


def test_long_articles_leave_in_writes_of_the_budget_in_order():
    subscription = Subscription(None, "caller", 0)
    messages, seqs = events(1, 40, WRITE_BYTES // 5)  # ~5 a write: 8 writes, not one of 40
    subscription.push(messages[:25], seqs[:25])
    subscription.push([heartbeat(25)])
    subscription.push(messages[25:], seqs[25:])
    writes = drained(subscription)
    assert 1 < len(writes) and all(len(body) <= WRITE_BYTES for body, _ in writes)
    assert b"".join(body for body, _ in writes) == b"".join([*messages[:25], heartbeat(25), *messages[25:]])
    assert [seq for _, sent in writes for seq in sent] == seqs  # the heartbeat is not an article
    assert all(body.count(b"event: article") == len(sent) for body, sent in writes)


def test_an_article_longer_than_the_budget_leaves_alone():
    subscription = Subscription(None, "caller", 0)
    messages, seqs = events(1, 3, WRITE_BYTES * 2)
    subscription.push(messages, seqs)
    assert drained(subscription) == [(message, [seq]) for message, seq in zip(messages, seqs, strict=True)]


def test_a_write_holds_at_most_queue_events_short_messages():
    subscription = Subscription(None, "caller", 0)
    messages, seqs = events(1, QUEUE_EVENTS, 10)
    subscription.push(messages, seqs)
    beats = [heartbeat(n) for n in range(5)]
    subscription.push(beats)
    writes = drained(subscription)
    assert [sent for _, sent in writes] == [seqs, []]
    assert writes[1][0] == b"".join(beats)
