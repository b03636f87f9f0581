"""The timeline of a match: bars of articles per day, week or month, whichever suits its range.

Pure. The store counts per day; bars are days for up to three months, weeks (from Monday,
as the search API's ``histogram=week``) for up to two years, months beyond, so a timeline
has between a handful and about a hundred bars. Days without articles are bars of 0.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from msgspec import Struct

from shared.schemas import TimeBucket

Interval = Literal["day", "week", "month"]
DAYS_UP_TO = 92
WEEKS_UP_TO = 731


class Bar(Struct, frozen=True):
    start: date
    end: date  # the last day the bar counts (inclusive): what `to` takes
    count: int
    height: float = 0.0  # percent of the tallest bar (a sliver at least, when it has any)

    @property
    def label(self) -> str:
        return self.start.isoformat() if self.start == self.end else f"{self.start} – {self.end}"


class Timeline(Struct, frozen=True):
    interval: Interval
    bars: list[Bar]
    peak: int = 0


def interval_for(first: date, last: date) -> Interval:
    span = (last - first).days + 1
    if span <= DAYS_UP_TO:
        return "day"
    return "week" if span <= WEEKS_UP_TO else "month"


def timeline(days: list[TimeBucket]) -> Timeline:
    """Bars over the days of ``days`` (the store's ``histogram=day``), first to last."""
    counts: dict[date, int] = {}
    for bucket in days:
        day = bucket.start.date()
        counts[day] = counts.get(day, 0) + bucket.count
    if not counts:
        return Timeline(interval="day", bars=[])
    first, last = min(counts), max(counts)
    interval = interval_for(first, last)
    bars: dict[date, int] = {}
    start = _period_start(first, interval)
    while start <= last:
        bars[start] = 0
        start = _next(start, interval)
    for day, count in counts.items():
        bars[_period_start(day, interval)] += count
    peak = max(bars.values())
    return Timeline(
        interval=interval,
        peak=peak,
        bars=[
            Bar(
                start=start,
                end=_next(start, interval) - timedelta(days=1),
                count=count,
                height=_height(count, peak),
            )
            for start, count in bars.items()
        ],
    )


def _height(count: int, peak: int) -> float:
    return max(2.0, round(100.0 * count / peak, 1)) if count else 0.0


def _period_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)
