"""The whole community flow through the real HTTP app: sign up, log in, submit, upvote,
un-upvote, comment, reply, hide as a curator; the huggingface_hub client reads the new counts;
cached pages change on a vote; cross-site posts and oversized bodies are refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.storage.database import Database
from paperboard.web.response_cache import ResponseCache, database_version
from tests.community_site import Site, build_site, comment_id, featured, paper, serve_app

NOW = datetime.now(UTC)
TODAY = NOW.date()


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[Site]:
    built = build_site(db, tmp_path / "data")
    built.add(
        paper("2401.00001", title="An imported paper", published_at=NOW - timedelta(days=2)),
        featured("2401.00001", TODAY, upvotes=2, comments=1),
        paper("2401.00002", title="A fresh paper", published_at=NOW - timedelta(days=1)),
    )
    yield built
    built.close()


def test_the_whole_flow(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.user("cora", role="curator")
    ada = site.visitor()
    assert ada.sign_up("ada").status_code == 303
    assert ada.log_out().status_code == 303
    assert "Sign in" in ada.get("/").text
    assert ada.log_in("ada", next="/papers/submit").headers["location"] == "/papers/submit"

    # Submit a paper to today's board.
    submitted = ada.post_form("/papers/submit", {"arxiv_id": "2401.00002"}, page="/papers/submit")
    assert submitted.status_code == 201
    home = ada.get("/").text
    assert "A fresh paper" in home and "Submitted by ada" in home

    # Upvote, un-upvote, upvote again.
    assert ada.upvote("2401.00002").status_code == 303
    assert _count(site, "2401.00002") == 1
    assert ada.upvote("2401.00002", on=False).status_code == 303
    assert _count(site, "2401.00002") == 0
    ada.upvote("2401.00002")
    assert _count(site, "2401.00002") == 1

    # Grace comments, Ada replies, the curator hides Grace's comment.
    grace = site.visitor()
    grace.sign_up("grace")
    first = comment_id(grace.comment("2401.00002", "Is the code **out**?"))
    reply = comment_id(ada.comment("2401.00002", "Yes: [here](https://github.com/x/y)", first))
    page = site.visitor().get("/papers/2401.00002").text
    assert "Is the code <strong>out</strong>?" in page
    assert 'href="https://github.com/x/y" rel="nofollow noopener noreferrer ugc"' in page
    assert "2 comments" in page
    cora = site.visitor()
    cora.log_in("cora")
    hidden = cora.post_form(f"/comments/{first}/hide", {"hidden": "1"})
    assert hidden.status_code == 303
    page = site.visitor().get("/papers/2401.00002").text
    assert "Is the code" not in page and "hidden by a curator" in page
    assert f'id="comment-{reply}"' in page and "1 comment" in page

    # Profiles.
    profile = site.visitor().get("/u/ada").text
    assert "A fresh paper" in profile and "Yes: [here]" in profile
    assert site.visitor().get("/u/nobody").status_code == 404

    # The JSON API and the huggingface_hub client read the new counts.
    api = site.visitor().get("/api/papers/2401.00002").json()
    assert (api["upvotes"], api["numComments"]) == (1, 1)
    day = site.visitor().get(f"/api/daily_papers?date={TODAY.isoformat()}").json()
    submitted_item = next(item for item in day if item["paper"]["id"] == "2401.00002")
    assert submitted_item["numComments"] == 1 and submitted_item["submittedBy"]["name"] == "ada"
    with serve_app(site.app) as url:
        hf = _hf_api(url, monkeypatch)
        info = hf.paper_info("2401.00002")
        assert (info.upvotes, info.comments) == (1, 1)
        listed = {p.id: p for p in hf.list_daily_papers(date=TODAY.isoformat())}
        assert listed["2401.00002"].submitted_by.username == "ada"
        assert listed["2401.00002"].upvotes == 1
        assert listed["2401.00001"].upvotes == 2


def _hf_api(url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    return HfApi(endpoint=url, token=False)


def _count(site: Site, arxiv_id: str) -> int:
    return site.visitor().get(f"/api/papers/{arxiv_id}").json()["upvotes"]


def test_cached_pages_change_on_a_vote_and_never_leak_a_session(site: Site) -> None:
    # The real response cache, re-reading the data version on every request.
    site.app.state.response_cache = ResponseCache(database_version(site.db), version_interval=0)
    anonymous = site.visitor()
    before = anonymous.get("/").text
    assert '<span class="votes-count">2</span>' in before
    ada = site.signed_in("ada")
    mine = ada.get("/").text
    assert 'href="/u/ada"' in mine and 'name="csrf_token"' in mine
    ada.upvote("2401.00001")
    after = anonymous.get("/").text
    assert '<span class="votes-count">3</span>' in after
    # A signed-in page never came from (or went into) the cache.
    assert "/u/ada" not in after and 'name="csrf_token"' not in after
    assert 'aria-pressed="true"' in ada.get("/").text
    assert anonymous.get("/api/papers/2401.00001").json()["upvotes"] == 3


def test_a_cross_site_form_post_is_refused(site: Site) -> None:
    ada = site.signed_in("ada")
    token = ada.csrf("/account")
    # What a hostile page's auto-submitting form sends: the cookie rides along, the token
    # cannot (the attacker cannot read it), and the browser names the other origin.
    forged = ada.post_form(
        "/papers/2401.00001/upvote",
        {"action": "add"},
        token="",
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert forged.status_code == 403
    # Even with the right token, a post from another origin is refused.
    stolen = ada.post_form(
        "/papers/2401.00001/upvote",
        {"action": "add"},
        token=token,
        headers={"origin": "https://evil.example"},
    )
    assert stolen.status_code == 403
    assert _count(site, "2401.00001") == 2


def test_a_10_mb_body_is_refused_with_413(site: Site) -> None:
    ada = site.signed_in("ada")
    big = "x" * (10 * 1024 * 1024)
    declared = ada.http.post("/papers/2401.00001/comments", data={"text": big})
    assert declared.status_code == 413
    api = ada.http.post("/api/papers/index", content=b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert api.status_code == 413 and "larger than" in api.json()["error"]

    def chunks() -> Iterator[bytes]:
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    # No Content-Length (chunked): counted as it streams, refused at the limit.
    streamed = ada.http.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413


def test_a_10_mb_body_is_refused_before_it_is_sent(site: Site) -> None:
    """Against a real server: the answer comes on the headers alone; no byte of body sent."""
    with serve_app(site.app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /api/papers/index HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
            )
            answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_hostile_display_names_are_shown_as_text(site: Site) -> None:
    mallory = site.signed_in("mallory")
    saved = mallory.post_form("/account", {"display_name": "<script>alert(1)</script>"})
    assert saved.status_code == 200
    mallory.post_form("/papers/submit", {"arxiv_id": "2401.00002"}, page="/papers/submit")
    mallory.comment("2401.00002", "hello")
    for path in ("/papers/2401.00002", "/", "/u/mallory"):
        page = site.visitor().get(path).text
        assert "<script>alert(1)</script>" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    item = site.visitor().get("/api/papers/2401.00002/comments").json()[0]
    assert item["author"] == {"name": "mallory", "fullname": "<script>alert(1)</script>"}
