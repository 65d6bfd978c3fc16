"""Ranking: pinned values of the trending score, board order, the trending window.

The numbers here are the ones docs/ranking.md shows: change a constant and both must change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from paperboard.domain import ranking
from paperboard.domain.ranking import (
    age_hours,
    on_board_since,
    rank_board,
    rank_trending,
    trending_reference_time,
    trending_score,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    name: str
    upvotes: int
    featured_at: datetime
    published_at: datetime | None = None
    # The board's day: the featuring's own day unless a test says otherwise.
    day: date = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.day is None:
            object.__setattr__(self, "day", self.featured_at.date())


def test_constants_are_the_documented_ones() -> None:
    # docs/ranking.md and the trending page explain these values; a change is a decision.
    assert ranking.VOTE_OFFSET == 1.0
    assert ranking.VOTE_EXPONENT == 0.8
    assert ranking.AGE_OFFSET_HOURS == 2.0
    assert ranking.GRAVITY == 1.8
    assert timedelta(days=7) == ranking.TRENDING_WINDOW
    assert timedelta(days=1) == ranking.BOARD_DAY


@pytest.mark.parametrize(
    ("upvotes", "hours", "score"),
    [
        (0, 0.0, 0.2872),
        (1, 1.0, 0.2410),
        (10, 3.0, 0.3758),
        (10, 24.0, 0.01933),
        (50, 24.0, 0.06593),
        (50, 72.0, 0.01003),
        (100, 48.0, 0.03510),
        (0, 24.0, 0.002838),
        (200, 144.0, 0.008845),
        # Out-of-range inputs are clamped, never an error or a complex number.
        (-5, 0.0, 0.2872),
        (0, -3.0, 0.2872),
    ],
)
def test_trending_score_table(upvotes: int, hours: float, score: float) -> None:
    assert trending_score(upvotes, hours) == pytest.approx(score, rel=1e-3)


def test_trending_score_shape() -> None:
    # More votes never hurt; more age never helps.
    for hours in (0.0, 5.0, 48.0):
        scores = [trending_score(votes, hours) for votes in range(0, 200, 7)]
        assert scores == sorted(scores)
    for votes in (0, 10, 500):
        scores = [trending_score(votes, float(hours)) for hours in range(0, 170, 6)]
        assert scores == sorted(scores, reverse=True)


def test_age_hours() -> None:
    assert age_hours(NOW - timedelta(hours=5, minutes=30), NOW) == 5.5
    assert age_hours(NOW + timedelta(hours=1), NOW) == -1.0


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "featured_at", "since"),
    [
        # Featured during its board's day (imports, submissions): that very moment.
        (date(2026, 11, 20), _at(20, 9, 30), _at(20, 9, 30)),
        (date(2026, 11, 20), _at(20, 0, 0), _at(20, 0, 0)),
        # Added to an older day's board later (``paperboard feature --date``): the paper is as
        # old as that board, at most its day's end. It is not new because it was added now.
        (date(2026, 11, 19), _at(20, 15), _at(20, 0)),
        (date(2026, 6, 20), _at(20, 15), datetime(2026, 6, 21, tzinfo=UTC)),
        # Put on a later day's board in advance: it enters the board when that day begins.
        (date(2026, 11, 22), _at(20, 15), _at(22, 0)),
    ],
)
def test_on_board_since_table(day: date, featured_at: datetime, since: datetime) -> None:
    assert on_board_since(day, featured_at) == since


def test_featuring_papers_on_an_old_board_does_not_make_them_trend() -> None:
    """Issue 18: featuring 0-upvote papers on a five-month-old board at ``NOW`` made them
    "3 min on the board" and pushed the 72- and 63-upvote papers of the week out."""
    hour = timedelta(hours=1)
    entries = [
        Entry("popular", 72, NOW - 20 * hour),
        Entry("liked", 63, NOW - 30 * hour),
        *(
            Entry(f"old{n}", 0, NOW - 3 * timedelta(minutes=1), day=date(2026, 7, 1))
            for n in range(40)
        ),
        Entry("late-to-yesterday", 40, NOW - timedelta(minutes=3), day=date(2026, 11, 19)),
        Entry("tomorrow", 100, NOW - hour, day=date(2026, 11, 21)),
    ]
    ranked = rank_trending(entries, NOW)
    assert [t.entry.name for t in ranked] == ["late-to-yesterday", "popular", "liked"]
    # Yesterday's board ended 12 hours before NOW: the late addition is 12 hours old there.
    assert [t.age_hours for t in ranked] == [12.0, 20.0, 30.0]
    assert ranked[0].score == pytest.approx(trending_score(40, 12.0))


def test_rank_board_by_upvotes_ties_newest_first() -> None:
    day = datetime(2026, 11, 20, tzinfo=UTC)
    entries = [
        Entry("old-tie", 5, day, published_at=datetime(2026, 11, 1, tzinfo=UTC)),
        Entry("top", 9, day, published_at=datetime(2026, 10, 1, tzinfo=UTC)),
        Entry("new-tie", 5, day, published_at=datetime(2026, 11, 18, tzinfo=UTC)),
        # Without a publication date the featuring time stands in.
        Entry("undated-tie", 5, datetime(2026, 11, 19, tzinfo=UTC)),
        Entry("none", 0, day, published_at=datetime(2026, 11, 19, tzinfo=UTC)),
    ]
    ranked = [entry.name for entry in rank_board(entries)]
    assert ranked == ["top", "undated-tie", "new-tie", "old-tie", "none"]
    assert rank_board([]) == []


def test_rank_trending_window_and_order() -> None:
    hour = timedelta(hours=1)
    entries = [
        Entry("fresh", 10, NOW - 3 * hour),
        Entry("day-old", 50, NOW - 24 * hour),
        Entry("week-edge", 1000, NOW - ranking.TRENDING_WINDOW),  # exactly at the edge: in
        Entry("too-old", 1000, NOW - ranking.TRENDING_WINDOW - hour),  # out
        Entry("future", 1000, NOW + hour),  # featured after the reference time: out
        Entry("unvoted-now", 0, NOW),
    ]
    ranked = rank_trending(entries, NOW)
    assert [t.entry.name for t in ranked] == ["fresh", "unvoted-now", "day-old", "week-edge"]
    fresh = ranked[0]
    assert fresh.age_hours == 3.0
    assert fresh.score == pytest.approx(trending_score(10, 3.0))
    assert ranked[-1].age_hours == 168.0


def test_rank_trending_ties_by_upvotes_then_newest() -> None:
    moment = NOW - timedelta(hours=5)
    entries = [
        Entry("older", 3, moment, published_at=datetime(2026, 1, 1, tzinfo=UTC)),
        Entry("newer", 3, moment, published_at=datetime(2026, 6, 1, tzinfo=UTC)),
    ]
    assert [t.entry.name for t in rank_trending(entries, NOW)] == ["newer", "older"]


def test_rank_trending_uses_the_reference_time() -> None:
    # Scores are ages relative to the reference time, not to the wall clock.
    entries = [Entry("a", 10, datetime(2024, 6, 13, tzinfo=UTC))]
    reference = datetime(2024, 6, 13, 6, 0, tzinfo=UTC)
    (only,) = rank_trending(entries, reference)
    assert only.age_hours == 6.0
    assert rank_trending(entries, NOW) == []


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (None, NOW),  # nothing featured yet: now
        (NOW - timedelta(days=2), NOW),  # an active board: now
        (NOW - ranking.TRENDING_WINDOW, NOW),  # still inside the window
        # A quiet board: as of its last featuring, so trending still shows its last week.
        (NOW - timedelta(days=30), NOW - timedelta(days=30)),
    ],
)
def test_trending_reference_time(latest: datetime | None, expected: datetime) -> None:
    assert trending_reference_time(NOW, latest) == expected
