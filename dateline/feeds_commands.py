"""`dateline feeds add|list|remove`: the feeds the poller follows, and how each is doing."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from urllib.parse import urlsplit

import msgspec
from rich.console import Console
from rich.text import Text

from dateline.with_redis import run_with_redis
from shared import followed_feeds as feeds
from shared.settings import Settings

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
SHORTEST_S = 60
HTTP_URL = re.compile(r"^https?://[^\s/?#@]+", re.IGNORECASE)


class BadDuration(ValueError):
    pass


def seconds(duration: str) -> float:
    """``15m``, ``1h``, ``90s``, ``1d`` or plain seconds; at least a minute."""
    match = DURATION.match(duration)
    if not match:
        raise BadDuration(f"--every {duration!r}: say how often as 15m, 1h, 90s or 1d")
    value = float(match.group(1)) * UNITS[match.group(2)]
    if value < SHORTEST_S:
        raise BadDuration(f"--every {duration!r}: a feed is polled at most once a minute")
    return value


def add_command(console: Console, settings: Settings, url: str, every_s: float) -> None:
    subscription = run_with_redis(settings, lambda client: feeds.follow(client, url, every_s))
    console.print(f"following {subscription.url} every {_duration(subscription.every_s)} (id {subscription.id})",
                  highlight=False, soft_wrap=True)
    if refusal := poller_refusal(url, settings.poll_allow_private):
        console.print(Text(f"note: the poller will not fetch it: {refusal}", style="yellow"), soft_wrap=True)


def poller_refusal(url: str, allow_private: bool) -> str | None:
    """Why the poller will refuse ``url``, told now rather than at its first poll: for an
    address written out or ``localhost`` (a name is resolved and judged when fetched)."""
    from services.poller.addresses import AddressPolicy, Refused

    host = urlsplit(url).hostname or ""
    try:
        AddressPolicy(allow_private).check(host, "127.0.0.1" if host == "localhost" else host)
    except Refused as exc:
        return str(exc)
    except ValueError:  # a name, not an address
        return None
    return None


def remove_command(console: Console, settings: Settings, url_or_id: str) -> None:
    subscription = run_with_redis(settings, lambda client: feeds.unfollow(client, url_or_id))
    console.print(f"no longer following {subscription.url} (id {subscription.id})", highlight=False, soft_wrap=True)


def list_command(console: Console, settings: Settings, as_json: bool) -> None:
    followed = run_with_redis(settings, feeds.followed)
    if as_json:
        for feed in followed:
            sys.stdout.write(msgspec.json.encode({**msgspec.structs.asdict(feed), "state": feed.state}).decode() + "\n")
        return
    now = datetime.now(UTC)
    for feed in followed:
        for line in feed_lines(feed, now):
            console.print(line, soft_wrap=True, highlight=False)
    failing = sum(feed.state == "failing" for feed in followed)
    console.print(f"{len(followed)} feeds" + (f", {failing} failing" if failing else ""))


def feed_lines(feed: feeds.FollowedFeed, now: datetime) -> list[Text]:
    """A feed in a few lines: its id and how it is doing (under 80 columns), then its URL and
    what went wrong, whole (a long URL wraps in the terminal but stays one line to copy)."""
    health = feed.health
    interval = health.interval_s if health else feed.subscription.every_s
    last_ok = f"{_age(now, health.last_success_at)} ago" if health and health.last_success_at else "never"
    state = Text(f"{feed.state:<11}", style={"failing": "red", "backing off": "yellow"}.get(feed.state, ""))
    head = Text.assemble(feed.subscription.id, "  ", state, f"  every {_duration(interval):<5}  ",
                         f"last ok {last_ok:<8}  {feed.items_24h} items/day")
    return [head, Text("  " + feed.subscription.url), *(Text("  ") + note for note in _notes(health))]


def _notes(health: feeds.FeedHealth | None) -> list[Text]:
    if health is None:
        return []
    notes = []
    if health.failures and health.last_error:
        notes.append(Text(f"{health.failures} failures in a row, last: {health.last_error}", style="red"))
    if health.moved_from:
        notes.append(Text(f"moved from {health.moved_from}", style="dim"))
    if health.refused_items:
        notes.append(Text(f"{health.refused_items} items without a link or permalink guid", style="dim"))
    return notes


def _duration(value: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size:
            return f"{round(value / size, 1):g}{unit}"
    return f"{value:.0f}s"


def _age(now: datetime, then: datetime) -> str:
    seconds_ago = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds_ago >= size:
            return f"{seconds_ago // size}{unit}"
    return f"{max(0, seconds_ago)}s"
