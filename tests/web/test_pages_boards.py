"""The board pages, trending, new papers and the paper page's board extras, over HTTP.

Each test gets a real SQLite database in tmp_path, loaded the way an operator loads one (the
loader, with paper and featured records, or Hugging Face's recorded daily-papers JSON).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.domain import ranking
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.mail.sender import InMemorySender, MailSender
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.web.pages.papers import BOARD_PER_PAGE
from paperboard.web.render.format import format_date, format_hours
from paperboard.web.response_cache import ResponseCache
from tests.app_factory import Site, build_site


@contextmanager
def open_site(data_dir: Path, mail_sender: MailSender | None) -> Iterator[Site]:
    db = Database(f"sqlite:///{data_dir}/t.db")
    # Every request renders afresh: tests load data between requests faster than the cache's
    # one-second version check. test_pages_are_cached_until_the_data_changes covers the cache.
    with build_site(db, data_dir, mail_sender=mail_sender) as built:
        yield built
    db.dispose()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A site that can send mail, so that every page offers the digest."""
    with open_site(tmp_path, InMemorySender()) as site:
        yield site


def paper(arxiv_id: str, published: datetime | None = None, **fields: object) -> PaperRecord:
    values: dict[str, object] = {
        "title": f"Paper {arxiv_id}",
        "abstract": "We study things.\nThey are interesting.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "published_at": published or datetime(2024, 6, 1, tzinfo=UTC),
    }
    values.update(fields)
    return PaperRecord(arxiv_id=arxiv_id, **values)  # type: ignore[arg-type]


def feature(
    arxiv_id: str, day: date, upvotes: int = 0, *, at: datetime | None = None, comments: int = 0
) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=day,
        submitted_by="akhaliq",
        submitted_by_fullname="AK",
        featured_at=at or datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC),
        upvotes=upvotes,
        num_comments=comments,
        source="huggingface",
    )


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]*)</a>', html)


def vote_counts(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="votes-count">(\d+)</span>', html)]


D1 = date(2024, 6, 10)
D2 = date(2024, 6, 13)
D3 = date(2024, 6, 20)


@pytest.fixture
def boards_site(site: Site) -> Site:
    """Three days of boards in June 2024; D2 has a tie in upvotes."""
    site.add(
        paper("2406.00001", datetime(2024, 6, 1, tzinfo=UTC), title="Early bird"),
        paper("2406.00002", datetime(2024, 6, 2, tzinfo=UTC), title="Older tie"),
        paper("2406.00003", datetime(2024, 6, 9, tzinfo=UTC), title="Newer tie"),
        paper(
            "2406.00004",
            datetime(2024, 6, 5, tzinfo=UTC),
            title="Most upvoted",
            code_urls=["https://github.com/ada/most"],
        ),
        paper("2406.00005", datetime(2024, 6, 18, tzinfo=UTC), title="Next week"),
        feature("2406.00001", D1, 3),
        feature("2406.00002", D2, 10),
        feature("2406.00003", D2, 10),
        feature("2406.00004", D2, 99, comments=7),
        feature("2406.00005", D3, 1),
    )
    return site


# --- day boards and the home page -------------------------------------------------------------


def test_home_shows_the_latest_day_with_papers(boards_site: Site) -> None:
    html = boards_site.get("/")
    assert "Thursday, June 20, 2024" in html
    assert card_titles(html) == ["Next week"]
    # Navigation: the previous day with papers; nothing later; the period switch.
    assert 'href="/papers/date/2024-06-13"' in html
    assert 'class="button date-next"' not in html
    assert '<a href="/papers/date/2024-06-20" aria-current="page">Day</a>' in html
    assert '<a href="/papers/week/2024-W25">Week</a>' in html
    assert '<a href="/papers/month/2024-06">Month</a>' in html
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Daily papers, Jun 20, 2024" '
        'href="/feeds/date/2024-06-20.atom">'
    ) in html


