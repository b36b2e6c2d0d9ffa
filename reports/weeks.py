"""ISO weeks in a brand's timezone.

A report covers one ISO week, Monday 00:00 to the next Monday 00:00 in the brand's timezone (end
exclusive). `--week 2026-W47` names it directly; `--as-of DATE` means "as if today were DATE": the
last complete week before that date (so a report run on Monday 2026-11-23 covers 2026-W47).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ugcminer.errors import ConfigError

_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def zone(name: str) -> ZoneInfo:
    """The timezone called `name`, or a clear error naming the config key."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"brands[].timezone: unknown timezone {name!r} (use an IANA name such as "
            f"'Europe/Berlin' or 'UTC')"
        ) from None


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week in a timezone."""

    year: int
    week: int
    tz: str = "UTC"

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise ConfigError(f"--week: {self.year}-W{self.week:02d} is not an ISO week") from None

    @property
    def label(self) -> str:
        """Like "2026-W47"."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def first_day(self) -> date:
        """The Monday."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        """The Sunday."""
        return self.first_day + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 in the timezone (aware)."""
        return datetime.combine(self.first_day, time(0), tzinfo=zone(self.tz))

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 in the timezone (aware, exclusive)."""
        return datetime.combine(self.first_day + timedelta(days=7), time(0), tzinfo=zone(self.tz))

    @property
    def start_utc(self) -> datetime:
        """`start` in UTC."""
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        """`end` in UTC."""
        return self.end.astimezone(UTC)

    def previous(self, n: int = 1) -> IsoWeek:
        """The week `n` weeks earlier."""
        return week_containing(self.first_day - timedelta(weeks=n), self.tz)

    def back(self, count: int) -> list[IsoWeek]:
        """`count` weeks ending with this one, oldest first."""
        return [self.previous(i) for i in range(count - 1, -1, -1)]

    def contains(self, moment: datetime) -> bool:
        """True when `moment` (aware) falls in [start, end)."""
        return self.start_utc <= moment.astimezone(UTC) < self.end_utc

    def range_text(self) -> str:
        """Like "16-22 Nov 2026"."""
        a, b = self.first_day, self.last_day
        if a.month == b.month:
            return f"{a.day}-{b.day} {b:%b %Y}"
        if a.year == b.year:
            return f"{a.day} {a:%b} - {b.day} {b:%b %Y}"
        return f"{a.day} {a:%b %Y} - {b.day} {b:%b %Y}"


def week_containing(day: date | datetime, tz: str = "UTC") -> IsoWeek:
    """The ISO week holding `day` (an aware datetime is first converted to `tz`)."""
    if isinstance(day, datetime):
        day = (day.astimezone(zone(tz)) if day.tzinfo else day).date()
    iso = day.isocalendar()
    return IsoWeek(iso.year, iso.week, tz)


def parse_week(text: str, tz: str = "UTC") -> IsoWeek:
    """Parse "2026-W47" (or "2026W47")."""
    match = _WEEK_RE.match(text or "")
    if not match:
        raise ConfigError(f"--week: {text!r} is not an ISO week (write it like 2026-W47)")
    return IsoWeek(int(match.group(1)), int(match.group(2)), tz)


def parse_date(text: str | date) -> date:
    """Parse an ISO date (a datetime's date part is used)."""
    if isinstance(text, date):
        return text if not isinstance(text, datetime) else text.date()
    try:
        return datetime.fromisoformat(str(text).strip()).date()
    except ValueError:
        raise ConfigError(f"--as-of: {text!r} is not a date (write it like 2026-11-23)") from None


def last_complete_week(as_of: date | str, tz: str = "UTC") -> IsoWeek:
    """The last ISO week that ended on or before `as_of` 00:00."""
    return week_containing(parse_date(as_of), tz).previous()


def resolve_week(
    week: str | None = None, as_of: str | date | None = None, tz: str = "UTC", now: datetime | None = None
) -> IsoWeek:
    """The report week from `--week` or `--as-of`; neither means the last complete week before today."""
    if week and as_of:
        raise ConfigError("give either --week or --as-of, not both")
    if week:
        return parse_week(week, tz)
    if as_of is None:
        as_of = (now or datetime.now(UTC)).astimezone(zone(tz)).date()
    return last_complete_week(as_of, tz)
