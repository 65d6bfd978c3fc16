"""Board periods: a day, an ISO week (``2026-W47``) or a month (``2026-11``), as date ranges."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Boards before arXiv existed, or far in the future, are mistakes, not empty boards.
MIN_YEAR = 1991
MAX_YEAR = 2100


class InvalidPeriod(ValueError):
    """Text that is not a day, ISO week or month."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # "day" | "week" | "month"
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidPeriod(f"year out of range in {text!r}")


def parse_day(text: str) -> Period:
    if not _DAY.match(text):
        raise InvalidPeriod(f"not a day (YYYY-MM-DD): {text[:40]!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(f"not a day (YYYY-MM-DD): {text[:40]!r}") from None
    _check_year(day.year, text)
    return Period("day", day, day)


def parse_week(text: str) -> Period:
    match = _WEEK.match(text)
    if not match:
        raise InvalidPeriod(f"not an ISO week (YYYY-Www): {text[:40]!r}")
    year, week = int(match[1]), int(match[2])
    _check_year(year, text)
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidPeriod(f"{year} has no week {week}") from None
    return Period("week", monday, monday + timedelta(days=6))


def parse_month(text: str) -> Period:
    match = _MONTH.match(text)
    if not match:
        raise InvalidPeriod(f"not a month (YYYY-MM): {text[:40]!r}")
    year, month = int(match[1]), int(match[2])
    _check_year(year, text)
    if not 1 <= month <= 12:
        raise InvalidPeriod(f"no month {month}")
    last = calendar.monthrange(year, month)[1]
    return Period("month", date(year, month, 1), date(year, month, last))


def period_containing(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period("month", day.replace(day=1), day.replace(day=last))
    raise ValueError(kind)
