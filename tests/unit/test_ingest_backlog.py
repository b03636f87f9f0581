import pytest

from shared.streams import unfinished


def group(name="enrich", lag=0, pending=0) -> dict:
    return {"name": name.encode(), "lag": lag, "pending": pending, "last-delivered-id": b"0-0"}


@pytest.mark.parametrize(
    ("groups", "length", "backlog"),
    [
        ([group(lag=10, pending=5)], 100, 15),  # waiting + in progress
        ([group(lag=None, pending=5)], 100, 105),  # lag unknown: count the whole stream
        ([group("index", lag=50), group(lag=0, pending=0)], 100, 0),  # only enrich counts
        ([], 100, 100),  # nobody reads: everything waits
    ],
)
def test_the_enrich_backlog_is_what_the_group_has_not_finished(groups, length, backlog):
    assert unfinished(groups, length, "enrich") == backlog
