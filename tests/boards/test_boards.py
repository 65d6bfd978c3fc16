"""Boards as pages read them (paperboard.boards and web.boards_view), on SQLite and PostgreSQL.

The ``db`` fixture runs each database test on both backends; the pure helpers of boards_view
(titles, navigation, the month calendar) are pinned with tables at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paperboard import boards
from paperboard.boards import Board
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.domain.periods import Period, parse_day, parse_month, parse_week
from paperboard.domain.ranking import TRENDING_WINDOW, trending_score
from paperboard.ingest.loader import load
from paperboard.storage.database import Database
from paperboard.web.render import boards as boards_view
from paperboard.web.render.boards import Link, SwitchItem


def paper(arxiv_id: str, published: datetime, **fields: object) -> PaperRecord:
    values: dict[str, object] = {
        "title": f"Paper {arxiv_id}",
        "abstract": "An abstract.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "published_at": published,
    }
    values.update(fields)
    return PaperRecord(arxiv_id=arxiv_id, **values)  # type: ignore[arg-type]


def feature(
    arxiv_id: str, day: date, upvotes: int = 0, *, at: datetime | None = None, by: str = "ak"
) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=day,
        submitted_by=by,
        submitted_by_fullname=by.upper(),
        featured_at=at or datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC),
        upvotes=upvotes,
        num_comments=upvotes // 10,
        source="huggingface",
    )


D1 = date(2024, 6, 10)  # a Monday
D2 = date(2024, 6, 13)
D3 = date(2024, 6, 20)  # the next week
D4 = date(2024, 7, 2)  # the next month


@pytest.fixture
def loaded(db: Database) -> Database:
    """Four boards: two days in week 24, one in week 25, one in July."""
    published = datetime(2024, 6, 1, tzinfo=UTC)
    items: list[PaperRecord | FeaturedRecord] = [
        paper(f"2406.0000{n}", published + timedelta(days=n)) for n in range(1, 9)
    ]
    items += [
        feature("2406.00001", D1, 5),
        feature("2406.00002", D1, 40),
        # A tie on D2: 2406.00004 is the newer paper, so it comes first.
        feature("2406.00003", D2, 12),
        feature("2406.00004", D2, 12, by="curator"),
        feature("2406.00005", D2, 30),
        # Featured on two days of the same week: once on the week's board.
        feature("2406.00001", D2, 5),
        feature("2406.00006", D3, 7),
        feature("2406.00007", D4, 1),
    ]
    report = load(db, items)
    assert report.skipped == 0
    return db


def ids(board: Board) -> list[str]:
    return [entry.paper.arxiv_id for entry in board.entries]


def test_day_board_is_ranked_with_neighbours(loaded: Database) -> None:
    board = boards.board(loaded, parse_day(D2.isoformat()))
    assert ids(board) == ["2406.00005", "2406.00004", "2406.00003", "2406.00001"]
    assert [e.upvotes for e in board.entries] == [30, 12, 12, 5]
    assert board.entries[0].num_comments == 3
    assert board.entries[1].featured_by == "curator"
    assert board.entries[1].featured_by_fullname == "CURATOR"
    # Previous/next skip the empty days in between.
    assert board.previous == parse_day(D1.isoformat())
    assert board.next == parse_day(D3.isoformat())


def test_week_and_month_boards(loaded: Database) -> None:
    week = boards.board(loaded, parse_week("2024-W24"))
    assert ids(week) == ["2406.00002", "2406.00005", "2406.00004", "2406.00003", "2406.00001"]
    assert week.previous is None
    assert week.next == parse_week("2024-W25")
    month = boards.board(loaded, parse_month("2024-06"))
    assert len(month.entries) == 6
    assert month.previous is None
    assert month.next == parse_month("2024-07")


def test_empty_period_still_knows_its_neighbours(loaded: Database) -> None:
    board = boards.board(loaded, parse_day("2024-06-15"))
    assert board.entries == []
    assert board.previous == parse_day(D2.isoformat())
    assert board.next == parse_day(D3.isoformat())
    before_all = boards.board(loaded, parse_day("2020-01-01"))
    assert (before_all.previous, before_all.next) == (None, parse_day(D1.isoformat()))


def test_board_of_one_submitter(loaded: Database) -> None:
    board = boards.board(loaded, parse_day(D2.isoformat()), submitter="curator")
    assert ids(board) == ["2406.00004"]


def test_home_day(loaded: Database) -> None:
    assert boards.home_day(loaded, D2) == D2  # today has a board
    assert boards.home_day(loaded, date(2024, 6, 15)) == D2  # the latest before today
    assert boards.home_day(loaded, date(2030, 1, 1)) == D4
    # Only future boards (a clock behind the data): the latest one rather than nothing.
    assert boards.home_day(loaded, date(2020, 1, 1)) == D4


def test_home_day_without_boards(db: Database) -> None:
    assert boards.home_day(db, D1) is None


def test_trending(db: Database) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    published = datetime(2026, 11, 1, tzinfo=UTC)
    items: list[PaperRecord | FeaturedRecord] = [
        paper(f"2611.0000{n}", published) for n in range(1, 5)
    ]
    items += [
        feature("2611.00001", date(2026, 11, 20), 10, at=now - timedelta(hours=3)),
        feature("2611.00002", date(2026, 11, 19), 50, at=now - timedelta(hours=24)),
        feature("2611.00003", date(2026, 11, 1), 999, at=now - timedelta(days=19)),  # too old
        feature("2611.00004", date(2026, 11, 20), 0, at=now - timedelta(hours=1)),
    ]
    load(db, items)
    board = boards.trending(db, now)
    assert board.reference_time == now
    assert [t.entry.paper.arxiv_id for t in board.entries] == [
        "2611.00001",
        "2611.00004",
        "2611.00002",
    ]
    first = board.entries[0]
    assert first.age_hours == pytest.approx(3.0)
    assert first.score == pytest.approx(trending_score(10, 3.0))


def test_featuring_papers_on_an_old_board_does_not_take_trending_over(db: Database) -> None:
    """Issue 18: ``paperboard feature --date <five months ago>`` put those 0-upvote papers
    "3 min on the board" at the top and pushed the week's 72- and 63-upvote papers out. Papers
    age by their board's day, whenever they were added to it."""
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    published = datetime(2026, 6, 1, tzinfo=UTC)
    old = [f"2606.{n:05d}" for n in range(1, 41)]
    items: list[PaperRecord | FeaturedRecord] = [paper(arxiv_id, published) for arxiv_id in old]
    items += [paper("2611.00001", published), paper("2611.00002", published)]
    items += [
        feature("2611.00001", date(2026, 11, 19), 72, at=now - timedelta(hours=20)),
        feature("2611.00002", date(2026, 11, 18), 63, at=now - timedelta(hours=40)),
        *(feature(a, date(2026, 7, 1), at=now - timedelta(minutes=3), by="cur") for a in old),
    ]
    load(db, items)
    board = boards.trending(db, now)
    assert board.reference_time == now
    assert [t.entry.paper.arxiv_id for t in board.entries] == ["2611.00001", "2611.00002"]
    assert [t.age_hours for t in board.entries] == pytest.approx([20.0, 40.0])


