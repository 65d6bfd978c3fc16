"""Ranking: pinned values of the trending score, board order, the trending window.

The numbers here are the ones docs/ranking.md shows: change a constant and both must change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from paperboard.domain import ranking
from paperboard.domain.ranking import (
    age_hours,
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


def test_constants_are_the_documented_ones() -> None:
    # docs/ranking.md and the trending page explain these values; a change is a decision.
    assert ranking.VOTE_OFFSET == 1.0
    assert ranking.VOTE_EXPONENT == 0.8
    assert ranking.AGE_OFFSET_HOURS == 2.0
    assert ranking.GRAVITY == 1.8
    assert timedelta(days=7) == ranking.TRENDING_WINDOW


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
