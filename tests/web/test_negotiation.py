"""Papers as Markdown through the web app: ``/papers/{id}.md`` with the full text from a local
server replaying a recorded arXiv HTML page, and the paper page with ``Accept: text/markdown``
(content negotiation, web/negotiation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.config import load_settings
from paperboard.ingest.http import HttpFetcher
from paperboard.ingest.loader import load
from paperboard.storage.database import Database
from paperboard.web.negotiation import is_paper_page, wants_markdown
from tests.app_factory import make_app
from tests.community_site import paper
from tests.httpserver import LocalServer, Reply

RECORDED = (Path(__file__).parent.parent / "recorded" / "arxiv_html_2401.00001v2.html").read_bytes()
MARKDOWN = "text/markdown; charset=utf-8"


@pytest.fixture
def client(db: Database, tmp_path: Path, local_server: LocalServer) -> Iterator[TestClient]:
    local_server.route("/html/2401.00001", Reply(200, RECORDED, "text/html"))
    load(db, [paper("2401.00001", title="Speculative Decoding"), paper("hep-th/9901001")])
    settings = load_settings(
        {"PAPERBOARD_ARXIV_HTML_URL": local_server.url("/html")}, data_dir=tmp_path
    )
    fetcher = HttpFetcher(min_interval_s=0, retries=0, timeout_s=5)
    app = make_app(settings, db, full_text_fetcher=fetcher)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_the_markdown_page_has_the_full_text(client: TestClient) -> None:
    response = client.get("/papers/2401.00001.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == MARKDOWN
    text = response.text
    assert text.startswith("# Speculative Decoding\n")
    assert "## Full text\n\n*Converted to Markdown from arXiv's HTML rendering" in text
    assert "where $p\\lt q$ never happens" in text
    # Without a rendering (the local arXiv answers 404): the abstract and a note.
    old = client.get("/papers/hep-th/9901001.md").text
    assert "## Abstract" in old and "*arXiv has no HTML rendering of this paper" in old


@pytest.mark.parametrize(
    "accept",
    ["text/markdown", "text/markdown, text/html;q=0.5", "text/plain;q=0.1, text/markdown"],
)
def test_the_paper_page_answers_markdown_to_those_who_ask(client: TestClient, accept: str) -> None:
    response = client.get("/papers/2401.00001", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == MARKDOWN
    assert response.text == client.get("/papers/2401.00001.md").text
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    "accept",
    ["text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "", "text/markdown;q=0.5, text/html"],
)
def test_browsers_get_html(client: TestClient, accept: str) -> None:
    response = client.get("/papers/2401.00001", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]


def test_negotiation_keeps_to_paper_pages(client: TestClient) -> None:
    old_style = client.get("/papers/hep-th/9901001", headers={"Accept": "text/markdown"})
    assert old_style.headers["content-type"] == MARKDOWN
    versioned = client.get("/papers/2401.00001v2", headers={"Accept": "text/markdown"})
    assert versioned.status_code == 200 and versioned.headers["content-type"] == MARKDOWN
    missing = client.get("/papers/2401.09999", headers={"Accept": "text/markdown"})
    assert missing.status_code == 404 and missing.headers["content-type"] == MARKDOWN
    trending = client.get("/papers/trending", headers={"Accept": "text/markdown"})
    assert trending.headers["content-type"].startswith("text/html")


def test_the_rules() -> None:
    assert is_paper_page("/papers/2401.00001") and is_paper_page("/papers/hep-th/9901001")
    for path in ("/papers/trending", "/papers/2401.00001.md", "/papers/2401.00001/upvote", "/"):
        assert not is_paper_page(path), path
    assert wants_markdown("text/markdown;q=0.9, text/html;q=0.8")
    assert not wants_markdown("text/markdown;q=0, text/plain")
    assert not wants_markdown("text/markdown;q=nonsense")
