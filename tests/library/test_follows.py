"""Follows and their feeds, the merged personal feed and its private token, on SQLite and
PostgreSQL (authors and saved searches through the real keyword search)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.community.accounts import Client
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.domain.follows import Follow, follow_value
from paperboard.domain.paper import PaperRecord
from paperboard.search import keyword
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from tests.library.conftest import Shelf, build_shelf

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def record(
    arxiv_id: str, title: str, authors: list[str], categories: list[str], age: int
) -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=f"About {title.lower()}.",
        authors=authors,
        categories=categories,
        published_at=NOW - timedelta(days=age),
    )


@pytest.fixture
def shelf(db: Database, tmp_path: Path) -> Iterator[Shelf]:
    index = keyword.open_index(tmp_path / "data") if db.is_sqlite else None
    search = SearchService(db, index)
    built = build_shelf(db, search=lambda: search)
    built.add(
        record(
            "2401.00001", "Graph networks for molecules", ["Jane Doe", "Ada Lovelace"], ["cs.LG"], 3
        ),
        record("2401.00002", "Diffusion for images", ["Jane Doe-Smith"], ["cs.CV", "cs.LG"], 2),
        record("2401.00003", "Molecules and diffusion", ["JANE DOE"], ["q-bio.BM"], 1),
        record("2401.00004", "Unrelated astronomy", ["Carl Sagan"], ["astro-ph.GA"], 4),
    )
    if index is not None:
        keyword.sync(db, index)
    yield built
    if index is not None:
        index.close()


def ids(listed: list) -> list[str]:  # type: ignore[type-arg]
    return [paper.paper.arxiv_id for paper in listed]


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("author", "  Bal\\'azs   Szegedy ", "Balázs Szegedy"),
        ("category", "CS.cl", "cs.CL"),
        ("user", "@Ada", "ada"),
        ("search", "  graph   networks ", "graph networks"),
    ],
)
def test_follow_values_are_stored_as_arxiv_writes_them(kind: str, value: str, stored: str) -> None:
    assert follow_value(kind, value) == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("planet", "x"),
        ("category", "cs.NOPE.x"),
        ("category", "biology"),
        ("author", "  "),
        ("search", "x" * 301),
        ("author", "a\x00b"),
    ],
)
def test_bad_follows_are_refused(shelf: Shelf, kind: str, value: str) -> None:
    with pytest.raises(InvalidInput):
        shelf.library.follows.follow(shelf.user("ada"), kind, value)


def test_follow_list_and_unfollow(shelf: Shelf) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    follows = shelf.library.follows
    first = follows.follow(ada, "author", "Jane Doe")
    assert follows.follow(ada, "author", "Jane  Doe") == first  # twice is once
    follows.follow(ada, "user", "Grace")
    with pytest.raises(NotFound):
        follows.follow(ada, "user", "nobody")
    assert [(f.kind, f.value) for f in follows.follows_of(ada)] == [
        ("author", "Jane Doe"),
        ("user", "grace"),
    ]
    with pytest.raises(NotFound):
        follows.unfollow(grace, first.id)  # not hers
    follows.unfollow(ada, first.id)
    assert [f.kind for f in follows.follows_of(ada)] == ["user"]
    assert follows.follows_of(grace) == []


def test_each_followed_thing_has_its_papers(shelf: Shelf) -> None:
    follows = shelf.library.follows
    # The author filter matches words; only the exact name (case aside) is kept.
    assert ids(follows.papers_for("author", "Jane Doe")) == ["2401.00003", "2401.00001"]
    assert ids(follows.papers_for("category", "cs.LG")) == ["2401.00002", "2401.00001"]
    assert ids(follows.papers_for("search", "molecules")) == ["2401.00003", "2401.00001"]
    ada = shelf.user("ada")
    votes = shelf.community.votes
    votes.upvote(ada, "2401.00004", client=Client("192.0.2.1"))
    shelf.clock.advance(seconds=1)
    votes.upvote(ada, "2401.00002", client=Client("192.0.2.1"))
    assert ids(follows.papers_for("user", "ada")) == ["2401.00002", "2401.00004"]
    shelf.community.accounts.update_settings(ada, display_name=None, votes_public=False)
    assert follows.papers_for("user", "ada") == []


def test_the_personal_feed_merges_and_says_why(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    follows = shelf.library.follows
    author = follows.follow(ada, "author", "Jane Doe")
    category = follows.follow(ada, "category", "cs.LG")
    feed = follows.feed(ada)
    assert [entry.listed.paper.arxiv_id for entry in feed] == [
        "2401.00003",
        "2401.00002",
        "2401.00001",
    ]
    because: dict[str, tuple[Follow, ...]] = {e.listed.paper.arxiv_id: e.because for e in feed}
    assert because["2401.00001"] == (author, category)
    assert because["2401.00003"] == (author,)
    assert category.label == "cs.LG" and author.label == "Jane Doe"


def test_feed_tokens_are_private_and_revocable(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    follows = shelf.library.follows
    first = follows.new_feed_token(ada)
    assert first.startswith("pbf_")
    found = follows.user_for_feed_token(first)
    assert found is not None and found.id == ada.id
    second = follows.new_feed_token(ada)
    assert follows.user_for_feed_token(first) is None  # replaced
    assert follows.user_for_feed_token(second) is not None
    assert follows.revoke_feed_token(ada) is True
    assert follows.user_for_feed_token(second) is None
    assert follows.revoke_feed_token(ada) is False
    for token in ("", "pb_x", "pbf_" + "x" * 200, "pbf_unknown"):
        assert follows.user_for_feed_token(token) is None
