"""The hybrid search service on SQLite (tantivy + HNSW file) and PostgreSQL (tsvector +
pgvector): engines, fusion, filters, sorts, pages, exact ids, hostile input, similar papers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperboard.jobs.embed import backfill
from paperboard.search.service import (
    SearchRequest,
    SearchService,
    open_search_service,
)
from paperboard.search.similar import similar
from paperboard.search.vectors import open_vector_index
from paperboard.storage.database import Database
from tests.search_corpus import EMBEDDER, PAPERS, keyword_index_for, load_corpus


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[tuple[SearchService, dict[str, int]]]:
    keyword_index = keyword_index_for(db, tmp_path)
    ids = load_corpus(db, keyword_index)
    vector_index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    backfill(db, EMBEDDER, vector_index=vector_index)
    yield SearchService(db, keyword_index, vector_index, EMBEDDER), ids
    if keyword_index is not None:
        keyword_index.close()


def arxiv_ids(service: SearchService, **request: object) -> list[str]:
    page = service.search(SearchRequest(**request))  # type: ignore[arg-type]
    return [hit.paper.arxiv_id for hit in page.hits]


def test_hybrid_finds_by_words_and_reports_both_engines(world) -> None:  # type: ignore[no-untyped-def]
    service, ids = world
    page = service.search(SearchRequest(query="diffusion models video generation"))
    assert page.semantic and page.hits[0].paper.arxiv_id == "2401.00003"
    top = page.hits[0]
    assert top.keyword_rank == 1 and top.semantic_rank == 1 and top.paper_id == ids["2401.00003"]
    # Its words match its title far better than any other paper's: the keyword hit leads.
    assert top.score > 1 > page.hits[1].score
    assert page.hits[0].highlight.title_spans  # "Diffusion", "Models", ...
    assert page.total >= 1 and page.elapsed_ms > 0


@pytest.mark.parametrize("mode", ["keyword", "semantic"])
def test_single_engine_modes(world, mode: str) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    page = service.search(SearchRequest(query="galaxy rotation curves", mode=mode))  # type: ignore[arg-type]
    assert page.hits[0].paper.arxiv_id == "2401.00005"
    assert page.semantic == (mode == "semantic")


@pytest.mark.parametrize(
    ("mode", "query", "engines"),
    [
        ("hybrid", "galaxy rotation curves", "keywords and meaning"),
        ("keyword", "galaxy rotation curves", "keywords"),
        ("semantic", "galaxy rotation curves", "meaning"),
        ("hybrid", 'author:"Vera Rubin"', "keywords"),
        ("semantic", "cat:astro-ph.GA", "filters"),
    ],
)
def test_labels_name_the_engines_that_took_part(world, mode: str, query: str, engines: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: ``--mode semantic`` printed "(keyword + semantic)"; the label says what ran."""
    service, _ = world
    page = service.search(SearchRequest(query=query, mode=mode))  # type: ignore[arg-type]
    assert page.engines == engines
    asked_for_meaning = mode != "keyword"
    assert (page.semantic_missing == "no_words") is (asked_for_meaning and ":" in query)


def test_labels_say_why_meaning_did_not_take_part(db: Database, tmp_path: Path) -> None:
    keyword_index = keyword_index_for(db, tmp_path)
    load_corpus(db, keyword_index)
    request = SearchRequest(query="galaxy rotation curves")
    # A server without a model: keyword search, and the label says meaning is off.
    off = SearchService(db, keyword_index).search(request)
    assert (off.engines, off.semantic_missing) == ("keywords", "off")
    assert off.semantic_note and "without an embedding model" in off.semantic_note
    # A model but no embeddings yet (the first minutes after an import): pending, not "off".
    vectors = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    service = SearchService(db, keyword_index, vectors, EMBEDDER)
    pending = service.search(request)
    assert (pending.engines, pending.semantic_missing) == ("keywords", "pending")
    backfill(db, EMBEDDER, vector_index=vectors)
    both = service.search(request)
    assert (both.engines, both.semantic_missing, both.semantic_note) == (
        "keywords and meaning",
        None,
        None,
    )
    if keyword_index is not None:
        keyword_index.close()


