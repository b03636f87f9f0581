"""When to poll a feed next. Pure: the outcome of a poll in, seconds to wait out.

A feed that has news is polled more often (the interval halves), one that has not less
often (it grows by half), within a floor and a ceiling around the interval its subscriber
asked for. A failing feed backs off exponentially, and waits at least as long as the
server's Retry-After asks; after FAILING_AFTER failures in a row it is flagged, never
dropped.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from shared.followed_feeds import FAILING_AFTER

FLOOR_S = 300.0  # no feed more often than every 5 minutes (unless asked for)...
CEILING_S = 6 * 3600.0  # ...nor less often than every 6 hours (unless asked for)
FIRST_BACKOFF_S = 60.0
JITTER = 0.1  # ±10 %: feeds that failed together do not all come back at once


def bounds(every_s: float) -> tuple[float, float]:
    """The interval's floor and ceiling for a feed its subscriber wants every ``every_s``."""
    return min(every_s, FLOOR_S), max(every_s, CEILING_S)


def after_success(interval_s: float, every_s: float, new_items: int) -> float:
    """The next interval after a poll that worked (a 304 is a poll without new items)."""
    floor, ceiling = bounds(every_s)
    interval = interval_s / 2 if new_items else interval_s * 1.5
    return min(ceiling, max(floor, interval))


def after_failure(failures: int, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
    """The wait after the ``failures``-th failure in a row (1, 2, 4 … minutes, ceiling 6 h)."""
    backoff = min(CEILING_S, FIRST_BACKOFF_S * 2 ** max(0, failures - 1))
    backoff *= 1 + JITTER * (2 * (rng or random).random() - 1)
    return max(backoff, retry_after_s or 0.0)


def is_failing(failures: int) -> bool:
    return failures >= FAILING_AFTER


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from ``now``."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
