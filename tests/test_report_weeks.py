"""ISO weeks in the brand's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reports.weeks import IsoWeek, last_complete_week, parse_week, resolve_week, week_containing
from ugcminer.errors import ConfigError


def test_parse_week__bounds_in_brand_timezone():
    week = parse_week("2026-W47", "Europe/Berlin")
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week.start_utc == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert week.end_utc == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert week.label == "2026-W47" and parse_week("2026w47").label == "2026-W47"


def test_iso_week__year_boundary_and_previous():
    week = week_containing(date(2027, 1, 1))  # a Friday in ISO week 2026-W53
    assert week.label == "2026-W53"
    assert week.previous().label == "2026-W52"
    assert [w.label for w in IsoWeek(2027, 2).back(3)] == ["2026-W53", "2027-W01", "2027-W02"]


def test_iso_week__dst_change_week_is_169_hours():
    week = parse_week("2026-W43", "Europe/Berlin")  # clocks go back on Sunday 25 Oct 2026
    assert (week.end_utc - week.start_utc).total_seconds() == 169 * 3600


def test_week_containing__aware_datetime_uses_brand_timezone():
    late_sunday_utc = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert week_containing(late_sunday_utc, "UTC").label == "2026-W47"
    assert week_containing(late_sunday_utc, "Europe/Berlin").label == "2026-W48"
    assert parse_week("2026-W48", "Europe/Berlin").contains(late_sunday_utc)


def test_resolve_week__as_of_is_last_complete_week():
    assert last_complete_week("2026-11-23").label == "2026-W47"  # a Monday: the week just ended
    assert last_complete_week("2026-11-22").label == "2026-W46"  # a Sunday: W47 is not complete
    assert resolve_week(as_of="2026-11-25", tz="Asia/Tokyo").label == "2026-W47"
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert resolve_week(now=now, tz="Europe/Berlin").label == "2026-W47"
    assert resolve_week(week="2025-W01").label == "2025-W01"


@pytest.mark.parametrize(
    "bad",
    [
        dict(week="2026-47"),
        dict(week="2026-W54"),
        dict(as_of="next tuesday"),
        dict(week="2026-W01", as_of="2026-01-01"),
        dict(week="2026-W01", tz="Mars/Base"),
    ],
)
def test_resolve_week__bad_input_names_the_option(bad):
    with pytest.raises(ConfigError) as exc:
        resolve_week(**bad).start  # noqa: B018
    assert any(word in str(exc.value) for word in ("--week", "--as-of", "timezone"))
