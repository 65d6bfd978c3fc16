"""The tantivy keyword index kept in step with PostgreSQL (issue 7): each web machine keeps its
own index in its data dir, synced from the shared database through the watermark, including
papers whose batches committed out of timestamp order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.config import load_settings
from paperboard.domain.paper import PaperRecord
from paperboard.ingest.loader import load
from paperboard.jobs.embed import backfill
from paperboard.ops.check import CheckContext, KeywordIndexCheck
from paperboard.runtime import open_runtime
from paperboard.search.indexed_keys import RecentKeys
from paperboard.search.keyword import (
    LATE_COMMIT_WINDOW,
    RESCAN_INTERVAL,
    KeywordIndex,
    sync,
)
from paperboard.search.service import SearchRequest, SearchService
from paperboard.search.vectors import open_vector_index
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from tests.search_corpus import EMBEDDER, load_corpus

QUERIES = [
    "diffusion models video generation",
    "galaxy rotation curves",
    "speculative decoding draft",
    "retrieval question answering",
    '"value cache"',
    'author:"Alan Turing" decoding',
    "models cat:cs.CL",
    "graph neural networks molecules",
]


def paper(number: int, **changes: object) -> PaperRecord:
    fields: dict[str, object] = {
        "arxiv_id": f"2411.{number:05d}",
        "title": f"Paper {number} on wombat transformers",
        "abstract": f"We study attention in marsupials, experiment {number}.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
    }
    fields.update(changes)
    return PaperRecord(**fields)  # type: ignore[arg-type]


def hits(index: KeywordIndex, text: str) -> list[int]:
    return [paper_id for paper_id, _score in index.search(text, 50)]


def id_of(db: Database, arxiv_id: str) -> int:
    with db.read() as connection:
        return paper_store.ids_for(connection, [arxiv_id])[arxiv_id]


def commit_at(db: Database, records: list[PaperRecord], moment: datetime) -> None:
    """Insert as the loader does, with a chosen batch timestamp."""
    with db.write() as connection:
        paper_store.insert_records(connection, records, moment)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[KeywordIndex]:
    keyword_index = KeywordIndex(tmp_path / "keyword-index")
    yield keyword_index
    keyword_index.close()


# --- sync from PostgreSQL ------------------------------------------------------------------------


def test_inserted_and_updated_papers_are_indexed(pg: Database, index: KeywordIndex) -> None:
    load(pg, [paper(n) for n in range(1, 21)])
    assert sync(pg, index) == 20
    assert index.num_docs() == 20
    load(pg, [paper(3, title="Echidna spines and quills", version=2)])
    assert sync(pg, index) == 1
    assert index.num_docs() == 20  # replaced, not added
    assert hits(index, "echidna") == [id_of(pg, "2411.00003")]
    assert id_of(pg, "2411.00003") not in hits(index, "wombat")
    assert sync(pg, index) == 0


def test_concurrent_batches_committed_out_of_order(pg: Database, index: KeywordIndex) -> None:
    """Writer A takes its timestamp first but commits after writer B, whose paper a sync has
    already indexed: the index's cursor is past A's timestamp, and only the rescan of the
    late-commit window finds A's paper."""
    load(pg, [paper(1)])
    start = datetime.now(UTC)
    sync(pg, index, now=start)
    early, late = datetime.now(UTC), datetime.now(UTC) + timedelta(seconds=2)
    with pg.write() as slow:  # A: open, uncommitted
        paper_store.insert_records(slow, [paper(2, title="Slow quokka")], early)
        commit_at(pg, [paper(3, title="Fast bilby")], late)  # B commits first
        assert sync(pg, index, now=start + timedelta(seconds=1)) == 1
        assert len(hits(index, "bilby")) == 1
    # A is committed now, with a timestamp behind the cursor. Before the rescan is due the
    # index does not see it; once it is due, it does, and exactly once.
    assert sync(pg, index, now=start + timedelta(seconds=2)) == 0
    assert hits(index, "quokka") == []
    assert sync(pg, index, now=start + RESCAN_INTERVAL + timedelta(seconds=3)) == 1
    assert hits(index, "quokka") == [id_of(pg, "2411.00002")]
    assert index.num_docs() == 3
    later = start + 2 * RESCAN_INTERVAL + timedelta(seconds=5)
    assert sync(pg, index, now=later) == 0  # nothing new: the rescan re-reads keys only


def test_late_commit_is_found_by_a_new_process(pg: Database, tmp_path: Path) -> None:
    """A restarted node re-reads the window behind its persisted watermark."""
    now = datetime.now(UTC)
    commit_at(pg, [paper(1), paper(2)], now)
    first = KeywordIndex(tmp_path / "kw")
    sync(pg, first)
    first.close()
    del first
    commit_at(pg, [paper(3, title="Belated numbat")], now - LATE_COMMIT_WINDOW / 2)
    reopened = KeywordIndex(tmp_path / "kw")
    try:
        sync(pg, reopened)
        assert hits(reopened, "numbat") == [id_of(pg, "2411.00003")]
        assert reopened.num_docs() == 3
    finally:
        reopened.close()


