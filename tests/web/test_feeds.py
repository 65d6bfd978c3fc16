"""Atom feeds: valid per feedparser, absolute links, stable ids, escaping, 404s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient

from tests.api_site import BASE_URL, MARKUP, MARKUP_DAY, OLD_STYLE, build_site

ATOM = "application/atom+xml; charset=utf-8"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[TestClient]:
    with build_site(tmp_path_factory.mktemp("feeds"), fixtures_dir) as site:
        yield site.client


def parsed(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ATOM
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


FEEDS = [
    ("/feeds/date/2024-06-13.atom", f"{BASE_URL}/papers/date/2024-06-13", 21),
    ("/feeds/week/2025-W30.atom", f"{BASE_URL}/papers/week/2025-W30", 16),
    ("/feeds/month/2026-08.atom", f"{BASE_URL}/papers/month/2026-08", 20),
    ("/feeds/trending.atom", f"{BASE_URL}/papers/trending", 20),
    ("/feeds/new.atom", f"{BASE_URL}/papers/new", 50),
    ("/feeds/search.atom?q=kazakh", f"{BASE_URL}/search?q=kazakh", None),
]


@pytest.mark.parametrize(("url", "page", "count"), FEEDS)
def test_feeds_are_valid_atom_with_absolute_links(
    client: TestClient, url: str, page: str | None, count: int | None
) -> None:
    feed = parsed(client, url)
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [BASE_URL + url]
    assert feed.feed.id == self_links[0]
    alternates = [link.href for link in feed.feed.links if link.rel == "alternate"]
    assert alternates == ([page] if page else [])
    assert feed.feed.updated_parsed is not None
    if count is not None:
        assert len(feed.entries) == count
    assert feed.entries
    for entry in feed.entries:
        assert entry.id.startswith(f"{BASE_URL}/papers/")
        assert entry.link == entry.id
        assert all(link.href.startswith(("https://", "http://")) for link in entry.links)
        assert entry.updated_parsed is not None
        assert entry.title and entry.summary
        # arXiv's hard line breaks are re-flowed: newlines only between paragraphs.
        assert all("\n" not in paragraph for paragraph in entry.summary.split("\n\n"))


def test_board_feed_matches_the_board(client: TestClient) -> None:
    feed = parsed(client, "/feeds/date/2025-07-22.atom")
    board = client.get("/api/daily_papers?date=2025-07-22&limit=100").json()
    assert [e.id for e in feed.entries] == [f"{BASE_URL}/papers/{i['paper']['id']}" for i in board]
    first, item = feed.entries[0], board[0]
    assert first.title == item["title"]
    assert [a.name for a in first.authors] == [a["name"] for a in item["paper"]["authors"]]
    # updated: when the paper went on the board; published: its arXiv date.
    assert first.updated.startswith(item["paper"]["submittedOnDailyAt"][:19])
    assert first.published.startswith(item["paper"]["publishedAt"][:19])
    related = [link.href for link in first.links if link.rel == "related"]
    assert related == [f"https://arxiv.org/abs/{item['paper']['id']}"]


def test_entry_ids_are_stable_across_feeds(client: TestClient) -> None:
    day = {e.id for e in parsed(client, "/feeds/date/2026-08-12.atom").entries}
    trending = {e.id for e in parsed(client, "/feeds/trending.atom").entries}
    assert day == trending


def test_markup_in_titles_is_escaped_not_executed(client: TestClient) -> None:
    response = client.get(f"/feeds/date/{MARKUP_DAY}.atom")
    raw = response.text
    assert "<script>" not in raw and "<b>" not in raw
    assert "&lt;script&gt;" in raw
    assert "\x0b" not in raw  # a control character XML 1.0 forbids
    feed = parsed(client, f"/feeds/date/{MARKUP_DAY}.atom")
    (entry,) = feed.entries
    assert entry.title_detail.type == "text/plain"
    assert "Escaping" in entry.title and "& Friends" in entry.title
    assert entry.authors[0].name == "Ä <Evil> Author"
    assert [tag.term for tag in entry.tags] == MARKUP.categories


def test_new_feed_is_newest_first_and_undated_feed_items_still_have_updated(
    client: TestClient,
) -> None:
    feed = parsed(client, "/feeds/new.atom")
    published = [e.published_parsed for e in feed.entries if "published_parsed" in e]
    assert published == sorted(published, reverse=True)


def test_search_feed(client: TestClient) -> None:
    feed = parsed(client, "/feeds/search.atom?q=old-style%20identifier")
    assert feed.entries[0].id == f"{BASE_URL}/papers/{OLD_STYLE.arxiv_id}"
    assert "old-style identifier" in feed.feed.title
    empty = parsed(client, "/feeds/search.atom?q=zzzzqqqq")
    assert empty.entries == []


def test_empty_board_feed_is_valid(client: TestClient) -> None:
    assert parsed(client, "/feeds/date/2030-01-01.atom").entries == []


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/date/2024-13-01.atom",
        "/feeds/date/yesterday.atom",
        "/feeds/week/2024-W99.atom",
        "/feeds/month/2024-00.atom",
        "/feeds/month/1800-01.atom",
    ],
)
def test_invalid_periods_are_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert_plain_error(response)


def assert_plain_error(response: Any) -> None:
    """A feed's error is short plain text for a feed reader (and whoever opens the URL), not
    the site's HTML error page (issue 18: /feeds/week/2026-W99.atom answered HTML)."""
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "<html" not in response.text.lower() and len(response.text) < 300
    assert response.text.startswith(f"{response.status_code} ")


def test_feed_errors_say_what_is_wrong_in_plain_text(client: TestClient) -> None:
    week = client.get("/feeds/week/2026-W99.atom")
    assert week.status_code == 404
    assert_plain_error(week)
    assert "week 99" in week.text.lower() or "2026-W99" in week.text
    unknown = client.get("/feeds/nothing-here.atom")
    assert unknown.status_code == 404
    assert_plain_error(unknown)
    wrong_method = client.post("/feeds/new.atom")
    assert wrong_method.status_code == 405
    assert_plain_error(wrong_method)


@pytest.mark.parametrize("query", ["", "?q=", "?q=" + "x" * 251])
def test_search_feed_needs_a_query(client: TestClient, query: str) -> None:
    response = client.get(f"/feeds/search.atom{query}")
    assert response.status_code == 400
    assert_plain_error(response)


def test_week_feed_of_a_day_in_it(client: TestClient) -> None:
    week = date(2024, 6, 13).isocalendar()
    feed = parsed(client, f"/feeds/week/{week.year}-W{week.week:02d}.atom")
    assert len(feed.entries) == 21