def test_a_quiet_board_is_quiet_whatever_was_added_to_old_boards(loaded: Database) -> None:
    """Featuring a paper today on a board of 2024 does not make trending "live": it stays as
    of the last board's day, where that paper is not."""
    load(loaded, [paper("2406.00009", datetime(2024, 6, 1, tzinfo=UTC))])
    now = datetime(2026, 11, 20, tzinfo=UTC)
    load(loaded, [feature("2406.00009", D1, 500, at=now - timedelta(minutes=3))])
    board = boards.trending(loaded, now)
    assert board.reference_time == datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
    assert [t.entry.paper.arxiv_id for t in board.entries] == ["2406.00007"]


def test_trending_on_a_quiet_board_is_as_of_its_last_featuring(loaded: Database) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    board = boards.trending(loaded, now)
    last = datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
    assert board.reference_time == last
    # Everything featured in the week before that moment, scored at that moment.
    assert [t.entry.paper.arxiv_id for t in board.entries] == ["2406.00007"]
    assert board.entries[0].age_hours == 0.0
    assert now - board.reference_time > TRENDING_WINDOW


def test_trending_without_boards(db: Database) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    board = boards.trending(db, now)
    assert (board.reference_time, board.entries) == (now, [])


def test_load_calendar_counts_days(loaded: Database) -> None:
    calendar = boards_view.load_calendar(loaded, parse_week("2024-W24"))
    assert calendar.month == parse_month("2024-06")
    counts = {cell.day: cell.count for week in calendar.weeks for cell in week.days if cell.count}
    assert counts == {D1: 2, D2: 4, D3: 1}
    assert calendar.total == 7
    selected = [cell.day for week in calendar.weeks for cell in week.days if cell.selected]
    assert selected == [D1 + timedelta(days=n) for n in range(7)]


def test_load_paper_page(loaded: Database) -> None:
    page = boards_view.load_paper_page(loaded, "2406.00001")
    assert page is not None
    assert page.paper.title == "Paper 2406.00001"
    assert page.upvotes == 5
    assert page.featured_on == (
        Link("Jun 10, 2024", "/papers/date/2024-06-10"),
        Link("Jun 13, 2024", "/papers/date/2024-06-13"),
    )
    never = boards_view.load_paper_page(loaded, "2406.00008")
    assert never is not None
    assert (never.featured_on, never.upvotes, never.num_comments) == ((), 0, 0)
    assert boards_view.load_paper_page(loaded, "2406.99999") is None