def test_commit_later_than_the_window_is_left_to_check(pg: Database, tmp_path: Path) -> None:
    """Beyond the window the sync cannot see it; ``paperboard check`` reports and repairs it."""
    now = datetime.now(UTC)
    commit_at(pg, [paper(1)], now)
    index = KeywordIndex(tmp_path / "keyword-index")
    try:
        sync(pg, index)
        commit_at(pg, [paper(2, title="Ancient thylacine")], now - 2 * LATE_COMMIT_WINDOW)
        sync(pg, index, now=now + 2 * RESCAN_INTERVAL)
        assert hits(index, "thylacine") == []
        ctx = CheckContext(pg, tmp_path, index, embedder_spec="off")
        check = KeywordIndexCheck()
        finding = check.inspect(ctx)
        assert any("not indexed" in problem for problem in finding.problems)
        check.repair(ctx, finding)
        assert check.inspect(ctx).problems == []
        assert hits(index, "thylacine") == [id_of(pg, "2411.00002")]
    finally:
        index.close()


def test_readers_in_other_instances_see_committed_documents(pg: Database, tmp_path: Path) -> None:
    """uvicorn's worker processes open the index read-only; the serve process syncs it."""
    writer = KeywordIndex(tmp_path / "kw")
    reader = KeywordIndex(tmp_path / "kw")
    try:
        load(pg, [paper(1, title="Platypus venom spurs")])
        sync(pg, writer)
        assert len(hits(reader, "platypus")) == 1
        assert reader._writer is None  # searching never takes tantivy's writer lock
    finally:
        reader.close()
        writer.close()


def test_recent_keys_keep_the_latest_version_per_paper() -> None:
    moment = datetime(2026, 11, 26, tzinfo=UTC)
    recent = RecentKeys()
    recent.note([{"id": 1, "modified_at": moment}, {"id": 2, "modified_at": moment}])
    recent.note([{"id": 1, "modified_at": moment + timedelta(seconds=1)}])
    keys = [(moment, 1), (moment + timedelta(seconds=1), 1), (moment, 2), (moment, 3)]
    assert recent.unseen(keys) == [1, 3]
    recent.forget_before(moment + timedelta(microseconds=1))
    assert len(recent) == 1
    assert recent.unseen([(moment, 2)]) == [2]


# --- the runtime and the service -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "tantivy"), [("auto", True), ("tantivy", True), ("postgres", False)]
)
def test_setting_chooses_the_engine(
    postgres_url: str, tmp_path: Path, choice: str, tantivy: bool
) -> None:
    settings = load_settings(
        {"PAPERBOARD_DATABASE_URL": postgres_url, "PAPERBOARD_KEYWORD_INDEX": choice},
        data_dir=tmp_path,
    )
    runtime = open_runtime(settings)
    try:
        assert (runtime.keyword_index is not None) == tantivy
    finally:
        runtime.close()


def _service(db: Database, keyword_index: KeywordIndex | None, tmp_path: Path) -> SearchService:
    vector_index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    backfill(db, EMBEDDER, vector_index=vector_index)
    return SearchService(db, keyword_index, vector_index, EMBEDDER)


def _ranked(service: SearchService, query: str, mode: str) -> list[str]:
    page = service.search(SearchRequest(query=query, mode=mode))  # type: ignore[arg-type]
    return [hit.paper.arxiv_id for hit in page.hits]


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_results_match_on_both_backends(
    pg: Database, tmp_path: Path, sqlite_url: str, mode: str
) -> None:
    """The same corpus, tantivy synced from SQLite and from PostgreSQL: the same keyword
    ranking (semantic scores come from the HNSW file vs pgvector, whose near-ties may
    differ, so hybrid pages are compared as sets)."""
    lite = Database(sqlite_url)
    lite_index = KeywordIndex(tmp_path / "lite-index")
    pg_index = KeywordIndex(tmp_path / "pg-index")
    try:
        load_corpus(lite, lite_index)
        load_corpus(pg, pg_index)
        on_sqlite = _service(lite, lite_index, tmp_path / "lite")
        on_postgres = _service(pg, pg_index, tmp_path / "pg")
        for query in QUERIES:
            expected = _ranked(on_sqlite, query, mode)
            got = _ranked(on_postgres, query, mode)
            assert expected, query
            if mode == "keyword":
                assert got == expected, query
            else:
                assert set(got) == set(expected), query
                assert got[0] == expected[0], query
    finally:
        lite_index.close()
        pg_index.close()
        lite.dispose()


def test_empty_index_falls_back_to_tsvector(pg: Database, tmp_path: Path) -> None:
    """A new machine's index fills in the background; meanwhile PostgreSQL answers."""
    load_corpus(pg)  # not synced
    index = KeywordIndex(tmp_path / "keyword-index")
    try:
        service = SearchService(pg, index, None, None)
        assert _ranked(service, "galaxy rotation curves", "keyword")[0] == "2401.00005"
        sync(pg, index)
        assert _ranked(service, "galaxy rotation curves", "keyword")[0] == "2401.00005"
        assert service._keyword_ready
    finally:
        index.close()
