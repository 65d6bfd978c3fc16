"""Submitting papers: by id or URL, fetched from arXiv when unknown (a local server replays
recorded arXiv API responses), featured on today's board with the submitter; duplicates answer
with the existing entry; the window; clear errors when arXiv is unknown or unreachable."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperboard import boards
from paperboard.community.accounts import Client
from paperboard.community.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    SourceUnavailable,
)
from paperboard.community.submissions import LOOKUP_RETRY_AFTER_S, PendingLookup, Submission
from paperboard.domain.periods import Period
from paperboard.ingest.http import HttpFetcher
from paperboard.storage.database import Database
from tests.community_site import Clock, Site, build_site, featured, paper
from tests.httpserver import LocalServer, Reply, Request

CLIENT = Client("192.0.2.1")
# The recorded paper 1605.08386 was first published on 2016-05-26; "today" is four days later.
NOW = datetime(2016, 5, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def submitted(step: Submission | PendingLookup) -> Submission:
    """A submission, its arXiv look-up (on the submissions' pool) waited for."""
    return step.finish() if isinstance(step, PendingLookup) else step


def cassette(fixtures_dir: Path, prefix: str) -> Reply:
    (path,) = (fixtures_dir / "arxiv_api" / "arxiv.py_raw").glob(f"{prefix}_*.json")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return Reply(
        recorded["status_code"], recorded["body"].encode("latin-1"), "application/atom+xml"
    )


@contextmanager
def arxiv_site(
    db: Database, data_dir: Path, local_server: LocalServer, **options: Any
) -> Iterator[Site]:
    """A site whose arXiv API is ``local_server``'s ``/api/query``."""
    fetcher = HttpFetcher(min_interval_s=0, retries=0, timeout_s=10)
    built = build_site(
        db,
        data_dir,
        clock=Clock(NOW),
        env={"PAPERBOARD_ARXIV_API_URL": local_server.url("/api/query")},
        fetcher=lambda: fetcher,
        **options,
    )
    try:
        yield built
    finally:
        built.community.close()
        built.close()
        fetcher.close()


@pytest.fixture
def site(tmp_path: Path, db: Database, local_server: LocalServer) -> Iterator[Site]:
    with arxiv_site(db, tmp_path / "data", local_server) as built:
        yield built


def test_an_unknown_paper_is_fetched_and_featured_today(
    site: Site, local_server: LocalServer, fixtures_dir: Path
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_1605.08386"))
    ada = site.user("ada")
    result = submitted(
        site.community.submissions.submit(ada, "https://arxiv.org/abs/1605.08386v1", client=CLIENT)
    )
    assert result.created and result.day == TODAY
    assert local_server.requests[0].query["id_list"] == "1605.08386"
    listed = result.paper
    assert listed.paper.title == "Heat-bath random walks with Markov bases"
    assert (listed.featured_day, listed.featured_by) == (TODAY, "ada")
    board = boards.board(site.db, Period("day", TODAY, TODAY))
    assert [entry.paper.arxiv_id for entry in board.entries] == ["1605.08386"]
    assert board.entries[0].source == "submission"


def test_a_duplicate_answers_with_the_existing_entry(
    site: Site, local_server: LocalServer, fixtures_dir: Path
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_1605.08386"))
    first = submitted(
        site.community.submissions.submit(site.user("ada"), "1605.08386", client=CLIENT)
    )
    site.clock.advance(days=1)
    again = submitted(
        site.community.submissions.submit(site.user("grace"), "arXiv:1605.08386", client=CLIENT)
    )
    assert first.created and not again.created
    assert again.day == TODAY and again.paper.featured_by == "ada"
    assert len(local_server.requests) == 1  # the second one did not ask arXiv


def test_papers_outside_the_window_are_refused(site: Site) -> None:
    site.add(paper("2401.00001", published_at=NOW - timedelta(days=15)))
    with pytest.raises(InvalidInput, match="last 14 days"):
        submitted(site.community.submissions.submit(site.user("ada"), "2401.00001", client=CLIENT))
    # Curators may feature any paper, on today's board.
    curated = submitted(
        site.community.submissions.feature(site.user("cora", role="curator"), "2401.00001")
    )
    assert curated.created and curated.paper.featured_by == "cora"
    with pytest.raises(Forbidden):
        submitted(
            site.community.submissions.feature(
                site.community.accounts.by_username("ada"), "2401.00001"
            )
        )  # type: ignore[arg-type]


def test_the_window_is_a_setting(tmp_path: Path, sqlite_url: str) -> None:
    db = Database(sqlite_url)
    site = build_site(
        db, tmp_path / "data", clock=Clock(NOW), env={"PAPERBOARD_SUBMIT_WINDOW_DAYS": "30"}
    )
    try:
        site.add(paper("2401.00001", published_at=NOW - timedelta(days=20)))
        result = submitted(
            site.community.submissions.submit(site.user("ada"), "2401.00001", client=CLIENT)
        )
        assert result.created
    finally:
        site.close()
        db.dispose()


def test_an_already_featured_old_paper_answers_with_its_entry(site: Site) -> None:
    old_day = (NOW - timedelta(days=100)).date()
    site.add(
        paper("2401.00001", published_at=NOW - timedelta(days=101)),
        featured("2401.00001", old_day, 7),
    )
    result = submitted(
        site.community.submissions.submit(site.user("ada"), "2401.00001", client=CLIENT)
    )
    assert not result.created and result.day == old_day and result.paper.upvotes == 7


def test_unknown_on_arxiv(site: Site, local_server: LocalServer, fixtures_dir: Path) -> None:
    # arXiv's answer for an id it does not have: a feed with no entries.
    local_server.route("/api/query", cassette(fixtures_dir, "id_0000.0000"))
    with pytest.raises(NotFound, match=r"arXiv has no paper 2405\.99999"):
        submitted(site.community.submissions.submit(site.user("ada"), "2405.99999", client=CLIENT))


def test_arxiv_unreachable(site: Site, local_server: LocalServer) -> None:
    local_server.route("/api/query", Reply(503, b"down", "text/plain"))
    with pytest.raises(SourceUnavailable, match="arXiv could not be reached"):
        submitted(site.community.submissions.submit(site.user("ada"), "2405.00001", client=CLIENT))


@pytest.mark.parametrize("text", ["", "hello", "https://evil.example/abs/2401.00001", "x" * 400])
def test_not_an_arxiv_id(site: Site, text: str) -> None:
    with pytest.raises(InvalidInput):
        submitted(site.community.submissions.submit(site.user("ada"), text, client=CLIENT))


def test_submit_page(site: Site, local_server: LocalServer, fixtures_dir: Path) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_1605.08386"))
    assert site.visitor().get("/papers/submit", follow_redirects=False).status_code == 303
    visitor = site.signed_in("ada")
    page = visitor.get("/papers/submit")
    assert page.status_code == 200 and "last 14 days" in page.text
    created = visitor.post_form("/papers/submit", {"arxiv_id": "1605.08386"}, page="/papers/submit")
    assert created.status_code == 201
    assert "Featured on today’s board" in created.text and "Heat-bath random walks" in created.text
    again = visitor.post_form("/papers/submit", {"arxiv_id": "1605.08386"}, page="/papers/submit")
    assert again.status_code == 200 and "Already on the board" in again.text
    bad = visitor.post_form("/papers/submit", {"arxiv_id": "nonsense"}, page="/papers/submit")
    assert bad.status_code == 400 and "not an arXiv id" in bad.text
    board = visitor.get(f"/papers/date/{TODAY.isoformat()}").text
    assert "Submitted by ada" in board


def test_submit_api(site: Site, local_server: LocalServer, fixtures_dir: Path) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_1605.08386"))
    site.user("ada")
    _, token = site.community.tokens.create_for("ada")
    http = site.visitor().http
    headers = {"Authorization": f"Bearer {token}"}
    created = http.post("/api/papers/index", json={"arxivId": "1605.08386"}, headers=headers)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["paper"]["id"] == "1605.08386"
    assert item["submittedBy"]["name"] == "ada"
    assert item["paper"]["submittedOnDailyBy"]["name"] == "ada"
    again = http.post("/api/papers/index", json={"arxivId": "1605.08386v1"}, headers=headers)
    assert again.status_code == 200 and again.json()["paper"]["id"] == "1605.08386"
    assert http.post("/api/papers/index", json={"arxivId": "1605.08386"}).status_code == 401
    assert http.post("/api/papers/index", json={}, headers=headers).status_code == 422
    bad = http.post("/api/papers/index", json={"arxivId": "nope"}, headers=headers)
    assert bad.status_code == 400 and "not an arXiv id" in bad.json()["error"]
    local_server.route("/api/query", Reply(500, b"", "text/plain"))
    down = http.post("/api/papers/index", json={"arxivId": "1605.00001"}, headers=headers)
    assert down.status_code == 503 and "arXiv could not be reached" in down.json()["error"]


def test_hostile_title_and_authors_from_arxiv_are_shown_as_text(
    site: Site, local_server: LocalServer, fixtures_dir: Path
) -> None:
    reply = cassette(fixtures_dir, "id_1605.08386")
    body = reply.body.replace(
        b"<title>Heat-bath random walks with Markov bases</title>",
        b"<title>&lt;script&gt;alert('title')&lt;/script&gt; walks</title>",
    ).replace(b"<name>Caprice Stanley</name>", b"<name>&lt;img src=x onerror=alert(1)&gt;</name>")
    local_server.route("/api/query", Reply(200, body, "application/atom+xml"))
    visitor = site.signed_in("ada")
    visitor.post_form("/papers/submit", {"arxiv_id": "1605.08386"}, page="/papers/submit")
    for path in ("/papers/1605.08386", f"/papers/date/{TODAY.isoformat()}", "/u/ada"):
        page = site.visitor().get(path).text
        assert "<script>alert(" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    page = site.visitor().get("/papers/1605.08386").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- look-ups off the request threads (issue 14, finding 2) ---------------------------------------


@pytest.fixture
def slow_arxiv(local_server: LocalServer, fixtures_dir: Path) -> Iterator[threading.Event]:
    """arXiv answers (the recorded 1605.08386) only once the event is set."""
    release = threading.Event()
    recorded = cassette(fixtures_dir, "id_1605.08386")

    def slow(_request: Request) -> Reply:
        release.wait(10)
        return recorded

    local_server.route("/api/query", slow)
    yield release
    release.set()


def test_a_look_up_is_answered_off_the_calling_thread(
    site: Site, slow_arxiv: threading.Event
) -> None:
    ada = site.user("ada")
    step = site.community.submissions.submit(ada, "1605.08386", client=CLIENT)
    assert isinstance(step, PendingLookup) and not step.lookup.done()
    # A second submission of the same paper joins the look-up rather than asking again.
    again = site.community.submissions.submit(site.user("grace"), "1605.08386", client=CLIENT)
    assert isinstance(again, PendingLookup) and again.lookup is step.lookup
    slow_arxiv.set()
    assert step.finish().created and not again.finish().created


def test_a_full_look_up_queue_refuses_at_once(
    tmp_path: Path, db: Database, local_server: LocalServer, slow_arxiv: threading.Event
) -> None:
    with arxiv_site(db, tmp_path / "data", local_server, max_pending_lookups=2) as site:
        ada = site.user("ada")
        for arxiv_id in ("1605.08386", "1605.08387"):
            step = site.community.submissions.submit(ada, arxiv_id, client=CLIENT)
            assert isinstance(step, PendingLookup)
        with pytest.raises(SourceUnavailable, match="Too many papers") as refused:
            site.community.submissions.submit(ada, "1605.08388", client=CLIENT)
        assert refused.value.retry_after == LOOKUP_RETRY_AFTER_S
        # A paper paperboard has needs no look-up, so the full queue does not hold it up.
        site.add(paper("2405.00001", published_at=NOW - timedelta(days=1)))
        known = site.community.submissions.submit(ada, "2405.00001", client=CLIENT)
        assert isinstance(known, Submission) and known.created
        slow_arxiv.set()


def test_a_wait_that_runs_out_is_a_503_and_trying_again_finds_the_paper(
    tmp_path: Path, db: Database, local_server: LocalServer, slow_arxiv: threading.Event
) -> None:
    with arxiv_site(db, tmp_path / "data", local_server, lookup_wait_s=0.2) as site:
        site.user("ada")
        _, token = site.community.tokens.create_for("ada")
        http = site.visitor(authorization=f"Bearer {token}").http
        waited = http.post("/api/papers/index", json={"arxivId": "1605.08386"})
        assert waited.status_code == 503, waited.text
        assert waited.headers["Retry-After"] == str(LOOKUP_RETRY_AFTER_S)
        assert "still being looked up" in waited.json()["error"]
        slow_arxiv.set()
        for _ in range(100):  # the look-up goes on without anyone waiting, and stores it
            if not site.community.submissions._lookups.pending():
                break
            time.sleep(0.05)
        again = http.post("/api/papers/index", json={"arxivId": "1605.08386"})
        assert again.status_code == 201, again.text
        assert len(local_server.requests) == 1
