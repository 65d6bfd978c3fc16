"""The demo data set (ingest/demo.py): ``paperboard demo`` into an empty data dir, after which
the boards, hybrid search, similar papers and feeds work with no network and no embedding run;
the button of the empty home page loads the same; neither mixes the demo into real papers."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.config import load_settings
from paperboard.domain.paper import FeaturedRecord
from paperboard.ingest.demo import DEMO_DIR, MANIFEST, PAPERS_FILE
from paperboard.ingest.export import iter_export
from paperboard.runtime import Runtime, open_runtime
from paperboard.search.service import SearchRequest
from paperboard.web import create_app
from tests.command_line import SNAPSHOT, environment, run, stats
from tests.search.test_embedder import needs_model

MANIFEST_DATA = json.loads((DEMO_DIR / MANIFEST).read_text())
DEMO_PAPERS = len(MANIFEST_DATA["arxiv_ids"])
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, TestClient]]:
    """``paperboard demo`` into an empty data dir with the default embedder, then the site a
    fresh ``serve`` would show over it (the real model embeds the queries)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    result = run(data, "demo")
    assert result.exit_code == 0, result.output
    assert f"loaded the demo: {DEMO_PAPERS:,} papers" in result.output
    assert f"{DEMO_PAPERS:,} vectors" in result.output and "note:" not in result.output
    runtime = open_runtime(load_settings(environment(data)))
    with TestClient(create_app(runtime)) as client:
        yield runtime, client
    runtime.close()


def _latest_featured_day() -> date:
    with gzip.open(DEMO_DIR / PAPERS_FILE) as stream:
        return max(item.day for item in iter_export(stream) if isinstance(item, FeaturedRecord))


@needs_model
def test_demo_boards_and_feeds(demo_site: tuple[Runtime, TestClient]) -> None:
    _runtime, client = demo_site
    home = client.get("/")
    assert home.status_code == 200
    assert home.text.count('class="card') >= 10 and "Explore the demo" not in home.text
    day = _latest_featured_day().isoformat()
    assert client.get(f"/papers/date/{day}").text.count('class="card') >= 10
    assert "<article" in client.get("/papers/trending").text
    feed = client.get(f"/feeds/date/{day}.atom")
    assert feed.status_code == 200 and feed.text.count("<entry>") >= 10


@needs_model
def test_demo_search_is_hybrid_and_similar_papers_are_there(
    demo_site: tuple[Runtime, TestClient],
) -> None:
    runtime, client = demo_site
    arxiv_id = MANIFEST_DATA["arxiv_ids"][0]
    query = "diffusion models for video generation"
    page = client.get("/search", params={"q": query})
    assert page.status_code == 200 and "by keywords and meaning" in page.text
    hybrid = runtime.search.search(SearchRequest(query)).hits
    assert any(hit.semantic_rank is not None for hit in hybrid)
    assert any(hit.keyword_rank is not None for hit in hybrid)
    # By meaning alone, the shipped vector of a paper is found by its own title: the vectors
    # are the default model's, stored for the right papers.
    title = client.get(f"/api/papers/{arxiv_id}").json()["title"]
    hits = runtime.search.search(SearchRequest(title, mode="semantic", per_page=3)).hits
    assert hits and hits[0].listed.paper.arxiv_id == arxiv_id
    similar = client.get(f"/api/papers/{arxiv_id}/similar").json()
    assert len(similar) == 10 and arxiv_id not in [hit["id"] for hit in similar]
    assert "Similar papers" in client.get(f"/papers/{arxiv_id}").text


def test_demo_refuses_a_paperboard_with_papers(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(fixtures_dir / SNAPSHOT)).exit_code == 0
    before = stats(data)["papers"]
    result = run(data, "demo")
    assert result.exit_code == 2
    assert "already has papers" in result.output
    assert stats(data)["papers"] == before


def test_demo_with_another_embedder_leaves_the_vectors_to_the_embedding_job(
    tmp_path: Path,
) -> None:
    result = run(tmp_path / "data", "demo", embedder="hashing")
    assert result.exit_code == 0, result.output
    assert ", 0 vectors" in result.output
    assert "note: the demo's vectors are for minilm-int8" in result.output
    assert stats(tmp_path / "data", embedder="hashing")["papers"] == DEMO_PAPERS


def test_the_empty_home_page_loads_the_demo(tmp_path: Path) -> None:
    runtime = open_runtime(load_settings(environment(tmp_path / "data", embedder="hashing")))
    try:
        with TestClient(create_app(runtime)) as client:
            first = client.get("/")
            client.cookies.clear()  # another visitor
            second = client.get("/")
            # Each visitor's page has a token of their own: the page is not kept for others.
            assert "Explore the demo" in first.text and "Explore the demo" in second.text
            token = CSRF.search(second.text)
            assert token is not None and token.group(1) not in first.text
            forged = client.post("/demo", data={"csrf_token": "forged"})
            assert forged.status_code == 403
            loaded = client.post("/demo", data={"csrf_token": token.group(1)})
            assert loaded.status_code == 200 and loaded.url.path == "/"
            assert loaded.text.count('class="card') >= 10
            again = client.post("/demo", data={"csrf_token": token.group(1)})
            assert again.status_code == 409 and "already has papers" in again.text
    finally:
        runtime.close()
