"""Boards as visitors, API clients, feeds and digests read them: one function per view, ranked
by the domain (domain/ranking.py) over the featured entries in storage (storage/board.py).

A service of its own beside ingest, search, community and mail: it needs only storage and
domain, and both web/ and mail/ read it (mail/ could not reach it inside community/, which
depends on mail/, without an import cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from paperboard.domain.periods import Period, period_containing
from paperboard.domain.ranking import (
    TRENDING_WINDOW,
    Trending,
    on_board_since,
    rank_board,
    rank_trending,
    trending_reference_time,
)
from paperboard.storage import board as board_store
from paperboard.storage.board import BoardEntry
from paperboard.storage.database import Database


@dataclass(frozen=True)
class Board:
    period: Period
    entries: list[BoardEntry]
    # The nearest earlier/later periods that have featured papers (None: none).
    previous: Period | None
    next: Period | None


def board(db: Database, period: Period, *, submitter: str | None = None) -> Board:
    """The papers featured in ``period``, most upvoted first."""
    with db.read() as connection:
        entries = board_store.entries_between(
            connection, period.start, period.end, submitter=submitter
        )
        before = board_store.day_before(connection, period.start)
        after = board_store.day_after(connection, period.end)
    return Board(
        period=period,
        entries=rank_board(entries),
        previous=period_containing(period.kind, before) if before else None,
        next=period_containing(period.kind, after) if after else None,
    )


def home_day(db: Database, today: date | None = None) -> date | None:
    """Today's board, or the latest day that has one (None when nothing was ever featured)."""
    today = today or datetime.now(UTC).date()
    with db.read() as connection:
        return board_store.latest_day(connection, on_or_before=today) or board_store.latest_day(
            connection
        )


@dataclass(frozen=True)
class TrendingBoard:
    reference_time: datetime
    entries: list[Trending[BoardEntry]]


def trending(db: Database, now: datetime | None = None) -> TrendingBoard:
    """Papers on the boards of the trending window, by time-decayed score (domain.ranking).
    Ages count from each board's day, so featuring papers on old boards changes nothing."""
    now = now or datetime.now(UTC)
    with db.read() as connection:
        latest = board_store.latest_featuring(connection, now.date())
        reference = trending_reference_time(now, on_board_since(*latest) if latest else None)
        # Whole days around the window; rank_trending keeps the exact window.
        first = (reference - TRENDING_WINDOW - timedelta(days=1)).date()
        candidates = board_store.entries_on_days(connection, first, reference.date())
    return TrendingBoard(reference, rank_trending(candidates, reference))