def test_day_board_sorted_by_upvotes_ties_newest_first(boards_site: Site) -> None:
    html = boards_site.get("/papers/date/2024-06-13")
    assert card_titles(html) == ["Most upvoted", "Newer tie", "Older tie"]
    assert vote_counts(html) == [99, 10, 10]
    assert "3 papers featured, most upvoted first." in html
    # Neighbours are the nearest days that have papers, not the calendar's.
    assert '<a class="button date-prev" href="/papers/date/2024-06-10"' in html
    assert '<a class="button date-next" href="/papers/date/2024-06-20"' in html
    # Card contents: the paper's published date, comments, code, submitter.
    most = html[html.index("Most upvoted") :]
    assert '<time datetime="2024-06-05">Jun 5, 2024</time>' in most
    # Its 7 comments were counted on Hugging Face: none is in the thread here (issue 18).
    assert 'title="0 comments here, 7 on Hugging Face"' in most
    assert 'href="https://github.com/ada/most"' in most
    assert "Submitted by AK" in most
    assert 'href="/feeds/date/2024-06-13.atom"' in html


def test_week_board_with_calendar(boards_site: Site) -> None:
    html = boards_site.get("/papers/week/2024-W24")
    assert "Jun 10 – 16, 2024" in html
    assert card_titles(html) == ["Most upvoted", "Newer tie", "Older tie", "Early bird"]
    assert '<a href="/papers/week/2024-W24" aria-current="page">Week</a>' in html
    # The Day switch goes to the week's latest day with papers.
    assert '<a href="/papers/date/2024-06-13">Day</a>' in html
    assert 'href="/papers/week/2024-W25"' in html  # next week with papers
    assert 'href="/feeds/week/2024-W24.atom"' in html
    # The calendar links days with papers and shows their counts.
    assert (
        '<a href="/papers/date/2024-06-13" title="3 papers"><span class="calendar-day">13</span>'
        '<span class="calendar-count">3</span></a>'
    ) in html
    assert 'href="/papers/date/2024-06-11"' not in html
    assert "5 papers featured this month" in html


def test_month_board(boards_site: Site) -> None:
    html = boards_site.get("/papers/month/2024-06")
    assert "<h1>June 2024</h1>" in html
    assert card_titles(html)[0] == "Most upvoted"
    assert len(card_titles(html)) == 5
    assert 'href="/feeds/month/2024-06.atom"' in html
    assert 'href="/papers/month/2024-05"' in html  # the calendar's previous month


def test_empty_day_links_to_the_nearest_days_with_papers(boards_site: Site) -> None:
    html = boards_site.get("/papers/date/2024-06-15")
    assert "No papers on this board" in html
    assert "Nothing was featured on Saturday, June 15, 2024." in html
    assert '<a class="button" href="/papers/date/2024-06-13">&larr; Jun 13, 2024</a>' in html
    assert '<a class="button" href="/papers/date/2024-06-20">Jun 20, 2024 &rarr;</a>' in html
    assert 'class="card"' not in html


def test_empty_board_before_anything_is_featured_explains_featuring(site: Site) -> None:
    html = site.get("/papers/date/2024-06-15")
    assert "No papers on this board" in html
    assert "paperboard feature --date 2024-06-15" in html
    assert "paperboard ingest hf-daily:2024-06-15" in html


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2024-13-01",
        "/papers/date/2024-02-30",
        "/papers/date/yesterday",
        "/papers/date/1900-01-01",
        "/papers/week/2024-W60",
        "/papers/week/2025-W53",
        "/papers/week/2024-24",
        "/papers/month/2024-13",
        "/papers/month/2024-6",
        "/papers/month/%3Cscript%3E",
    ],
)
def test_bad_periods_are_designed_404s(boards_site: Site, path: str) -> None:
    html = boards_site.get(path, status=404)
    assert "No such board" in html
    assert "Traceback" not in html
    assert "<script>" not in html


