"""The poller's pure policies: when to poll next, and which addresses it may fetch from."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.poller.addresses import AddressPolicy, Refused, checked_address
from services.poller.schedule import (
    CEILING_S,
    FLOOR_S,
    after_failure,
    after_success,
    is_failing,
    retry_after_seconds,
)


def test_busy_feeds_speed_up_and_quiet_ones_slow_down_within_bounds():
    assert after_success(900, 900, new_items=3) == 450
    assert after_success(450, 900, new_items=1) == FLOOR_S  # not below 5 minutes
    assert after_success(900, 900, new_items=0) == 1350
    assert after_success(CEILING_S, 900, new_items=0) == CEILING_S
    assert after_success(60, 60, new_items=5) == 60  # asked for every minute: the floor is the minute
    assert after_success(86400, 86400, new_items=0) == 86400  # asked for daily: the ceiling is the day


def test_failures_back_off_exponentially_with_jitter_and_honour_retry_after():
    rng = random.Random(7)
    waits = [after_failure(n, rng=rng) for n in (1, 2, 3, 4)]
    for n, wait in enumerate(waits):
        assert 60 * 2**n * 0.9 <= wait <= 60 * 2**n * 1.1
    assert after_failure(40, rng=rng) <= CEILING_S * 1.1
    assert after_failure(1, retry_after_s=3600, rng=rng) == 3600
    assert not is_failing(9) and is_failing(10)


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    later = (now + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 300
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"],
)
def test_addresses_that_are_not_public_are_refused(address):
    with pytest.raises(Refused, match="not a public address"):
        checked_address("feeds.example", 80, AddressPolicy(), resolve=lambda host, port: [address])


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    with pytest.raises(Refused):
        checked_address("feeds.example", 80, AddressPolicy(), resolve=lambda h, p: ["93.184.215.14", "10.0.0.5"])


def test_public_addresses_and_allowed_private_ones_pass():
    assert str(checked_address("feeds.example", 80, AddressPolicy(), resolve=lambda h, p: ["93.184.215.14"])) \
        == "93.184.215.14"
    assert str(checked_address("127.0.0.1", 80, AddressPolicy(allow_private=True))) == "127.0.0.1"
    listed = AddressPolicy(allowed=["127.0.0.1/32"])
    assert str(checked_address("127.0.0.1", 80, listed)) == "127.0.0.1"
    with pytest.raises(Refused):
        checked_address("127.0.0.2", 80, listed)


def test_a_name_that_does_not_resolve_is_refused_in_words():
    with pytest.raises(Refused, match="cannot be resolved"):
        checked_address("no-such-host.invalid", 80, AddressPolicy())
