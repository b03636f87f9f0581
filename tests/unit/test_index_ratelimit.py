"""Token buckets on a clock we turn by hand."""

import pytest

from services.index.ratelimit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # empty: the next token in 1/rate s
    clock.now += 0.25
    assert buckets.take("a") == pytest.approx(0.25)  # refused requests take nothing
    clock.now += 0.25
    assert buckets.take("a") == 0.0
    clock.now += 100  # idle: full again, never more than the burst
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_callers_do_not_share_a_bucket():
    buckets = TokenBuckets(rate=1.0, burst=1, clock=Clock())
    assert (buckets.take("a"), buckets.take("b")) == (0.0, 0.0)
    assert buckets.take("a") > 0 and buckets.take("b") > 0


def test_memory_is_bounded_and_the_least_recent_caller_is_forgotten_first():
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, clock=clock, max_callers=3)
    for caller in ("a", "b", "c"):
        buckets.take(caller)
    buckets.take("a")  # refused, but seen again: "b" is now the least recent
    buckets.take("d")
    assert len(buckets) == 3
    assert buckets.take("a") > 0  # remembered: still empty
    assert buckets.take("b") == 0.0  # forgotten, starts full


def test_nonsense_is_refused():
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBuckets(rate=0, burst=1)