def test_phrase_and_author_and_category_syntax(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    # The phrase is required of keyword hits; semantic hits are ranked after them.
    assert arxiv_ids(service, query='"value cache"', mode="keyword") == ["2401.00007"]
    assert set(arxiv_ids(service, query='author:"Alan Turing" decoding')) == {
        "2401.00001",
        "2401.00003",
        "2401.00007",
    }
    assert arxiv_ids(service, query='author:"Alan Turing" decoding')[0] in {
        "2401.00001",
        "2401.00007",
    }
    assert set(arxiv_ids(service, query="models cat:cs.cl")) <= {
        "2401.00001",
        "2401.00002",
        "2401.00007",
    }
    assert arxiv_ids(service, query="galaxies cat:cs.CV") == ["2401.00003"]


def test_filters_apply_to_both_engines(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    found = arxiv_ids(service, query="language models decoding", has_code=True)
    assert found and set(found) <= {"2401.00001", "2401.00003", "2401.00006"}
    found = arxiv_ids(
        service, query="language models", date_from=date(2024, 2, 1), date_to=date(2024, 3, 1)
    )
    assert found and set(found) <= {"2401.00004", "2401.00005", "2401.00006", "2401.00007"}
    assert "2401.00007" in found  # published on the last day: the range includes it
    found = arxiv_ids(service, query="networks", categories=("q-bio.QM",))
    assert found == ["2401.00004"]


def test_filters_without_words_list_newest_or_most_upvoted(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    assert arxiv_ids(service, query="cat:cs.CL") == ["2401.00007", "2401.00002", "2401.00001"]
    assert arxiv_ids(service, query="cat:cs.CL", sort="upvotes") == [
        "2401.00001",
        "2401.00007",
        "2401.00002",
    ]
    assert arxiv_ids(service, query="", has_code=True)[0] == "2401.00006"
    # An author alone: the keyword index finds the papers, newest first.
    assert arxiv_ids(service, query="author:Turing") == ["2401.00007", "2401.00003", "2401.00001"]


def test_sorts_reorder_the_relevant_pool(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    relevance = arxiv_ids(service, query="language model decoding", mode="keyword")
    newest = arxiv_ids(service, query="language model decoding", mode="keyword", sort="newest")
    upvotes = arxiv_ids(service, query="language model decoding", mode="keyword", sort="upvotes")
    assert set(relevance) == set(newest) == set(upvotes)
    assert newest == sorted(newest, reverse=True)  # ids were issued in date order
    votes = {p[0]: p[-1] for p in PAPERS}
    assert [votes[i] for i in upvotes] == sorted((votes[i] for i in upvotes), reverse=True)


def test_pages(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    everything = arxiv_ids(service, query="models networks language", per_page=50)
    first = service.search(SearchRequest(query="models networks language", per_page=3))
    second = service.search(SearchRequest(query="models networks language", per_page=3, page=2))
    assert first.has_next and first.total == len(everything)
    assert [h.paper.arxiv_id for h in first.hits + second.hits] == everything[:6]
    beyond = service.search(SearchRequest(query="models", per_page=3, page=99))
    assert beyond.hits == [] and not beyond.has_next


def test_arxiv_id_or_url_goes_first(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    page = service.search(SearchRequest(query="https://arxiv.org/abs/2401.00008v2"))
    assert [h.paper.arxiv_id for h in page.hits] == ["2401.00008"] and page.hits[0].exact_id
    page = service.search(SearchRequest(query="2401.00005 diffusion video"))
    assert page.hits[0].paper.arxiv_id == "2401.00005" and page.hits[0].exact_id
    assert page.hits[1].paper.arxiv_id == "2401.00003"
    missing = service.search(SearchRequest(query="2501.99999"))
    assert missing.hits == [] and missing.missing_arxiv_ids == ["2501.99999"]


@pytest.mark.parametrize(
    "query",
    [
        "attention AND (",
        '"',
        'author:"',
        "cat:",
        "x" * 4000,
        "🤖 " * 1000,
        "a" * 3999 + "é",
        "'; DROP TABLE papers; --",
        "%_%",
        "\\",
        "NOT",
        "title:(x",
        "\x00null",
    ],
)
def test_any_input_is_safe(world, query: str) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    page = service.search(SearchRequest(query=query))
    assert page.total >= 0


def test_without_embedder_it_is_a_keyword_search(db: Database, tmp_path: Path) -> None:
    keyword_index = keyword_index_for(db, tmp_path)
    load_corpus(db, keyword_index)
    service = SearchService(db, keyword_index)
    page = service.search(SearchRequest(query="galaxy rotation"))
    assert not page.semantic and page.hits[0].paper.arxiv_id == "2401.00005"
    if keyword_index is not None:
        keyword_index.close()


class _WaitsForKeyword:
    """An embedder that embeds only once the keyword engine has started searching."""

    def __init__(self, keyword_started: threading.Event) -> None:
        self.keyword_started = keyword_started
        self.name, self.dim = EMBEDDER.name, EMBEDDER.dim
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if not self.keyword_started.wait(10):
            raise AssertionError("the query was embedded before the keyword search began")
        return EMBEDDER.embed(texts)


def test_the_query_is_embedded_while_the_keyword_engine_searches(world) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    keyword_started = threading.Event()
    embedder = _WaitsForKeyword(keyword_started)
    keyword_hits = service.keyword_hits

    def keyword_hits_after_embedding_began(*args: object) -> list[tuple[int, float]]:
        keyword_started.set()
        # Sequential code would still be here, before the embedding: it has begun instead.
        deadline = time.monotonic() + 10
        while embedder.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert embedder.calls == 1
        return keyword_hits(*args)  # type: ignore[arg-type]

    service.embedder = embedder
    service.keyword_hits = keyword_hits_after_embedding_began  # type: ignore[method-assign]
    page = service.search(SearchRequest(query="diffusion models video generation"))
    assert page.semantic and page.hits[0].paper.arxiv_id == "2401.00003"
    # A repeated query takes its vector from the cache: no second embedding.
    service.search(SearchRequest(query="diffusion models video generation", page=2))
    assert embedder.calls == 1


def test_open_search_service_falls_back_without_a_model(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERBOARD_EMBEDDER", "no-such-model")
    service = open_search_service(db, keyword_index_for(db, tmp_path), tmp_path)
    assert not service.semantic_available
    monkeypatch.setenv("PAPERBOARD_EMBEDDER", "hashing")
    assert open_search_service(db, None, tmp_path).semantic_available


def test_similar_papers(world, db: Database) -> None:  # type: ignore[no-untyped-def]
    service, ids = world
    hits = service.similar(ids["2401.00001"], 3)
    assert len(hits) == 3 and ids["2401.00001"] not in [h.paper_id for h in hits]
    assert hits[0].score >= hits[1].score >= hits[2].score
    # Without an index at hand (other processes, tests): pgvector or an exact scan.
    plain = similar(db, ids["2401.00001"], 3)
    assert [h.paper_id for h in plain] == [h.paper_id for h in hits]
    assert similar(db, 999_999, 3) == []
    # Only vectors of the paper's own model are compared; a paper without one has no list.
    with db.write() as connection:
        connection.exec_driver_sql(
            f"UPDATE embeddings SET model = 'other' WHERE paper_id = {ids['2401.00002']}"
        )
        connection.exec_driver_sql(f"DELETE FROM embeddings WHERE paper_id = {ids['2401.00004']}")
    assert ids["2401.00002"] not in [h.paper_id for h in similar(db, ids["2401.00001"], 20)]
    assert similar(db, ids["2401.00002"], 3) == []  # the only vector of model "other"
    assert similar(db, ids["2401.00004"], 3) == []
    # Its neighbours come with their records, the nearest first, with cosine similarities.
    hits = similar(db, ids["2401.00001"], 20)
    assert all(h.paper.arxiv_id and -1.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_postgres_hnsw_depth_is_set_once_per_session_and_survives_rollbacks(  # type: ignore[no-untyped-def]
    world, db: Database
) -> None:
    """Similar papers (ef 64) and search candidates (ef 200) each get their own HNSW depth;
    the SET is skipped while the session has the value already, and a rolled-back
    transaction's SET is not mistaken for the session's."""
    if db.is_sqlite:
        pytest.skip("pgvector only")
    from sqlalchemy import event

    from paperboard.storage.embeddings import (
        POSTGRES_EF_SEARCH,
        POSTGRES_SIMILAR_EF_SEARCH,
        postgres_nearest,
        postgres_similar,
        vector_of,
    )

    _, ids = world
    paper_id = ids["2401.00001"]
    sets: list[str] = []

    def count_sets(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("SET hnsw"):
            sets.append(statement)

    def depth(connection) -> int:  # type: ignore[no-untyped-def]
        return int(connection.exec_driver_sql("SHOW hnsw.ef_search").scalar())

    event.listen(db.engine, "before_cursor_execute", count_sets)
    try:
        with db.read() as connection:  # autocommit, as every read on PostgreSQL
            model, vector = vector_of(connection, paper_id)
            first = postgres_similar(connection, paper_id, 3)
            assert postgres_similar(connection, paper_id, 3) == first
            assert len(sets) == 1 and depth(connection) == POSTGRES_SIMILAR_EF_SEARCH
            postgres_nearest(connection, model, vector, 10)
            assert len(sets) == 2 and depth(connection) == POSTGRES_EF_SEARCH
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            postgres_similar(connection, paper_id, 3)
            assert depth(connection) == POSTGRES_SIMILAR_EF_SEARCH
            connection.commit()  # ends SQLAlchemy's autobegun (no-op) transaction
            connection.execution_options(isolation_level="READ COMMITTED")
            transaction = connection.begin()
            postgres_nearest(connection, model, vector, 10)
            assert depth(connection) == POSTGRES_EF_SEARCH
            transaction.rollback()  # the session is back at ef 64
            assert depth(connection) == POSTGRES_SIMILAR_EF_SEARCH
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT")
            postgres_nearest(connection, model, vector, 10)
            assert depth(connection) == POSTGRES_EF_SEARCH
            postgres_similar(connection, paper_id, 3)
            assert depth(connection) == POSTGRES_SIMILAR_EF_SEARCH
    finally:
        event.remove(db.engine, "before_cursor_execute", count_sets)
