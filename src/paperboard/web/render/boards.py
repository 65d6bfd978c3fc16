"""What the board pages show around the cards: titles, URLs, navigation, the month calendar.

Pure functions over :class:`~paperboard.domain.periods.Period` (tested in
tests/boards/test_boards.py), plus the few reads that only pages need (the calendar's counts, a
paper page's extras).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from paperboard.boards import Board
from paperboard.domain.paper import PaperRecord
from paperboard.domain.periods import Period, period_containing
from paperboard.storage import board as board_store
from paperboard.storage import listing
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KINDS = ("day", "week", "month")
# URL segment of each period kind: /papers/date/2024-06-13, /papers/week/2024-W24, ...
_SEGMENT = {"day": "date", "week": "week", "month": "month"}
_ADJECTIVE = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def period_url(period: Period) -> str:
    return f"/papers/{_SEGMENT[period.kind]}/{period.key}"


def feed_url(period: Period) -> str:
    """The Atom feed of a board (served by web/feeds.py)."""
    return f"/feeds/{_SEGMENT[period.kind]}/{period.key}.atom"


def _short(day: date) -> str:
    return f"{_MONTH_NAMES[day.month - 1][:3]} {day.day}"


def period_title(period: Period) -> str:
    """The heading of a board: "Thursday, June 13, 2024", "Jun 10 – 16, 2024", "June 2024"."""
    start, end = period.start, period.end
    if period.kind == "day":
        weekday = _WEEKDAYS[start.weekday()]
        return f"{weekday}, {_MONTH_NAMES[start.month - 1]} {start.day}, {start.year}"
    if period.kind == "week":
        if start.year != end.year:
            return f"{_short(start)}, {start.year} – {_short(end)}, {end.year}"
        if start.month != end.month:
            return f"{_short(start)} – {_short(end)}, {end.year}"
        return f"{_short(start)} – {end.day}, {end.year}"
    return f"{_MONTH_NAMES[start.month - 1]} {start.year}"


def period_label(period: Period) -> str:
    """A short name for links: "Jun 13, 2024", "Week 24, 2024", "June 2024"."""
    if period.kind == "day":
        return f"{_short(period.start)}, {period.start.year}"
    if period.kind == "week":
        year, week, _ = period.start.isocalendar()
        return f"Week {week}, {year}"
    return period_title(period)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class SwitchItem:
    kind: str  # "day" | "week" | "month"
    label: str  # "Day"
    url: str
    current: bool


@dataclass(frozen=True, slots=True)
class BoardNav:
    """Everything a board page shows around its cards."""

    period: Period
    adjective: str  # "Daily" | "Weekly" | "Monthly"
    title: str
    label: str
    url: str
    feed_url: str
    previous: Link | None  # the nearest earlier period with papers
    next: Link | None
    switch: tuple[SwitchItem, ...]


def anchor_day(board: Board) -> date:
    """The day a week or month board hands to the Day switch: its latest day with papers."""
    if board.entries:
        return max(entry.day for entry in board.entries)
    return board.period.start


def board_nav(board: Board) -> BoardNav:
    period = board.period
    anchor = anchor_day(board)
    switch = tuple(
        SwitchItem(
            kind,
            kind.capitalize(),
            period_url(period if kind == period.kind else period_containing(kind, anchor)),
            kind == period.kind,
        )
        for kind in KINDS
    )
    return BoardNav(
        period=period,
        adjective=_ADJECTIVE[period.kind],
        title=period_title(period),
        label=period_label(period),
        url=period_url(period),
        feed_url=feed_url(period),
        previous=_link(board.previous),
        next=_link(board.next),
        switch=switch,
    )


def _link(period: Period | None) -> Link | None:
    return Link(period_label(period), period_url(period)) if period else None


# --- the month calendar -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    count: int  # papers featured that day
    in_month: bool
    selected: bool  # inside the board's period

    @property
    def url(self) -> str | None:
        return period_url(Period("day", self.day, self.day)) if self.count else None


@dataclass(frozen=True, slots=True)
class CalendarWeek:
    number: int  # ISO week number
    url: str
    days: tuple[CalendarDay, ...]


@dataclass(frozen=True, slots=True)
class MonthCalendar:
    month: Period
    title: str
    url: str
    previous_url: str
    next_url: str
    weeks: tuple[CalendarWeek, ...]
    total: int  # papers featured in the month


def calendar_month_of(period: Period) -> Period:
    """The month a board's calendar shows: a week's month is the one holding its Thursday
    (ISO's rule for which year a week belongs to)."""
    day = period.start + timedelta(days=3) if period.kind == "week" else period.start
    return period_containing("month", day)


def month_calendar(month: Period, counts: dict[date, int], selected: Period) -> MonthCalendar:
    """Weeks (Monday first) covering ``month``, each day with its number of featured papers."""
    weeks = []
    for row in calendar.Calendar(firstweekday=0).monthdatescalendar(
        month.start.year, month.start.month
    ):
        week = period_containing("week", row[0])
        days = tuple(
            CalendarDay(
                day,
                counts.get(day, 0) if month.contains(day) else 0,
                month.contains(day),
                # A month board is the whole month: marking every day would mark nothing.
                selected.kind != "month" and selected.contains(day),
            )
            for day in row
        )
        weeks.append(CalendarWeek(row[0].isocalendar()[1], period_url(week), days))
    return MonthCalendar(
        month=month,
        title=period_title(month),
        url=period_url(month),
        previous_url=period_url(month.previous()),
        next_url=period_url(month.next()),
        weeks=tuple(weeks),
        total=sum(count for day, count in counts.items() if month.contains(day)),
    )


def load_calendar(db: Database, selected: Period) -> MonthCalendar:
    month = calendar_month_of(selected)
    with db.read() as connection:
        counts = board_store.days_with_entries(connection, month.start, month.end)
    return month_calendar(month, counts, selected)


# --- the paper page ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaperPage:
    paper: PaperRecord
    featured_on: tuple[Link, ...]  # each day's board, oldest first
    upvotes: int
    num_comments: int  # imported (Hugging Face) plus local
    local_comments: int  # the thread below
    paper_id: int = 0


def load_newest(db: Database, *, limit: int, offset: int) -> list[listing.ListedPaper]:
    """The newest papers with their counters (for the cards' upvote and comment counts)."""
    with db.read() as connection:
        records = paper_store.newest(connection, limit=limit, offset=offset)
        return listing.by_arxiv_ids(connection, [record.arxiv_id for record in records])


def load_paper_page(db: Database, arxiv_id: str) -> PaperPage | None:
    with db.read() as connection:
        listed = listing.counted_paper(connection, arxiv_id)
        if listed is None:
            return None
        days = board_store.featured_days_of(connection, listed.paper_id)
    links = tuple(Link(period_label(Period("day", day, day)), _day_url(day)) for day in days)
    return PaperPage(
        listed.paper,
        links,
        listed.upvotes,
        listed.num_comments,
        listed.local_comments,
        listed.paper_id,
    )


def _day_url(day: date) -> str:
    return period_url(Period("day", day, day))
