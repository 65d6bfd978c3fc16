"""Ranking: pure functions with named constants, pinned by table tests
(tests/domain/test_ranking.py).

Boards (a day, a week, a month) sort by upvotes, ties newest first. Trending is a time-decayed
score in the manner of Hacker News: votes count, but they fade as the paper ages on the board.
A paper's age is measured from its board's day (``on_board_since``), not from when it was put
there: its votes were cast on that board. docs/ranking.md explains it to users; the trending
page shows each paper's inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, Protocol, TypeVar

# Hacker News ranks by (votes - 1)^0.8 / (age_hours + 2)^1.8. We count every vote (+1 rather
# than -1: a paper featured by a curator has no submitter's own vote to discount), so a paper
# without votes still ranks by freshness instead of tying at zero.
VOTE_OFFSET = 1.0
VOTE_EXPONENT = 0.8
# Hours added to the age so that a brand-new paper is not divided by ~0.
AGE_OFFSET_HOURS = 2.0
# How fast age wins over votes: 1.8 halves a paper's score in ~40% more hours.
GRAVITY = 1.8
# Papers on the boards of this window before the reference time compete for trending.
TRENDING_WINDOW = timedelta(days=7)
# A board is a UTC day (``/papers/date/YYYY-MM-DD``): an entry is on it from the day's start.
BOARD_DAY = timedelta(days=1)


class Rankable(Protocol):
    @property
    def upvotes(self) -> int: ...

    @property
    def day(self) -> date: ...

    @property
    def featured_at(self) -> datetime: ...

    @property
    def published_at(self) -> datetime | None: ...


T = TypeVar("T", bound=Rankable)


def trending_score(upvotes: int, age_hours: float) -> float:
    """The trending score of a paper with ``upvotes`` that entered the board ``age_hours`` ago."""
    votes = max(upvotes, 0) + VOTE_OFFSET
    age = max(age_hours, 0.0) + AGE_OFFSET_HOURS
    return votes**VOTE_EXPONENT / age**GRAVITY


def age_hours(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds() / 3600.0


def on_board_since(day: date, featured_at: datetime) -> datetime:
    """When an entry went on the board of ``day``, for its age: the moment it was featured,
    kept within that day. A paper added today to a board five months old is five months old
    (``paperboard feature --date``: it was "3 min on the board" and took trending over); one
    put on a later day's board in advance enters it when that day begins."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return min(max(featured_at, start), start + BOARD_DAY)


def _newest_key(entry: Rankable) -> float:
    moment = entry.published_at or entry.featured_at
    return moment.timestamp()


def rank_board(entries: Iterable[T]) -> list[T]:
    """A day's, week's or month's board: most upvoted first; ties: newest paper first."""
    return sorted(entries, key=lambda e: (-e.upvotes, -_newest_key(e)))


@dataclass(frozen=True, slots=True)
class Trending(Generic[T]):
    entry: T
    score: float
    age_hours: float


def rank_trending(entries: Sequence[T], now: datetime) -> list[Trending[T]]:
    """Entries on a board within TRENDING_WINDOW before ``now`` (``on_board_since``), best
    trending score first."""
    ranked = []
    for entry in entries:
        hours = age_hours(on_board_since(entry.day, entry.featured_at), now)
        if 0 <= hours <= TRENDING_WINDOW.total_seconds() / 3600:
            ranked.append(Trending(entry, trending_score(entry.upvotes, hours), hours))
    ranked.sort(key=lambda t: (-t.score, -t.entry.upvotes, -_newest_key(t.entry)))
    return ranked


def trending_reference_time(now: datetime, latest_on_board: datetime | None) -> datetime:
    """The moment trending is computed at: now, or, on boards quiet for longer than the
    window, the moment the latest entry went on a board (``on_board_since``), so an archive
    still shows its last trend."""
    if latest_on_board is None or now - latest_on_board <= TRENDING_WINDOW:
        return now
    return latest_on_board