def test_board_pages(site: Site) -> None:
    count = BOARD_PER_PAGE + 3
    site.add(*(paper(f"2406.{n:05d}") for n in range(1, count + 1)))
    site.add(*(feature(f"2406.{n:05d}", D2, n) for n in range(1, count + 1)))
    first = site.get("/papers/date/2024-06-13")
    assert vote_counts(first)[:2] == [count, count - 1]
    assert len(vote_counts(first)) == BOARD_PER_PAGE
    assert 'rel="next" href="/papers/date/2024-06-13?page=2"' in first
    second = site.get("/papers/date/2024-06-13?page=2")
    assert vote_counts(second) == [3, 2, 1]
    site.get("/papers/date/2024-06-13?page=3", status=404)
    site.get("/papers/date/2024-06-13?page=zero", status=400)


def test_home_before_anything_is_featured(site: Site) -> None:
    site.add(paper("2406.00001", title="Only paper"))
    html = site.get("/")
    assert "No papers featured yet" in html
    assert "paperboard feature --date" in html
    assert "paperboard ingest hf-daily:" in html
    assert card_titles(html) == ["Only paper"]
    assert 'href="/feeds/new.atom"' in html


def test_board_from_the_recorded_hugging_face_json(site: Site, fixtures_dir: Path) -> None:
    for path in sorted((fixtures_dir / "hf_daily_papers").glob("hf_daily_papers_*.json")):
        site.add(*parse_daily_papers(path.read_bytes()))
    html = site.get("/papers/date/2024-06-13")
    assert len(card_titles(html)) == 21
    counts = vote_counts(html)
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > 0
    # The home page is the latest recorded day (2026-08-12), unless the clock is before it.
    if date.today() >= date(2026, 8, 12):
        assert "Wednesday, August 12, 2026" in site.get("/")


# --- trending -----------------------------------------------------------------------------------


def test_trending_ranks_and_explains(site: Site) -> None:
    now = datetime.now(UTC)
    fresh_at = now - timedelta(hours=3, minutes=10)
    day_old_at = now - timedelta(hours=24, minutes=5)
    # Each on the board of the day it was featured (ages count from within that day).
    site.add(
        paper("2611.00001", title="Fresh"),
        paper("2611.00002", title="Day old"),
        feature("2611.00001", fresh_at.date(), 10, at=fresh_at),
        feature("2611.00002", day_old_at.date(), 50, at=day_old_at),
    )
    html = site.get("/papers/trending")
    assert card_titles(html) == ["Fresh", "Day old"]
    # Each card shows the score's inputs.
    fresh = html[html.index("Fresh") : html.index("Day old")]
    assert "10 upvotes" in fresh
    assert "3 h on the <a" in fresh
    assert f"board of {format_date(fresh_at, now.date())}</a>" in fresh
    assert f"score {ranking.trending_score(10, 3 + 10 / 60):.3g}" in fresh
    assert "1 d on the <a" in html[html.index("Day old") :]
    # The explanation, from the constants.
    assert "Why is this trending?" in html
    assert "(upvotes + 1)<sup>0.8</sup>" in html
    assert "(hours + 2)<sup>1.8</sup>" in html
    assert "last 7 days" in html
    assert 'href="/feeds/trending.atom"' in html
    assert "scores are as of the last" not in html


