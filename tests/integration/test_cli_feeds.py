"""`dateline feeds add|list|remove` and the feeds line of `dateline status`, on a real Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from redis import Redis
from typer.testing import CliRunner

from dateline.cli import app
from dateline.feeds_commands import BadDuration, seconds
from shared import followed_feeds as feeds


def run(redis_url: str, *args: str, columns: int = 80):
    return CliRunner().invoke(app, list(args), env={"DATELINE_REDIS_URL": redis_url, "COLUMNS": str(columns)})


def test_a_feed_the_poller_will_refuse_is_followed_with_a_note_saying_why(redis_url, env_clean):
    local = run(redis_url, "feeds", "add", "http://127.0.0.1:18765/rss.xml")
    assert local.exit_code == 0, local.output
    assert "note: the poller will not fetch it: 127.0.0.1 is not a public address" in local.output
    assert "DATELINE_POLL_ALLOW_PRIVATE=true" in local.output
    assert "note:" in run(redis_url, "feeds", "add", "http://localhost:8080/feed").output
    assert "note:" not in run(redis_url, "feeds", "add", "https://news.example.org/rss.xml").output
    env_clean.setenv("DATELINE_POLL_ALLOW_PRIVATE", "true")
    assert "note:" not in run(redis_url, "feeds", "add", "http://127.0.0.1:18766/rss.xml").output


def test_add_list_and_remove(redis_url):
    Redis.from_url(redis_url).flushall()
    url = "https://news.example.org/world/a-long-path/to-the-feed/that-wraps/rss.xml?edition=international"
    added = run(redis_url, "feeds", "add", url, "--every", "1h")
    assert added.exit_code == 0, added.output
    feed = feeds.feed_id(url)
    assert f"every 1h (id {feed})" in added.output

    listed = run(redis_url, "feeds", "list")
    assert listed.exit_code == 0, listed.output
    assert feed in listed.output and "new" in listed.output and "1 feeds" in listed.output
    head = next(line for line in listed.output.splitlines() if line.startswith(feed))
    assert len(head) <= 80 and "every 1h" in head and "last ok never" in head
    assert f"  {url}\n" in listed.output  # whole, on its own line, to copy

    as_json = [json.loads(line) for line in run(redis_url, "feeds", "list", "--json").stdout.splitlines()]
    assert as_json[0]["subscription"]["url"] == url and as_json[0]["state"] == "new"

    removed = run(redis_url, "feeds", "remove", feed)
    assert removed.exit_code == 0 and "no longer following" in removed.output
    again = run(redis_url, "feeds", "remove", feed)
    assert again.exit_code == 1 and "no followed feed" in again.output


def test_a_failing_feed_is_flagged_in_the_list_and_in_status(redis_url):
    client = Redis.from_url(redis_url)
    client.flushall()
    run(redis_url, "feeds", "add", "https://broken.example/rss")
    feed = feeds.feed_id("https://broken.example/rss")
    now = datetime.now(UTC)
    health = feeds.FeedHealth(interval_s=900, failures=12, last_error="HTTP 500", last_polled_at=now,
                              last_error_at=now, next_poll_at=now + timedelta(hours=6))
    client.set(feeds.health_key(feed), msgspec.json.encode(health))

    listed = run(redis_url, "feeds", "list")
    assert "failing" in listed.output and "12 failures in a row, last: HTTP 500" in listed.output
    assert "1 feeds, 1 failing" in listed.output
    status = run(redis_url, "status", "--json")
    assert json.loads(status.stdout)["feeds"] == {"followed": 1, "failing": 1}
    assert "feeds: 1 followed, 1 failing" in run(redis_url, "status").output


@pytest.mark.parametrize(("text", "expected"), [("15m", 900), ("1h", 3600), ("90s", 90), ("1d", 86400),
                                                ("120", 120), ("1.5h", 5400)])
def test_durations(text, expected):
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["soon", "10s", "-5m"])
def test_bad_durations_say_how(text):
    with pytest.raises(BadDuration):
        seconds(text)


def test_only_http_urls_can_be_followed(redis_url):
    result = run(redis_url, "feeds", "add", "file:///etc/passwd")
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
