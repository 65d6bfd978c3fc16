"""Board periods: parsing days, ISO weeks and months; keys; neighbours."""

from __future__ import annotations

from datetime import date

import pytest

from paperboard.domain.periods import (
    InvalidPeriod,
    Period,
    parse_day,
    parse_month,
    parse_week,
    period_containing,
)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-06-13", date(2024, 6, 13), date(2024, 6, 13)),
        ("2024-02-29", date(2024, 2, 29), date(2024, 2, 29)),
        ("1991-01-01", date(1991, 1, 1), date(1991, 1, 1)),
    ],
)
def test_parse_day(text: str, start: date, end: date) -> None:
    period = parse_day(text)
    assert (period.kind, period.start, period.end, period.key) == ("day", start, end, text)


@pytest.mark.parametrize(
    ("text", "monday", "sunday"),
    [
        ("2024-W24", date(2024, 6, 10), date(2024, 6, 16)),
        ("2024-W01", date(2024, 1, 1), date(2024, 1, 7)),
        # ISO week 1 of 2025 starts in December 2024.
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),
        # 2026 has 53 ISO weeks (it starts on a Thursday); the last ends in 2027.
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
    ],
)
def test_parse_week(text: str, monday: date, sunday: date) -> None:
    period = parse_week(text)
    assert (period.kind, period.start, period.end, period.key) == ("week", monday, sunday, text)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024-06", date(2024, 6, 1), date(2024, 6, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_parse_month(text: str, first: date, last: date) -> None:
    period = parse_month(text)
    assert (period.kind, period.start, period.end, period.key) == ("month", first, last, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-6-13",
        "2024-06-13 ",
        "2024-13-01",
        "2024-02-30",
        "2023-02-29",
        "13-06-2024",
        "1990-12-31",  # before arXiv
        "2101-01-01",
        "２０２４-06-13",  # full-width digits
        "2024-06-13T00:00",
        "../etc/passwd",
    ],
)
def test_parse_day_rejects(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_day(text)


@pytest.mark.parametrize(
    "text",
    ["2024-W00", "2024-W54", "2025-W53", "2024-w24", "2024W24", "2024-W5", "2024-24", "1900-W01"],
)
def test_parse_week_rejects(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_week(text)


@pytest.mark.parametrize(
    "text", ["2024-00", "2024-13", "2024-6", "202406", "2024-06-01", "3000-01"]
)
def test_parse_month_rejects(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_month(text)


def test_invalid_period_is_a_value_error() -> None:
    # Callers that only know ValueError (CLI option parsing) still catch it.
    assert issubclass(InvalidPeriod, ValueError)


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("day", date(2024, 6, 13), date(2024, 6, 13), date(2024, 6, 13)),
        ("week", date(2024, 6, 13), date(2024, 6, 10), date(2024, 6, 16)),
        ("week", date(2024, 6, 16), date(2024, 6, 10), date(2024, 6, 16)),  # a Sunday
        ("week", date(2025, 1, 1), date(2024, 12, 30), date(2025, 1, 5)),
        ("month", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_period_containing(kind: str, day: date, start: date, end: date) -> None:
    period = period_containing(kind, day)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.contains(day)


def test_period_containing_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="year"):
        period_containing("year", date(2024, 1, 1))


def test_keys_round_trip() -> None:
    for text, parse in (
        ("2025-W01", parse_week),
        ("2026-W53", parse_week),
        ("2024-02", parse_month),
    ):
        assert parse(text).key == text
    # The key of a week is its ISO year's, not the calendar year of its Monday.
    assert period_containing("week", date(2024, 12, 31)).key == "2025-W01"


@pytest.mark.parametrize(
    ("period", "previous", "following"),
    [
        (parse_day("2024-03-01"), parse_day("2024-02-29"), parse_day("2024-03-02")),
        (parse_week("2025-W01"), parse_week("2024-W52"), parse_week("2025-W02")),
        (parse_week("2026-W53"), parse_week("2026-W52"), parse_week("2027-W01")),
        (parse_month("2024-12"), parse_month("2024-11"), parse_month("2025-01")),
        (parse_month("2024-01"), parse_month("2023-12"), parse_month("2024-02")),
    ],
)
def test_previous_and_next(period: Period, previous: Period, following: Period) -> None:
    assert period.previous() == previous
    assert period.next() == following


def test_contains_is_inclusive() -> None:
    week = parse_week("2024-W24")
    assert week.contains(date(2024, 6, 10))
    assert week.contains(date(2024, 6, 16))
    assert not week.contains(date(2024, 6, 17))
    assert not week.contains(date(2024, 6, 9))
