"""The page's timeline: bars per day, week or month by the range (services/index/web/timeline.py)."""

from datetime import UTC, date, datetime, timedelta

from services.index.web.timeline import interval_for, timeline
from shared.schemas import TimeBucket


def _days(*pairs: tuple[date, int]) -> list[TimeBucket]:
    return [
        TimeBucket(start=datetime(d.year, d.month, d.day, tzinfo=UTC), count=n) for d, n in pairs
    ]


def test_the_interval_grows_with_the_range():
    first = date(2026, 1, 1)
    assert interval_for(first, first + timedelta(days=91)) == "day"
    assert interval_for(first, first + timedelta(days=92)) == "week"
    assert interval_for(first, first + timedelta(days=730)) == "week"
    assert interval_for(first, first + timedelta(days=731)) == "month"


def test_days_without_articles_are_bars_of_zero():
    line = timeline(_days((date(2026, 3, 1), 4), (date(2026, 3, 4), 2)))
    assert line.interval == "day"
    assert [(b.start.day, b.count) for b in line.bars] == [(1, 4), (2, 0), (3, 0), (4, 2)]
    assert line.peak == 4 and [b.height for b in line.bars] == [100.0, 0.0, 0.0, 50.0]
    assert line.bars[0].end == line.bars[0].start


def test_weeks_start_on_monday_and_end_on_sunday():
    line = timeline(_days((date(2026, 1, 1), 1), (date(2026, 4, 30), 3), (date(2026, 5, 3), 2)))
    assert line.interval == "week"
    assert line.bars[0].start == date(2025, 12, 29) and line.bars[0].end == date(2026, 1, 4)
    assert line.bars[-1].start == date(2026, 4, 27) and line.bars[-1].count == 5
    assert sum(b.count for b in line.bars) == 6


def test_months_across_a_year_end():
    line = timeline(_days((date(2024, 11, 15), 1), (date(2026, 12, 31), 2)))
    assert line.interval == "month"
    assert (line.bars[0].start, line.bars[0].end) == (date(2024, 11, 1), date(2024, 11, 30))
    assert (line.bars[1].start, line.bars[-1].end) == (date(2024, 12, 1), date(2026, 12, 31))
    assert len(line.bars) == 26


def test_a_sliver_shows_a_small_count_beside_a_large_one():
    line = timeline(_days((date(2026, 3, 1), 1000), (date(2026, 3, 2), 1)))
    assert line.bars[1].height == 2.0


def test_no_dates_no_bars():
    assert timeline([]).bars == []
