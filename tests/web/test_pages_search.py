"""The search page and the similar-papers API, through the real app (hashing embedder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.config import load_settings
from paperboard.ingest.loader import load
from paperboard.jobs.embed import backfill
from paperboard.search.service import SearchRequest, SearchService, open_search_service
from paperboard.search.vectors import open_vector_index
from paperboard.storage.database import Database
from paperboard.web.response_cache import ResponseCache
from tests.app_factory import build_site, make_app
from tests.community_site import paper
from tests.search_corpus import EMBEDDER, keyword_index_for, load_corpus


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    index = keyword_index_for(db, tmp_path)
    load_corpus(db, index)
    vectors = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    backfill(db, EMBEDDER, vector_index=vectors)
    # The hashing embedder stands in for the model: same code path, no model load in tests.
    search = open_search_service(db, index, tmp_path, embedder=EMBEDDER)
    with build_site(db, tmp_path, keyword_index=index, search=search, cache=True) as site:
        yield site.open_client(follow_redirects=False)


def test_search_page_lists_matching_papers_as_cards(client: TestClient) -> None:
    page = client.get("/search", params={"q": "speculative decoding draft"})
    assert page.status_code == 200
    assert "Speculative Decoding with Draft Models" in re.sub(r"</?mark>", "", page.text)
    assert 'class="card"' in page.text
    assert 'href="/feeds/search.atom?q=speculative' in page.text


def test_search_page_says_what_searched(client: TestClient) -> None:
    page = client.get("/search", params={"q": "speculative decoding draft"}).text
    assert re.search(r"\d+ found by keywords and meaning\.", page)


def test_search_page_says_why_meaning_did_not_search(db: Database, tmp_path: Path) -> None:
    """Issue 18: "50 found by keywords", later "145 found by keywords and meaning", with no
    word on why: the first label now says meaning had nothing to search yet."""
    index = keyword_index_for(db, tmp_path)
    load_corpus(db, index)
    vectors = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)  # none stored yet
    search = SearchService(db, index, vectors, EMBEDDER)
    app = make_app(load_settings({}, data_dir=tmp_path), db, index, search=search, cache=False)
    with TestClient(app) as client:
        page = client.get("/search", params={"q": "speculative decoding"}).text
        assert re.search(
            r"\d+ found by keywords \(meaning joins once papers have their embeddings\)\.", page
        )
        backfill(db, EMBEDDER, vector_index=vectors)
        page = client.get("/search", params={"q": "speculative decoding"}).text
        assert re.search(r"\d+ found by keywords and meaning\.", page)


def test_search_page_without_query_explains_itself(client: TestClient) -> None:
    page = client.get("/search")
    assert page.status_code == 200
    assert "Search papers" in page.text


@pytest.mark.parametrize("query", ["attention AND (", '"', "🙂" * 50, "x" * 4000, "author:"])
def test_hostile_queries_never_fail(client: TestClient, query: str) -> None:
    assert client.get("/search", params={"q": query}).status_code == 200


def test_an_arxiv_id_goes_straight_to_the_paper(client: TestClient) -> None:
    response = client.get("/search", params={"q": "https://arxiv.org/abs/2401.00001v2"})
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/2401.00001"


def test_bad_filters_are_clear_errors(client: TestClient) -> None:
    assert client.get("/search", params={"q": "x", "sort": "best"}).status_code == 400
    assert client.get("/search", params={"q": "x", "from": "yesterday"}).status_code == 400


def test_pages_keep_the_query(client: TestClient) -> None:
    from paperboard.web.pagination import Pager

    params = {"q": "a b", "sort": "newest", "cat": ""}
    pager = Pager(page=2, has_next=True, path="/search", params=params)
    assert pager.next_url == "/search?q=a+b&sort=newest&page=3"
    assert pager.prev_url == "/search?q=a+b&sort=newest"


def test_similar_papers_api(client: TestClient) -> None:
    response = client.get("/api/papers/2401.00001/similar", params={"limit": 3})
    assert response.status_code == 200
    similar = response.json()
    assert 1 <= len(similar) <= 3
    assert all(item["id"] != "2401.00001" for item in similar)
    assert client.get("/api/papers/2401.99999/similar").status_code == 404
    assert client.get("/api/papers/nonsense/similar").status_code == 404


def test_paper_page_shows_similar_papers(client: TestClient) -> None:
    page = client.get("/papers/2401.00001")
    assert page.status_code == 200
    assert "Similar papers" in page.text
    section = page.text.split("Similar papers", 1)[1].split("</section>", 1)[0]
    assert 'href="/papers/2401.00001"' not in section  # never itself
    assert section.count("<li>") >= 1


def _similar_section(client: TestClient, arxiv_id: str) -> str:
    page = client.get(f"/papers/{arxiv_id}")
    assert page.status_code == 200
    section = page.text.split('id="similar-title"', 1)[1].split("</section>", 1)[0]
    return " ".join(section.split())


def test_paper_page_says_when_similar_papers_are_pending(client: TestClient, db: Database) -> None:
    """Issue 18: while a paper waited for its embedding the section was simply missing."""
    load(db, [paper("2401.00999")])  # stored after the embedding job ran: no vector yet
    section = _similar_section(client, "2401.00999")
    assert "waiting for its embedding" in section and "<li>" not in section
    backfill(db, EMBEDDER)
    client.app.state.response_cache = ResponseCache(lambda: None, ttl=0)  # type: ignore[attr-defined]
    section = _similar_section(client, "2401.00999")
    assert "<li>" in section and "waiting" not in section


def test_paper_page_says_when_semantic_search_is_off(db: Database, tmp_path: Path) -> None:
    index = keyword_index_for(db, tmp_path)
    load_corpus(db, index)
    keyword_only = SearchService(db, index)
    app = make_app(load_settings({}, data_dir=tmp_path), db, index, search=keyword_only)
    with TestClient(app) as client:
        section = _similar_section(client, "2401.00001")
    assert "semantic search is off" in section and "<li>" not in section


def test_search_api_returns_the_hybrid_ranking(client: TestClient) -> None:
    service = client.app.state.runtime.search  # type: ignore[attr-defined]
    query = "graph neural network"
    hybrid = service.search(SearchRequest(query=query, per_page=10))
    keyword = service.search(SearchRequest(query=query, per_page=10, mode="keyword"))
    expected = [hit.paper.arxiv_id for hit in hybrid.hits]
    # The query is one where meaning finds papers that share no word with it.
    assert expected != [hit.paper.arxiv_id for hit in keyword.hits]
    response = client.get("/api/papers/search", params={"q": query, "limit": 10})
    assert response.status_code == 200
    assert [item["paper"]["id"] for item in response.json()] == expected
    listed = client.get("/api/papers", params={"search": query, "limit": 10}).json()
    assert [item["id"] for item in listed] == expected


def test_search_results_mark_the_query_words(client: TestClient) -> None:
    page = client.get("/search", params={"q": "speculative decoding"})
    assert page.status_code == 200
    assert "<mark>Speculative</mark> <mark>Decoding</mark>" in page.text
    assert page.text.count("<mark>") > 2  # in the abstracts' snippets too
    # Boards show the same cards without marks.
    assert "<mark>" not in client.get("/papers/new").text