def test_load_newest_has_counters(loaded: Database) -> None:
    newest = boards_view.load_newest(loaded, limit=3, offset=0)
    assert [item.paper.arxiv_id for item in newest] == ["2406.00008", "2406.00007", "2406.00006"]
    assert [item.upvotes for item in newest] == [0, 1, 7]
    second = boards_view.load_newest(loaded, limit=3, offset=3)
    assert [item.paper.arxiv_id for item in second] == ["2406.00005", "2406.00004", "2406.00003"]


# --- pure helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "title", "label", "url", "feed"),
    [
        (
            parse_day("2024-06-13"),
            "Thursday, June 13, 2024",
            "Jun 13, 2024",
            "/papers/date/2024-06-13",
            "/feeds/date/2024-06-13.atom",
        ),
        (
            parse_week("2024-W24"),
            "Jun 10 – 16, 2024",
            "Week 24, 2024",
            "/papers/week/2024-W24",
            "/feeds/week/2024-W24.atom",
        ),
        (
            parse_week("2024-W22"),
            "May 27 – Jun 2, 2024",
            "Week 22, 2024",
            "/papers/week/2024-W22",
            "/feeds/week/2024-W22.atom",
        ),
        (
            parse_week("2025-W01"),
            "Dec 30, 2024 – Jan 5, 2025",
            "Week 1, 2025",
            "/papers/week/2025-W01",
            "/feeds/week/2025-W01.atom",
        ),
        (
            parse_month("2024-06"),
            "June 2024",
            "June 2024",
            "/papers/month/2024-06",
            "/feeds/month/2024-06.atom",
        ),
    ],
)
def test_period_names_and_urls(period: Period, title: str, label: str, url: str, feed: str) -> None:
    assert boards_view.period_title(period) == title
    assert boards_view.period_label(period) == label
    assert boards_view.period_url(period) == url
    assert boards_view.feed_url(period) == feed


def test_board_nav_switch_follows_the_latest_day_with_papers() -> None:
    week = parse_week("2024-W24")
    board = Board(week, [], previous=parse_week("2024-W20"), next=None)
    nav = boards_view.board_nav(board)
    assert nav.adjective == "Weekly"
    assert nav.previous == Link("Week 20, 2024", "/papers/week/2024-W20")
    assert nav.next is None
    # An empty week hands its Monday to the Day switch.
    assert nav.switch == (
        SwitchItem("day", "Day", "/papers/date/2024-06-10", False),
        SwitchItem("week", "Week", "/papers/week/2024-W24", True),
        SwitchItem("month", "Month", "/papers/month/2024-06", False),
    )


def test_board_nav_of_a_day() -> None:
    day = parse_day("2024-06-30")  # a Sunday: its week is W26, its month June
    nav = boards_view.board_nav(Board(day, [], previous=None, next=parse_day("2024-07-02")))
    assert [item.url for item in nav.switch] == [
        "/papers/date/2024-06-30",
        "/papers/week/2024-W26",
        "/papers/month/2024-06",
    ]
    assert nav.next == Link("Jul 2, 2024", "/papers/date/2024-07-02")


@pytest.mark.parametrize(
    ("period", "month"),
    [
        (parse_day("2024-06-13"), "2024-06"),
        (parse_week("2024-W22"), "2024-05"),  # Mon May 27 .. Sun Jun 2: Thursday is May 30
        (parse_week("2024-W26"), "2024-06"),  # Jun 24 .. Jun 30
        (parse_week("2025-W01"), "2025-01"),  # Dec 30 .. Jan 5: Thursday is Jan 2
        (parse_month("2024-02"), "2024-02"),
    ],
)
def test_calendar_month_of(period: Period, month: str) -> None:
    assert boards_view.calendar_month_of(period) == parse_month(month)


def test_month_calendar_layout() -> None:
    june = parse_month("2024-06")
    calendar = boards_view.month_calendar(
        june, {D2: 21, date(2024, 5, 31): 9}, parse_day("2024-06-13")
    )
    assert calendar.title == "June 2024"
    assert (calendar.previous_url, calendar.next_url) == (
        "/papers/month/2024-05",
        "/papers/month/2024-07",
    )
    # June 2024 starts on a Saturday: five Monday-first weeks, W22 to W26.
    assert [week.number for week in calendar.weeks] == [22, 23, 24, 25, 26]
    assert calendar.weeks[0].url == "/papers/week/2024-W22"
    first = calendar.weeks[0].days
    assert [cell.in_month for cell in first] == [False] * 5 + [True] * 2
    # Days outside the month never link, even with papers; in-month days link when they have any.
    assert first[4].day == date(2024, 5, 31) and first[4].count == 0 and first[4].url is None
    thirteenth = calendar.weeks[2].days[3]
    assert (thirteenth.day, thirteenth.count, thirteenth.url) == (D2, 21, "/papers/date/2024-06-13")
    assert thirteenth.selected
    assert calendar.total == 21
    # A month board marks no single day.
    whole = boards_view.month_calendar(june, {}, june)
    assert not any(cell.selected for week in whole.weeks for cell in week.days)
