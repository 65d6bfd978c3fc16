"""Upvotes: one per user and paper, toggled on and off, exact under concurrency on SQLite and
PostgreSQL; the counters feed boards, trending and the API."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paperboard import boards
from paperboard.community.accounts import Client
from paperboard.community.errors import NotFound
from paperboard.storage import listing
from paperboard.storage import votes as vote_store
from paperboard.storage.database import Database
from paperboard.storage.users import User
from tests.community_site import Site, build_site, featured, paper, serve_app

CLIENT = Client("192.0.2.1")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[Site]:
    built = build_site(db, tmp_path / "data")
    built.add(paper("2401.00001"), featured("2401.00001", TODAY, upvotes=5, comments=2))
    yield built
    built.close()


def upvotes(site: Site, arxiv_id: str = "2401.00001") -> int:
    with site.db.read() as connection:
        found = listing.by_arxiv_id(connection, arxiv_id)
    assert found is not None
    return found.upvotes


def test_upvote_toggles_and_adds_to_the_imported_count(site: Site) -> None:
    ada = site.user("ada")
    votes = site.community.votes
    state = votes.upvote(ada, "2401.00001", client=CLIENT)
    assert (state.upvotes, state.upvoted, state.changed) == (6, True, True)
    again = votes.upvote(ada, "arXiv:2401.00001v2", client=CLIENT)  # any spelling of the id
    assert (again.upvotes, again.upvoted, again.changed) == (6, True, False)
    assert upvotes(site) == 6
    off = votes.withdraw(ada, "2401.00001", client=CLIENT)
    assert (off.upvotes, off.upvoted, off.changed) == (5, False, True)
    assert votes.withdraw(ada, "2401.00001", client=CLIENT).changed is False
    assert upvotes(site) == 5


def test_unknown_papers_cannot_be_voted_on(site: Site) -> None:
    ada = site.user("ada")
    with pytest.raises(NotFound):
        site.community.votes.upvote(ada, "2401.99999", client=CLIENT)
    with pytest.raises(NotFound):
        site.community.votes.upvote(ada, "not an id", client=CLIENT)


def test_a_reimport_keeps_local_votes(site: Site) -> None:
    site.community.votes.upvote(site.user("ada"), "2401.00001", client=CLIENT)
    # Hugging Face's count grew: the local vote still adds on top.
    site.add(featured("2401.00001", TODAY, upvotes=9, comments=2))
    assert upvotes(site) == 10


def test_trending_moves_with_each_vote(site: Site) -> None:
    site.add(paper("2401.00002"), featured("2401.00002", TODAY, upvotes=6))
    now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=5)
    order = [entry.entry.paper.arxiv_id for entry in boards.trending(site.db, now).entries]
    assert order == ["2401.00002", "2401.00001"]
    for name in ("ada", "grace"):
        site.community.votes.upvote(site.user(name), "2401.00001", client=CLIENT)
    ranked = boards.trending(site.db, now).entries
    assert [entry.entry.paper.arxiv_id for entry in ranked] == ["2401.00001", "2401.00002"]
    assert ranked[0].entry.upvotes == 7


def test_data_version_changes_on_every_vote(site: Site) -> None:
    ada, grace = site.user("ada"), site.user("grace")

    def version() -> object:
        with site.db.read() as connection:
            return listing.data_version(connection)

    seen = [version()]
    steps = [(ada, True), (grace, True), (ada, False), (ada, True)]
    for user, on in steps:
        site.community.votes.set_vote(user, "2401.00001", on, client=CLIENT)
        seen.append(version())
    assert len(set(map(repr, seen))) == len(seen)


def _users(site: Site, count: int) -> list[User]:
    return [site.user(f"voter{number:03d}") for number in range(count)]


def test_200_concurrent_upvotes_by_100_users_count_100(site: Site) -> None:
    """Every user upvotes twice at once, all users together: exactly one vote each."""
    voters = _users(site, 100)
    calls = [voter for voter in voters for _ in range(2)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        states = list(
            pool.map(
                lambda user: site.community.votes.upvote(user, "2401.00001", client=CLIENT), calls
            )
        )
    assert sum(state.changed for state in states) == 100
    with site.db.read() as connection:
        assert vote_store.count_for(connection, 1) == 100
    assert upvotes(site) == 105  # 5 imported + 100 local


def test_concurrent_votes_and_withdrawals_stay_exact(site: Site) -> None:
    voters = _users(site, 40)
    for voter in voters[:20]:
        site.community.votes.upvote(voter, "2401.00001", client=CLIENT)
    # The first 20 withdraw while the other 20 vote, twice each, all at once.
    calls = [(voter, index >= 20) for index, voter in enumerate(voters) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda call: site.community.votes.set_vote(
                    call[0], "2401.00001", call[1], client=CLIENT
                ),
                calls,
            )
        )
    assert upvotes(site) == 5 + 20
    with site.db.read() as connection:
        assert vote_store.voted_paper_ids(connection, voters[0].id) == set()
        assert vote_store.voted_paper_ids(connection, voters[39].id) == {1}


def test_200_concurrent_upvotes_through_a_real_server(site: Site) -> None:
    """The same through HTTP: uvicorn, the write API, 100 tokens, 200 requests at once."""
    voters = _users(site, 100)
    tokens = [site.community.tokens.create_for(voter.username)[1] for voter in voters]
    with serve_app(site.app) as url, httpx.Client(base_url=url, timeout=60) as http:

        def vote(token: str) -> int:
            response = http.post(
                "/api/papers/2401.00001/upvote", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200, response.text
            return response.json()["upvotes"]

        with ThreadPoolExecutor(max_workers=32) as pool:
            counts = list(pool.map(vote, [token for token in tokens for _ in range(2)]))
        assert max(counts) == 105
        info = http.get("/api/papers/2401.00001").json()
    assert info["upvotes"] == 105
    with site.db.read() as connection:
        assert vote_store.count_for(connection, 1) == 100


def test_one_vote_draws_no_stray_dot(site: Site) -> None:
    """Issue 18: with one local vote the chart was a lone dot right of "N comments"; a chart
    appears once votes came at two moments."""
    anonymous = site.visitor()
    site.community.votes.upvote(site.user("ada"), "2401.00001", client=CLIENT)
    assert "sparkline" not in anonymous.get("/papers/2401.00001").text
    site.community.votes.upvote(site.user("grace"), "2401.00001", client=CLIENT)
    assert "sparkline" not in anonymous.get("/papers/2401.00001").text  # the same moment
    site.clock.advance(minutes=5)
    site.community.votes.upvote(site.user("alan"), "2401.00001", client=CLIENT)
    assert "<polyline" in anonymous.get("/papers/2401.00001").text


def test_upvote_form_works_without_and_with_javascript(site: Site) -> None:
    visitor = site.signed_in("ada")
    plain = visitor.post_form(
        "/papers/2401.00001/upvote", {"action": "add", "back": "/papers/trending"}
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/papers/trending"
    page = visitor.get("/papers/2401.00001").text
    assert 'aria-pressed="true"' in page and 'name="action" value="remove"' in page
    fetched = visitor.post_form(
        "/papers/2401.00001/upvote",
        {"action": "remove"},
        headers={"accept": "application/json"},
    )
    assert fetched.json() == {"arxivId": "2401.00001", "upvotes": 5, "upvoted": False}
    # An open redirect through "back" is not possible.
    evil = visitor.post_form("/papers/2401.00001/upvote", {"back": "//evil.example"})
    assert evil.headers["location"] == "/"


def test_paper_page_shows_the_upvote_history_once_there_are_votes(site: Site) -> None:
    anonymous = site.visitor()
    assert "sparkline" not in anonymous.get("/papers/2401.00001").text
    for name in ("ada", "grace", "alan"):
        site.community.votes.upvote(site.user(name), "2401.00001", client=CLIENT)
        site.clock.advance(hours=1)
    page = anonymous.get("/papers/2401.00001").text
    assert '<svg class="sparkline"' in page and "Upvotes over time: 5 to 8" in page
    # Beside the upvote button it charts, before the comment count.
    upvotes = page.index('class="votes vote-button votes-inline')
    assert upvotes < page.index('<svg class="sparkline"') < page.index('href="#comments"')
    # Visitors get a link to sign in instead of a form.
    assert 'href="/login?next=/papers/2401.00001"' in page
