"""The rest of Hugging Face's paper API (issue 16, item 3): comments on
``/api/papers/{id}?field=comments``, ``/api/arxiv/{id}/repos``, the ``Link`` header of
``/api/daily_papers`` and ``/.well-known/openapi.json``; shapes checked against the pydantic
models (extra keys forbidden) and against what ``huggingface_hub`` itself parses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from huggingface_hub.community import DiscussionComment, deserialize_event

from paperboard.community.accounts import Client
from paperboard.community.passwords import fast_passwords
from paperboard.community.service import Community
from paperboard.web.api.hf_shapes import HfComment, HfPaperDetail, HfRepos
from tests.api_site import BASE_URL, MARKUP, OLD_STYLE, build_site
from tests.app_factory import Site, make_app

PAPER = "2407.21783"  # the Llama 3 paper, from the recorded search results
CLIENT = Client("192.0.2.7")
STRICT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass
class Thread:
    """Comments on PAPER: ada's, bob's reply to it, carol's (then deleted) with a reply."""

    first: int
    reply: int
    removed: int
    reply_to_removed: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("hf-paper-api"), fixtures_dir)
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[TestClient]:
    app = make_app(
        site.settings, site.db, site.keyword_index, cache=False, passwords=fast_passwords()
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def thread(client: TestClient) -> Thread:
    community: Community = client.app.state.runtime.community  # type: ignore[attr-defined]
    ada, bob, carol = (
        community.accounts.create_user(name, f"{name}@example.org", "correct horse battery")
        for name in ("ada", "bob", "carol")
    )
    first = community.comments.post(ada, PAPER, "Which *tokenizer*?", client=CLIENT)
    reply = community.comments.post(bob, PAPER, "The 128K one.", parent_id=first.id, client=CLIENT)
    community.comments.edit(bob, reply.id, "The 128K-token one.")
    removed = community.comments.post(carol, PAPER, "Spam, really", client=CLIENT)
    answer = community.comments.post(ada, PAPER, "Off topic", parent_id=removed.id, client=CLIENT)
    community.comments.delete(carol, removed.id)
    return Thread(first.id, reply.id, removed.id, answer.id)


def comments_of(client: TestClient, arxiv_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/papers/{arxiv_id}?field=comments")
    assert response.status_code == 200, response.text
    body = response.json()
    HfPaperDetail.model_validate(body)
    comments: list[dict[str, Any]] = body["comments"]
    return comments


# --- comments ---------------------------------------------------------------------------------


def test_comments_come_in_hugging_faces_shape(client: TestClient, thread: Thread) -> None:
    comments = comments_of(client, PAPER)
    for comment in comments:
        HfComment.model_validate(comment)
        assert re.fullmatch(r"[0-9a-f]{24}", comment["id"])
        assert STRICT_TIME.fullmatch(comment["createdAt"])
        assert set(comment["author"]) >= {"name", "fullname", "avatarUrl"}
    # Oldest first, each id our comment's number in hexadecimal.
    assert [int(c["id"], 16) for c in comments] == [
        thread.first,
        thread.reply,
        thread.removed,
        thread.reply_to_removed,
    ]
    first, reply, removed, answer = comments
    assert (
        first["author"]["name"] == "ada" and first["data"]["latest"]["raw"] == "Which *tokenizer*?"
    )
    assert first["data"]["latest"]["html"] == "<p>Which <em>tokenizer</em>?</p>\n"
    assert "parentCommentId" not in first["data"] and first["data"]["edited"] is False
    # Threads by parent id.
    assert reply["data"]["parentCommentId"] == first["id"]
    assert reply["data"]["edited"] is True
    assert reply["data"]["latest"]["raw"] == "The 128K-token one."
    assert answer["data"]["parentCommentId"] == removed["id"]


def test_a_removed_comment_keeps_its_place_without_its_text(
    client: TestClient, thread: Thread
) -> None:
    removed = comments_of(client, PAPER)[2]
    assert int(removed["id"], 16) == thread.removed
    assert removed["data"]["hidden"] is True
    assert removed["data"]["hiddenReason"] == "Deleted by its author"
    assert removed["data"]["latest"]["raw"] == "" and removed["data"]["latest"]["html"] == ""


def test_huggingface_hub_reads_the_comments(client: TestClient, thread: Thread) -> None:
    """``huggingface_hub`` parses a discussion's comments with ``deserialize_event``: ours
    parse into the same ``DiscussionComment``s."""
    events = [deserialize_event(comment) for comment in comments_of(client, PAPER)]
    assert all(isinstance(event, DiscussionComment) for event in events)
    first, reply, removed, _ = events
    assert (first.author, first.content, first.edited, first.hidden) == (
        "ada",
        "Which *tokenizer*?",
        False,
        False,
    )
    assert first.created_at.tzinfo is not None and first.created_at <= reply.created_at
    assert (reply.author, reply.edited) == ("bob", True)
    assert removed.hidden and removed.content == ""
    del thread


def test_comments_only_on_request(client: TestClient, thread: Thread) -> None:
    plain = client.get(f"/api/papers/{PAPER}").json()
    assert "comments" not in plain
    assert plain["numComments"] == 3  # the visible ones: the deleted comment is not counted
    none_yet = comments_of(client, OLD_STYLE.arxiv_id)
    assert none_yet == []
    assert client.get(f"/api/papers/{PAPER}?field=everything").status_code == 422
    missing = client.get("/api/papers/2401.99999?field=comments")
    assert missing.status_code == 404 and missing.json() == {"error": "Paper 2401.99999 not found."}
    del thread


# --- /api/arxiv/{id}/repos ----------------------------------------------------------------------


@pytest.mark.parametrize("arxiv_id", [PAPER, OLD_STYLE.arxiv_id, f"{PAPER}v2"])
def test_repos_are_honest_empty_lists(client: TestClient, arxiv_id: str) -> None:
    response = client.get(f"/api/arxiv/{arxiv_id}/repos")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"models": [], "datasets": [], "spaces": []}
    HfRepos.model_validate(response.json())


@pytest.mark.parametrize("arxiv_id", ["2401.99999", "not-an-id", "hep-th/9999999"])
def test_repos_of_a_paper_we_do_not_have_are_404(client: TestClient, arxiv_id: str) -> None:
    response = client.get(f"/api/arxiv/{arxiv_id}/repos")
    assert response.status_code == 404
    assert "error" in response.json()


# --- the Link header of /api/daily_papers ------------------------------------------------------


def next_url(response: Any) -> str | None:
    """The ``rel="next"`` URL of a response, as a path on the test client."""
    link = response.headers.get("link")
    if link is None:
        return None
    found = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert found and found.group(1).startswith(f"{BASE_URL}/api/daily_papers?"), link
    return found.group(1).removeprefix(BASE_URL)


def _walk(client: TestClient, url: str) -> tuple[list[dict[str, Any]], int]:
    """Follow ``rel="next"`` from ``url``: every item, and how many links were followed."""
    items: list[dict[str, Any]] = []
    followed = 0
    next_page: str | None = url
    while next_page is not None:
        response = client.get(next_page)
        assert response.status_code == 200, response.text
        items += response.json()
        next_page = next_url(response)
        followed += next_page is not None
    return items, followed


@pytest.mark.parametrize(
    "query", ["date=2026-08-12", "week=2024-W24", "month=2025-07", "sort=trending", ""]
)
def test_link_pages_walk_the_whole_board(client: TestClient, query: str) -> None:
    whole = client.get(f"/api/daily_papers?{query}&limit=100").json()
    assert len(whole) > 7
    items, followed = _walk(client, f"/api/daily_papers?{query}&limit=7")
    assert items == whole
    assert followed == (len(whole) - 1) // 7


def test_the_last_page_has_no_link(client: TestClient) -> None:
    last = client.get("/api/daily_papers?date=2026-08-12&limit=100")
    assert last.status_code == 200 and "link" not in last.headers
    empty = client.get("/api/daily_papers?date=2030-01-01")
    assert empty.json() == [] and "link" not in empty.headers


def test_the_link_keeps_the_query_and_names_the_home_day(client: TestClient) -> None:
    response = client.get("/api/daily_papers?limit=5&submitter=&p=1")
    assert response.headers["link"] == (
        f'<{BASE_URL}/api/daily_papers?date=2026-08-12&sort=publishedAt&p=2&limit=5>; rel="next"'
    )
    mine = client.get("/api/daily_papers?week=2024-W24&submitter=akhaliq&limit=2")
    assert len(mine.json()) == 2 and mine.headers["link"] == (
        f"<{BASE_URL}/api/daily_papers?week=2024-W24&submitter=akhaliq"
        '&sort=publishedAt&p=1&limit=2>; rel="next"'
    )
    second = client.get(next_url(mine) or "")
    assert len(second.json()) == 2 and second.json() != mine.json()


def test_the_link_comes_from_the_base_url_not_the_host(client: TestClient) -> None:
    forged = client.get(
        "/api/daily_papers?date=2026-08-12&limit=5", headers={"host": "evil.example"}
    )
    assert forged.headers["link"].startswith(f"<{BASE_URL}/api/daily_papers?")
    assert "evil.example" not in forged.headers["link"]


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_at_the_well_known_address(client: TestClient) -> None:
    response = client.get("/.well-known/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document == client.get("/openapi.json").json()
    paths = document["paths"]
    assert "/api/arxiv/{arxiv_id}/repos" in paths
    info = paths["/api/papers/{arxiv_id}"]["get"]
    assert {p["name"] for p in info["parameters"]} == {"arxiv_id", "field"}
    assert "Link" in paths["/api/daily_papers"]["get"]["responses"]["200"]["headers"]


def test_field_comments_adds_the_comments_and_nothing_else(client: TestClient) -> None:
    with_comments = client.get(f"/api/papers/{MARKUP.arxiv_id}?field=comments").json()
    plain = client.get(f"/api/papers/{MARKUP.arxiv_id}").json()
    assert {k: v for k, v in with_comments.items() if k != "comments"} == plain