def test_trending_ages_papers_by_their_board_day(site: Site) -> None:
    """Issue 18: a paper added now to a board five months old is not "3 min on the board";
    a paper added late to yesterday's board is as old as yesterday's board's end, and its
    card names that board."""
    now = datetime.now(UTC)
    today = now.date()
    yesterday = today - timedelta(days=1)
    site.add(
        paper("2611.00001", title="Popular"),
        paper("2611.00002", title="Old board"),
        paper("2611.00003", title="Late to yesterday"),
        feature("2611.00001", today, 72, at=now - timedelta(minutes=30)),
        feature("2611.00002", today - timedelta(days=150), 0, at=now - timedelta(minutes=3)),
        feature("2611.00003", yesterday, 3, at=now - timedelta(minutes=3)),
    )
    html = site.get("/papers/trending")
    assert card_titles(html) == ["Popular", "Late to yesterday"]
    assert "3 min on the board" not in html
    late = html[html.index("Late to yesterday") :]
    hours = (now - datetime.combine(today, datetime.min.time(), UTC)).total_seconds() / 3600
    # The request may be a minute later than ``now``.
    assert any(f"{format_hours(h)} on the" in late for h in (hours, hours + 1 / 60))
    assert f'href="/papers/date/{yesterday.isoformat()}"' in late
    # The explanation says how the age is measured.
    assert "hours since it went on its day's board" in html


def test_trending_explanation_is_rendered_from_the_constants(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "GRAVITY", 1.5)
    monkeypatch.setattr(ranking, "VOTE_EXPONENT", 0.75)
    monkeypatch.setattr(ranking, "AGE_OFFSET_HOURS", 3.0)
    monkeypatch.setattr(ranking, "TRENDING_WINDOW", timedelta(days=3))
    html = site.get("/papers/trending")
    assert "(upvotes + 1)<sup>0.75</sup>" in html
    assert "(hours + 3)<sup>1.5</sup>" in html
    assert "last 3 days" in html
    # The example rows are computed, not typed in.
    assert f"<td>{ranking.trending_score(10, 3.0):.3g}</td>" in html


def test_trending_on_a_quiet_board_says_so(boards_site: Site) -> None:
    html = boards_site.get("/papers/trending")
    # As of Jun 20 09:00, the last featuring: Jun 13 09:00 is just inside the 7 days, Jun 10 not.
    titles = card_titles(html)
    assert titles[0] == "Next week"
    assert set(titles) == {"Next week", "Most upvoted", "Newer tie", "Older tie"}
    assert "scores are as of the last" in html


def test_trending_without_boards(site: Site) -> None:
    html = site.get("/papers/trending")
    assert "Nothing is trending yet" in html
    assert "Why is this trending?" in html


# --- new papers ---------------------------------------------------------------------------------


def test_new_papers_newest_first_with_counts(boards_site: Site) -> None:
    html = boards_site.get("/papers/new")
    assert card_titles(html) == [
        "Next week",
        "Newer tie",
        "Most upvoted",
        "Older tie",
        "Early bird",
    ]
    assert vote_counts(html) == [1, 10, 99, 10, 3]
    assert 'href="/feeds/new.atom"' in html
    assert '<a href="/papers/new" aria-current="page">New</a>' in html


# --- the paper page -------------------------------------------------------------------------------


def test_paper_page_board_extras(boards_site: Site) -> None:
    boards_site.add(feature("2406.00004", D3, 99, comments=7))
    html = boards_site.get("/papers/2406.00004")
    assert "<h2>Featured on</h2>" in html
    assert '<a class="chip chip-link" href="/papers/date/2024-06-13">Jun 13, 2024</a>' in html
    assert '<a class="chip chip-link" href="/papers/date/2024-06-20">Jun 20, 2024</a>' in html
    assert '<span class="votes-count">99</span> upvotes' in html
    assert "7 comments" in html
    # Not embedded yet: the page says so rather than leaving the section out.
    assert "Similar papers" in html and "waiting for its embedding" in html
    assert "sparkline" not in html


def test_paper_page_of_a_paper_never_featured(site: Site) -> None:
    site.add(paper("2406.00009"))
    html = site.get("/papers/2406.00009")
    assert "Featured on" not in html
    assert '<span class="votes-count">0</span> upvotes' in html


