""" "For you" end to end on SQLite and PostgreSQL: stored vectors, collections, upvotes,
dismissals, follows and community signals in; papers of the window with reasons out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from paperboard.community.accounts import Client
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.library.recommend import RecommendedPaper
from paperboard.storage import embeddings
from paperboard.storage import papers as paper_store
from paperboard.storage.schema import EMBEDDING_DIM
from paperboard.storage.users import User
from tests.library.conftest import Shelf

TODAY = date(2026, 11, 20)
CLIENT = Client("192.0.2.1")
# Topic directions: papers of one topic point the same way, with a little of their own.
TOPIC = {"graphs": 0, "diffusion": 1, "stars": 2}


def vector(topic: str, own: int) -> np.ndarray:
    value = np.zeros(EMBEDDING_DIM, np.float32)
    value[TOPIC[topic]] = 1.0
    value[10 + own] = 0.3
    return value / np.linalg.norm(value)


PAPERS = {
    # arXiv id: (topic, days before TODAY it was announced, authors, categories)
    "2411.00001": ("graphs", 20, ["Ada Lovelace"], ["cs.LG"]),
    "2411.00002": ("graphs", 20, ["Ada Lovelace"], ["cs.LG"]),
    "2411.00003": ("diffusion", 20, ["Grace Hopper"], ["cs.CV"]),
    "2411.00011": ("graphs", 1, ["Alan Turing"], ["cs.LG"]),
    "2411.00012": ("graphs", 2, ["Alan Turing"], ["cs.LG"]),
    "2411.00013": ("diffusion", 1, ["Jane Doe"], ["cs.CV"]),
    "2411.00014": ("stars", 3, ["Carl Sagan"], ["astro-ph.GA"]),
    "2411.00015": ("stars", 2, ["Vera Rubin"], ["astro-ph.GA", "cs.LG"]),
    "2411.00016": ("graphs", 40, ["Alan Turing"], ["cs.LG"]),  # outside the window
}


@pytest.fixture
def shelf(shelf: Shelf) -> Shelf:
    shelf.clock.now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
    records = [
        PaperRecord(
            arxiv_id=arxiv_id,
            title=f"A paper on {topic}",
            # Only the topic's word is shared with other papers (the rest are stop words).
            abstract=f"Results on {topic} ({arxiv_id}).",
            authors=authors,
            categories=categories,
            published_at=shelf.clock.now - timedelta(days=age + 1),
            announced_on=TODAY - timedelta(days=age),
        )
        for arxiv_id, (topic, age, authors, categories) in PAPERS.items()
    ]
    shelf.add(*records)
    with shelf.db.write() as connection:
        ids = paper_store.ids_for(connection, list(PAPERS))
        rows = [
            (ids[arxiv_id], "hash", vector(topic, n))
            for n, (arxiv_id, (topic, *_)) in enumerate(PAPERS.items())
        ]
        embeddings.store(connection, "test-model", rows, shelf.clock.now)
    return shelf


def arxiv_ids(found: list[RecommendedPaper]) -> list[str]:
    return [paper.listed.paper.arxiv_id for paper in found]


def reasons(found: list[RecommendedPaper]) -> dict[str, list[str]]:
    return {p.listed.paper.arxiv_id: [r.text for r in p.reasons] for p in found}


def save(shelf: Shelf, user: User, title: str, *papers: str) -> None:
    made = shelf.library.collections.create(user, title)
    for arxiv_id in papers:
        shelf.library.collections.add_paper(made.slug, arxiv_id, user)


def test_papers_like_the_saved_ones_come_first_with_reasons(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    save(shelf, ada, "Reading list", "2411.00001", "2411.00002")
    found = shelf.library.recommendations.recommend(ada)
    assert arxiv_ids(found) == ["2411.00011", "2411.00012"]
    assert reasons(found)["2411.00011"] == [
        "like 2 papers in *Reading list*",
        "shares words with your saved papers: “graphs”",
    ]
    assert found[0].listed.paper.title == "A paper on graphs"
    assert all(paper.reasons for paper in found)


def test_never_what_is_kept_upvoted_or_dismissed(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    save(shelf, ada, "Reading list", "2411.00001", "2411.00011")
    shelf.community.votes.upvote(ada, "2411.00012", client=CLIENT)
    assert arxiv_ids(shelf.library.recommendations.recommend(ada)) == []
    save(shelf, ada, "Pictures", "2411.00003")
    assert arxiv_ids(shelf.library.recommendations.recommend(ada)) == ["2411.00013"]
    assert shelf.library.recommendations.dismiss(ada, "2411.00013") is True
    assert shelf.library.recommendations.dismiss(ada, "arXiv:2411.00013v2") is False
    assert arxiv_ids(shelf.library.recommendations.recommend(ada)) == []
    assert shelf.library.recommendations.dismiss(ada, "2411.00013", on=False) is True
    assert arxiv_ids(shelf.library.recommendations.recommend(ada)) == ["2411.00013"]
    with pytest.raises(NotFound):
        shelf.library.recommendations.dismiss(ada, "2411.99999")


def test_upvotes_are_positives_too(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    shelf.community.votes.upvote(ada, "2411.00003", client=CLIENT)
    found = shelf.library.recommendations.recommend(ada)
    assert arxiv_ids(found) == ["2411.00013"]
    assert reasons(found)["2411.00013"] == [
        "like a paper you upvoted",
        "shares words with your saved papers: “diffusion”",
    ]


def test_cold_start_follows_and_community(shelf: Shelf) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    library = shelf.library
    assert library.recommendations.recommend(ada) == []  # nothing to go on yet
    library.follows.follow(ada, "category", "astro-ph.GA")
    assert arxiv_ids(library.recommendations.recommend(ada)) == ["2411.00015", "2411.00014"]
    library.follows.follow(ada, "author", "Jane Doe")
    library.follows.follow(ada, "user", "grace")
    library.follows.follow(ada, "search", "graphs results")
    shelf.community.votes.upvote(grace, "2411.00012", client=CLIENT)
    found = reasons(library.recommendations.recommend(ada))
    assert found["2411.00013"] == ["by Jane Doe, whom you follow"]
    assert found["2411.00012"][:2] == [
        "matches your saved search “graphs results”",
        "upvoted by @grace, whom you follow",
    ]
    assert "1 upvote" in found["2411.00012"]
    assert found["2411.00011"] == ["matches your saved search “graphs results”"]


def test_trending_papers_on_the_board(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    library = shelf.library
    library.recommendations.set_weights(ada, {"trending": 1.0})
    board_day = TODAY - timedelta(days=1)
    shelf.add(
        FeaturedRecord(
            "2411.00014",
            board_day,
            featured_at=datetime.combine(board_day, datetime.min.time(), UTC),
            upvotes=12,
            source="huggingface",
        )
    )
    found = library.recommendations.recommend(ada)
    assert reasons(found) == {"2411.00014": ["trending on the board", "12 upvotes"]}


def test_weights_are_the_users_and_turn_signals_off(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    recommendations = shelf.library.recommendations
    shelf.library.follows.follow(ada, "category", "astro-ph.GA")
    recommendations.set_weights(ada, {"categories": 0})
    assert recommendations.weights_of(ada).categories == 0
    assert recommendations.weights_of(ada).similar == 1.0
    assert recommendations.recommend(ada) == []
    with pytest.raises(InvalidInput):
        recommendations.set_weights(ada, {"categories": -1})
    assert recommendations.weights_of(shelf.user("grace")).categories > 0


def test_windows(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    save(shelf, ada, "Reading list", "2411.00001")
    recommendations = shelf.library.recommendations
    old = recommendations.recommend(
        ada, since=TODAY - timedelta(days=45), until=TODAY - timedelta(days=30)
    )
    assert arxiv_ids(old) == ["2411.00016"]
    one_day = recommendations.recommend(
        ada, since=TODAY - timedelta(days=1), until=TODAY - timedelta(days=1)
    )
    assert arxiv_ids(one_day) == ["2411.00011"]
    with pytest.raises(InvalidInput):
        recommendations.recommend(ada, since=TODAY, until=TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput):
        recommendations.recommend(ada, since=TODAY - timedelta(days=40), until=TODAY)
    assert len(recommendations.recommend(ada, limit=1)) == 1