def test_paper_page_renders_tex(site: Site) -> None:
    site.add(
        paper(
            "2406.00010",
            title="$\\alpha$-Nets: 10$\\times$ faster",
            abstract=(
                "We cut cost by 40\\% with $O(n^2)$ work and\n$x_{t-1}$ states, "
                "a \\emph{strictly} better\nbound."
            ),
        )
    )
    html = site.get("/papers/2406.00010")
    assert "<h1>α-Nets: 10× faster</h1>" in html
    assert "<title>α-Nets: 10× faster · paperboard</title>" in html
    assert (
        "<p>We cut cost by 40% with O(n²) work and x<sub>t-1</sub> states, "
        "a strictly better bound.</p>"
    ) in html
    assert "\\times" not in html and "\\emph" not in html


# --- on every page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/papers/new",
        "/papers/trending",
        "/papers/date/2024-06-13",
        "/papers/week/2024-W24",
        "/papers/month/2024-06",
        "/papers/2406.00004",
    ],
)
def test_every_page_has_search_and_the_digest_call_to_action(boards_site: Site, path: str) -> None:
    html = boards_site.get(path)
    assert '<form class="search" action="/search" method="get" role="search">' in html
    assert "Get trending papers in your email inbox" in html
    assert '<form class="cta-form" method="post" action="/subscribe">' in html
    assert '<input id="cta-email" type="email" name="email"' in html
    assert '<a class="cta-more" href="/subscribe">Choose topics</a>' in html
    head = boards_site.client.head(path)
    assert head.status_code == 200
    assert head.content == b""


def test_error_pages_have_them_too(site: Site) -> None:
    html = site.get("/papers/date/2024-99-99", status=404)
    assert "Get trending papers in your email inbox" in html


@pytest.mark.parametrize("path", ["/", "/papers/trending", "/papers/date/2024-99-99"])
def test_without_email_the_digest_box_is_a_note_without_a_form(tmp_path: Path, path: str) -> None:
    """Issue 18, defect 6: without PAPERBOARD_SMTP_URL the form on every page looked active
    and posting it answered 503."""
    with open_site(tmp_path, None) as site:
        html = site.client.get(path).text
    assert "Email digests are not set up on this paperboard yet" in html
    assert "cta-form" not in html and 'action="/subscribe"' not in html


def test_script_in_titles_and_authors_is_escaped_everywhere(site: Site) -> None:
    hostile = "<script>alert(1)</script>"
    now = datetime.now(UTC)
    site.add(
        paper(
            "2406.00666",
            title=f"{hostile} Robust $<b>$ attention",
            authors=[f"{hostile} Mallory", "Eve"],
            abstract=f"An abstract with {hostile} and \\textbf{{{hostile}}}.",
            categories=[f"{hostile}"],
        ),
        feature("2406.00666", now.date(), 5, at=now - timedelta(hours=1)),
    )
    for path in ("/", f"/papers/date/{now.date().isoformat()}", "/papers/trending", "/papers/new"):
        html = site.get(path)
        assert "<script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Robust &lt;b&gt; attention" in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Mallory" in html, path
    html = site.get("/papers/2406.00666")
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Mallory" in html


# --- the response cache ---------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pages_are_cached_until_the_data_changes(boards_site: Site) -> None:
    db = boards_site.db

    def version() -> object:
        with db.read() as connection:
            return listing.data_version(connection)

    clock = Clock()
    cache = ResponseCache(version, ttl=60, version_interval=1, clock=clock)
    boards_site.app.state.response_cache = cache
    path = "/papers/date/2024-06-13"
    before = boards_site.get(path)
    boards_site.add(paper("2406.00100", title="Late arrival"), feature("2406.00100", D2, 500))
    # Within the version interval the kept page is served...
    assert boards_site.get(path) == before
    assert boards_site.get(path + "?page=1") != before  # (its own key, built now)
    # ...but a query string that is not a page number is never kept: always built afresh.
    assert card_titles(boards_site.get(path + "?ref=mail"))[0] == "Late arrival"
    clock.now += 1.1
    assert card_titles(boards_site.get(path))[0] == "Late arrival"
    # Errors are not kept.
    boards_site.get("/papers/date/2024-02-30", status=404)
