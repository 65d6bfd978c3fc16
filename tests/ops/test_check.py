"""``paperboard check``: each kind of inconsistency is made on purpose, found, and repaired.

On a real SQLite file with the tantivy and usearch files next to it, and (where the check
applies) on a real PostgreSQL with pgvector: the ``db`` fixture runs a test on both.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tantivy
from sqlalchemy import select, text, update

from paperboard.jobs.embed import backfill
from paperboard.mail.delivery import DigestRun
from paperboard.mail.sender import InMemorySender
from paperboard.ops.check import CheckContext, CheckReport, process_is_gone, run_checks
from paperboard.search import keyword
from paperboard.search.keyword import KeywordIndex
from paperboard.search.vectors import HnswFileIndex, index_path, open_vector_index
from paperboard.storage import board as board_store
from paperboard.storage import outbox as outbox_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.embeddings import StoredVector
from paperboard.storage.schema import digest_outbox, embeddings, papers
from tests.command_line import pb
from tests.digest_helpers import DAY, add_subscribers, load_board, mail_config
from tests.search_corpus import EMBEDDER

MODEL = EMBEDDER.name  # "hashing": no model files, deterministic vectors


# --- a consistent starting point ---------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def board(db: Database, data_dir: Path) -> Iterator[Database]:
    """Twelve featured papers (counters from their imported upvotes), keyword-indexed and
    embedded, with the vector file saved: every check passes."""
    load_board(db)
    index = KeywordIndex(keyword.index_path(data_dir)) if db.is_sqlite else None
    if index is not None:
        keyword.sync(db, index)
        index.close()
    vectors = open_vector_index(db, data_dir, MODEL, EMBEDDER.dim)
    backfill(db, EMBEDDER, vector_index=vectors)
    vectors.close()
    yield db


def check(db: Database, data_dir: Path, *, repair: bool = False, **options: object) -> CheckReport:
    """One run of every check, as ``paperboard check`` makes it (a fresh index handle each
    time, as a new process would have)."""
    index = KeywordIndex(keyword.index_path(data_dir)) if db.is_sqlite else None
    context = CheckContext(
        db,
        data_dir,
        index,
        embedder_spec=str(options.pop("embedder_spec", MODEL)),
        **options,  # type: ignore[arg-type]
    )
    try:
        return run_checks(context, repair=repair)
    finally:
        if index is not None:
            index.close()


def statuses(report: CheckReport) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


def detail(report: CheckReport, name: str) -> str:
    return next(result.detail for result in report.results if result.name == name)


def found(report: CheckReport, name: str) -> int:
    return next(result.count for result in report.results if result.name == name)


def assert_all_ok(report: CheckReport) -> None:
    bad = {r.name: r.detail for r in report.results if r.status not in ("ok", "off")}
    assert not bad, bad
    assert report.ok


def find_then_repair(
    db: Database, data_dir: Path, name: str, *, also: frozenset[str] = frozenset()
) -> tuple[CheckReport, CheckReport]:
    """Check (the problem is found, nothing else but the checks named in ``also``), repair
    (verified), check again (clean)."""
    first = check(db, data_dir)
    assert not first.ok
    assert statuses(first)[name] == "problem", detail(first, name)
    for other in also:
        assert statuses(first)[other] == "problem", detail(first, other)
    others = {n: s for n, s in statuses(first).items() if n != name and n not in also}
    assert set(others.values()) <= {"ok", "off"}, [r for r in first.results if r.name != name]
    assert "--repair" in detail(first, name)
    repaired = check(db, data_dir, repair=True)
    assert statuses(repaired)[name] == "repaired", detail(repaired, name)
    assert repaired.ok
    assert_all_ok(check(db, data_dir))
    return first, repaired


def paper_id(db: Database, arxiv_id: str) -> int:
    with db.read() as connection:
        return paper_store.ids_for(connection, [arxiv_id])[arxiv_id]


def all_paper_ids(db: Database) -> list[int]:
    with db.read() as connection:
        return sorted(connection.execute(select(papers.c.id)).scalars())


def keyword_ids(data_dir: Path) -> list[int]:
    index = KeywordIndex(keyword.index_path(data_dir))
    try:
        return sorted(index.indexed_ids())
    finally:
        index.close()


def vector_keys(db: Database, data_dir: Path) -> list[int]:
    index = HnswFileIndex(db, index_path(data_dir, MODEL), MODEL, EMBEDDER.dim)
    return sorted(index.keys().tolist())


def tantivy_writer(data_dir: Path) -> Any:
    """tantivy's own writer, to corrupt the index behind paperboard's back."""
    raw = tantivy.Index.open(str(keyword.index_path(data_dir)))
    return raw.writer(heap_size=50_000_000, num_threads=1)


sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_consistent_board_passes_every_check(board: Database, data_dir: Path) -> None:
    report = check(board, data_dir)
    assert_all_ok(report)
    assert [r.name for r in report.results] == [
        "database",
        "keyword index",
        "embeddings",
        "vector index",
        "counters",
        "digest outbox",
        "temporary files",
    ]
    assert "12 papers embedded with hashing" in detail(report, "embeddings")
    if board.is_sqlite:
        assert "12 papers indexed" in detail(report, "keyword index")
        assert "12 vectors of hashing (384 dimensions)" in detail(report, "vector index")
    else:
        assert "GIN index valid" in detail(report, "keyword index")
        assert "pgvector HNSW index valid" in detail(report, "vector index")
    # --repair on a consistent board changes nothing.
    assert_all_ok(check(board, data_dir, repair=True))


def test_semantic_search_off_is_reported_not_failed(db: Database, data_dir: Path) -> None:
    load_board(db)
    report = check(db, data_dir, embedder_spec="off", repair=True)
    assert statuses(report)["embeddings"] == "off"
    assert statuses(report)["vector index"] == "off"
    assert "semantic search off" in detail(report, "embeddings")
    assert report.ok


# --- the keyword index (tantivy, next to SQLite) -------------------------------------------------


@sqlite_only
def test_a_paper_deleted_from_the_keyword_index(board: Database, data_dir: Path) -> None:
    victim = paper_id(board, "2406.13003")
    writer = tantivy_writer(data_dir)
    writer.delete_documents_by_term("id", victim)
    writer.commit()
    writer.wait_merging_threads()
    assert victim not in keyword_ids(data_dir)

    first, _ = find_then_repair(board, data_dir, "keyword index")
    assert f"1 paper not indexed (ids {victim})" in detail(first, "keyword index")
    assert found(first, "keyword index") == 1
    assert keyword_ids(data_dir) == all_paper_ids(board)
    index = KeywordIndex(keyword.index_path(data_dir))
    assert victim in [hit for hit, _ in index.search("Agents paper 3", 3)]


@sqlite_only
def test_duplicated_and_stale_keyword_documents(board: Database, data_dir: Path) -> None:
    """A paper indexed twice (a sidecar that lost its max id re-adds without deleting) and a
    document of a paper the database does not have (a restored older database)."""
    twice = paper_id(board, "2406.13000")
    writer = tantivy_writer(data_dir)
    for doc_id in (twice, 999_999):
        writer.add_document(
            tantivy.Document(id=doc_id, text="Diffusion paper 0", authors="[]", category=["cs.CL"])
        )
    writer.commit()
    writer.wait_merging_threads()
    assert keyword_ids(data_dir).count(twice) == 2

    first, _ = find_then_repair(board, data_dir, "keyword index")
    text_found = detail(first, "keyword index")
    assert f"1 paper indexed more than once (ids {twice})" in text_found
    assert "1 indexed id not in the database (ids 999999)" in text_found
    # The sidecar remembered max id 12, below the stale document's: re-adding would duplicate.
    assert "sidecar's highest id" in text_found
    assert keyword_ids(data_dir) == all_paper_ids(board)


@sqlite_only
def test_papers_stored_but_never_indexed(board: Database, data_dir: Path) -> None:
    """What a kill between the database commit and the index commit leaves."""
    load_board(board, count=5, day=DAY + timedelta(days=1))  # into the database only
    first, _ = find_then_repair(board, data_dir, "keyword index", also=frozenset({"embeddings"}))
    assert "5 papers not indexed" in detail(first, "keyword index")
    assert "5 papers changed after the watermark" in detail(first, "keyword index")
    assert keyword_ids(data_dir) == all_paper_ids(board)


@sqlite_only
def test_a_watermark_past_the_database_rebuilds_the_index(board: Database, data_dir: Path) -> None:
    """The index is newer than the database (a backup was restored): papers changed in the
    lost time would never be re-indexed by a watermark sync, so the repair rebuilds."""
    sidecar = keyword.index_path(data_dir) / keyword.SYNC_FILE
    state = json.loads(sidecar.read_text())
    state["watermark"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    sidecar.write_text(json.dumps(state))
    first, _ = find_then_repair(board, data_dir, "keyword index")
    assert "is past the newest change in the database" in detail(first, "keyword index")
    assert keyword_ids(data_dir) == all_paper_ids(board)
    index = KeywordIndex(keyword.index_path(data_dir))
    with board.read() as connection:
        newest = (
            connection.execute(select(papers.c.modified_at).order_by(papers.c.modified_at.desc()))
            .scalars()
            .first()
        )
    assert index.committed_watermark == newest
    index.close()


@sqlite_only
def test_a_busy_keyword_index_is_reported_not_forced(board: Database, data_dir: Path) -> None:
    """Another process (here: another handle) holds tantivy's writer lock: the repair says so
    and the problem stays (exit status 1), nothing is corrupted."""
    writer = tantivy_writer(data_dir)
    writer.delete_documents_by_term("id", paper_id(board, "2406.13001"))
    writer.commit()
    report = check(board, data_dir, repair=True)  # the writer is still held
    assert statuses(report)["keyword index"] == "problem"
    assert "another process" in detail(report, "keyword index")
    writer.wait_merging_threads()
    del writer
    assert check(board, data_dir, repair=True).ok


# --- embeddings (both databases) ---------------------------------------------------------------


def test_embeddings_deleted_from_the_table(board: Database, data_dir: Path) -> None:
    removed = [paper_id(board, f"2406.1300{i}") for i in (1, 4, 7)]
    with board.write() as connection:
        connection.execute(embeddings.delete().where(embeddings.c.paper_id.in_(removed)))
    first = check(board, data_dir)
    assert statuses(first)["embeddings"] == "problem"
    assert "3 papers without an embedding" in detail(first, "embeddings")
    assert found(first, "embeddings") == 3
    if board.is_sqlite:
        # The vector file still holds their keys: keys of papers without a vector.
        assert statuses(first)["vector index"] == "problem"
        assert "3 keys of papers without a hashing vector" in detail(first, "vector index")
    repaired = check(board, data_dir, repair=True)
    assert statuses(repaired)["embeddings"] == "repaired"
    assert repaired.ok
    assert_all_ok(check(board, data_dir))
    with board.read() as connection:
        count = connection.execute(select(embeddings.c.paper_id)).scalars().all()
    assert sorted(count) == all_paper_ids(board)
    if board.is_sqlite:
        assert vector_keys(board, data_dir) == all_paper_ids(board)


def test_a_changed_paper_needs_a_new_embedding(board: Database, data_dir: Path) -> None:
    with board.write() as connection:
        connection.execute(
            update(papers).where(papers.c.arxiv_id == "2406.13002").values(content_hash="x" * 32)
        )
    first, _ = find_then_repair(board, data_dir, "embeddings")
    assert "1 embedding of an older text of the paper" in detail(first, "embeddings")


# --- the vector index file (SQLite) ------------------------------------------------------------


def _vector_file(db: Database, data_dir: Path) -> HnswFileIndex:
    return HnswFileIndex(db, index_path(data_dir, MODEL), MODEL, EMBEDDER.dim)


@sqlite_only
def test_a_stale_key_in_the_vector_index(board: Database, data_dir: Path) -> None:
    index = _vector_file(board, data_dir)
    vector = EMBEDDER.embed(["a paper that is not in the database"])[0]
    index.reconcile([], [StoredVector(424_242, vector, datetime.now(UTC))])
    index.save(force=True)
    assert 424_242 in vector_keys(board, data_dir)

    first, _ = find_then_repair(board, data_dir, "vector index")
    assert "1 key of papers without a hashing vector (ids 424242)" in detail(first, "vector index")
    assert vector_keys(board, data_dir) == all_paper_ids(board)


@sqlite_only
def test_a_key_missing_from_the_vector_index(board: Database, data_dir: Path) -> None:
    victim = paper_id(board, "2406.13005")
    index = _vector_file(board, data_dir)
    index.reconcile([victim], [])
    index.save(force=True)
    first, _ = find_then_repair(board, data_dir, "vector index")
    assert f"1 embedded paper missing (ids {victim})" in detail(first, "vector index")
    assert vector_keys(board, data_dir) == all_paper_ids(board)
    # The repaired vector is the stored one: the paper is its own nearest neighbour.
    repaired = _vector_file(board, data_dir)
    stored = repaired.vector_of(victim)
    assert stored is not None
    assert repaired.search(stored, 1)[0][0] == victim


@sqlite_only
def test_vectors_stored_after_the_file_was_saved(board: Database, data_dir: Path) -> None:
    """A kill between the embedding commit and the file save: the file lags its watermark."""
    load_board(board, count=4, day=DAY + timedelta(days=1))
    backfill(board, EMBEDDER)  # no vector index: the file is not touched
    first, _ = find_then_repair(board, data_dir, "vector index", also=frozenset({"keyword index"}))
    assert "4 embedded papers missing" in detail(first, "vector index")
    assert "4 vectors stored after the file was saved" in detail(first, "vector index")
    assert vector_keys(board, data_dir) == all_paper_ids(board)


@sqlite_only
def test_a_vector_file_of_another_model(board: Database, data_dir: Path) -> None:
    sidecar = index_path(data_dir, MODEL).with_name(index_path(data_dir, MODEL).name + ".json")
    state = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps(state | {"model": "minilm-int8", "dim": 256}))
    first, _ = find_then_repair(board, data_dir, "vector index")
    assert "holds model 'minilm-int8' (256 dimensions" in detail(first, "vector index")
    assert vector_keys(board, data_dir) == all_paper_ids(board)
    assert json.loads(sidecar.read_text())["model"] == MODEL


@sqlite_only
def test_rebuild_index_writes_the_file_even_at_the_same_watermark(
    board: Database, data_dir: Path
) -> None:
    """`paperboard embed --rebuild-index` rebuilds to the watermark already on disk: the
    rebuilt file must still be written (it was not, before save(force=True))."""
    victim = paper_id(board, "2406.13006")
    index = _vector_file(board, data_dir)
    index.reconcile([victim], [])
    index.save(force=True)
    _vector_file(board, data_dir).rebuild()
    assert vector_keys(board, data_dir) == all_paper_ids(board)


# --- counters (both databases) -----------------------------------------------------------------


def test_skewed_counters(board: Database, data_dir: Path) -> None:
    upvoted, commented = paper_id(board, "2406.13000"), paper_id(board, "2406.13009")
    with board.read() as connection:
        before = dict(connection.execute(select(papers.c.id, papers.c.upvotes)).all())
    with board.write() as connection:
        connection.execute(
            update(papers).where(papers.c.id == upvoted).values(upvotes=papers.c.upvotes + 7)
        )
        connection.execute(update(papers).where(papers.c.id == commented).values(num_comments=3))
    first, _ = find_then_repair(board, data_dir, "counters")
    assert "2 papers with counters out of step" in detail(first, "counters")
    assert (
        f"paper {upvoted}: {before[upvoted] + 7} upvotes (should be {before[upvoted]})"
        in detail(first, "counters")
    )
    with board.read() as connection:
        after = dict(connection.execute(select(papers.c.id, papers.c.upvotes)).all())
        comments = connection.execute(
            select(papers.c.num_comments).where(papers.c.id == commented)
        ).scalar_one()
    assert after == before and comments == 0


def test_counter_sources_agree_with_refresh_counters(board: Database) -> None:
    """The check compares with the very expressions refresh_counters stores."""
    ids = all_paper_ids(board)
    with board.write() as connection:
        board_store.refresh_counters(connection, ids)
    from paperboard.storage.consistency import counter_skews

    with board.read() as connection:
        assert counter_skews(connection) == []


# --- the digest outbox (both databases) --------------------------------------------------------


def dead_pid() -> int:
    """The pid of a process of this machine that has exited (and was reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    assert process_is_gone(process.pid)
    return process.pid


def test_stuck_and_orphaned_digest_leases(board: Database, data_dir: Path) -> None:
    add_subscribers(board, [f"reader{i}@example.org" for i in range(4)])
    from paperboard.domain.periods import parse_day

    DigestRun(board, InMemorySender(), mail_config()).enqueue("daily", parse_day(DAY.isoformat()))
    now = datetime.now(UTC)
    host = socket.gethostname()[:32]
    dead, alive = f"{host}:{dead_pid()}:abcd1234", f"{host}:{os.getpid()}:abcd1234"
    with board.read() as connection:
        ids = (
            connection.execute(select(digest_outbox.c.id).order_by(digest_outbox.c.id))
            .scalars()
            .all()
        )
    rows = {
        # A run died after handing the message over; its lease has run out.
        ids[0]: {
            "state": "sending",
            "lease_owner": dead,
            "lease_until": now - timedelta(minutes=1),
        },
        # A killed run's claim, lease still running: the address would wait 5 minutes.
        ids[1]: {
            "state": "pending",
            "lease_owner": dead,
            "lease_until": now + timedelta(minutes=4),
        },
        # Handed over by the killed run, lease still running.
        ids[2]: {
            "state": "sending",
            "lease_owner": dead,
            "lease_until": now + timedelta(minutes=4),
        },
        # A live run (this process) holds it: none of the check's business.
        ids[3]: {
            "state": "pending",
            "lease_owner": alive,
            "lease_until": now + timedelta(minutes=4),
        },
    }
    with board.write() as connection:
        for row_id, values in rows.items():
            connection.execute(
                update(digest_outbox).where(digest_outbox.c.id == row_id).values(**values)
            )

    first, _ = find_then_repair(board, data_dir, "digest outbox")
    text_found = detail(first, "digest outbox")
    assert "1 digest stuck in 'sending' past the lease" in text_found
    assert (
        f"2 digests leased by a process of this machine that no longer runs ({dead})" in text_found
    )
    with board.read() as connection:
        after = {
            row.id: row
            for row in connection.execute(select(digest_outbox).order_by(digest_outbox.c.id))
        }
    assert after[ids[0]].state == after[ids[2]].state == outbox_store.UNCERTAIN  # never resent
    assert (after[ids[1]].state, after[ids[1]].lease_owner) == ("pending", None)  # sent next run
    assert (after[ids[3]].state, after[ids[3]].lease_owner) == ("pending", alive)


def test_lease_owners_of_other_machines_are_left_alone(board: Database, data_dir: Path) -> None:
    add_subscribers(board, ["reader@example.org"])
    from paperboard.domain.periods import parse_day

    DigestRun(board, InMemorySender(), mail_config()).enqueue("daily", parse_day(DAY.isoformat()))
    with board.write() as connection:
        connection.execute(
            update(digest_outbox).values(
                lease_owner=f"another-host:{dead_pid()}:abcd1234",
                lease_until=datetime.now(UTC) + timedelta(minutes=4),
            )
        )
    assert_all_ok(check(board, data_dir))


# --- the database file and leftovers (SQLite) --------------------------------------------------


@sqlite_only
def test_a_dangling_foreign_key_is_found_and_not_repairable(
    board: Database, data_dir: Path
) -> None:
    database = Path(board.url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute(
            "INSERT INTO featured (paper_id, day, featured_at, source, imported_upvotes,"
            " imported_comments) VALUES (987654, '2024-06-20', '2024-06-20 09:00:00', 'x', 0, 0)"
        )
        connection.commit()
    report = check(board, data_dir, repair=True)
    assert statuses(report)["database"] == "problem"
    assert "featured row" in detail(report, "database")
    assert "restore a backup" in detail(report, "database")
    assert not report.ok


@sqlite_only
def test_leftover_temporary_files(board: Database, data_dir: Path) -> None:
    leftover = data_dir / "vector-index-hashing.usearch.tmp"
    leftover.write_bytes(b"\0" * 4096)
    fresh = data_dir / "vector-index-other.usearch.tmp"  # a save in progress right now
    fresh.write_bytes(b"\0")
    hour_ago = datetime.now().timestamp() - 3600
    os.utime(leftover, (hour_ago, hour_ago))
    first, _ = find_then_repair(board, data_dir, "temporary files")
    assert "vector-index-hashing.usearch.tmp" in detail(first, "temporary files")
    assert not leftover.exists() and fresh.exists()


# --- PostgreSQL's derived indexes ----------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("name", "index"),
    [("keyword index", "ix_papers_search_vector"), ("vector index", "ix_embeddings_vector_hnsw")],
)
def test_a_dropped_postgres_index_is_recreated(
    board: Database, data_dir: Path, name: str, index: str
) -> None:
    with board.write() as connection:
        connection.execute(text(f"DROP INDEX {index}"))
    first, _ = find_then_repair(board, data_dir, name)
    assert f"index {index} is missing" in detail(first, name)
    with board.read() as connection:
        definition = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": index}
        ).scalar_one()
    assert ("gin" if name == "keyword index" else "hnsw") in definition


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_invalid_postgres_index_is_rebuilt(board: Database, data_dir: Path) -> None:
    """What a failed CREATE/REINDEX INDEX CONCURRENTLY leaves: an index queries ignore."""
    with board.write() as connection:
        connection.execute(
            text(
                "UPDATE pg_index SET indisvalid = false "
                "WHERE indexrelid = 'ix_embeddings_vector_hnsw'::regclass"
            )
        )
    first, _ = find_then_repair(board, data_dir, "vector index")
    assert "index ix_embeddings_vector_hnsw is invalid" in detail(first, "vector index")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_dropped_search_vector_column_is_restored(board: Database, data_dir: Path) -> None:
    with board.write() as connection:
        connection.execute(text("ALTER TABLE papers DROP COLUMN search_vector"))
    first, _ = find_then_repair(board, data_dir, "keyword index")
    assert "papers.search_vector is not a generated tsvector column" in detail(
        first, "keyword index"
    )
    assert "index ix_papers_search_vector is missing" in detail(first, "keyword index")
    with board.read() as connection:
        matches = connection.execute(
            text(
                "SELECT count(*) FROM papers "
                "WHERE search_vector @@ websearch_to_tsquery('english', 'diffusion')"
            )
        ).scalar_one()
    assert matches == 6


# --- the command ---------------------------------------------------------------------------------


def test_the_command_reports_repairs_and_exits_accordingly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = Database(f"sqlite:///{data / 'paperboard.db'}")
    load_board(db)  # stored, not indexed, not embedded
    with db.write() as connection:
        connection.execute(update(papers).where(papers.c.id == 1).values(upvotes=1234))
    db.dispose()
    settings = {"embedder": MODEL, "log_level": "warning"}

    found_problems = pb(data, "check", **settings)
    assert found_problems.returncode == 1, found_problems.stderr
    table = found_problems.stdout
    assert "paperboard check" in table and "problems remain" in table
    for line in ("keyword index", "embeddings", "counters"):
        row = next(row for row in table.splitlines() if line in row)
        assert "problem" in row, table
    assert "12 papers without an embedding" in table

    repaired = pb(data, "check", "--repair", "--json", **settings)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["ok"] is True
    by_name = {item["name"]: item for item in report["checks"]}
    assert by_name["embeddings"]["count"] == 12
    assert {by_name[name]["status"] for name in ("keyword index", "embeddings", "counters")} == {
        "repaired"
    }

    # A new process finds everything in order: the repairs were saved, not only made.
    clean = pb(data, "check", **settings)
    assert clean.returncode == 0, clean.stdout
    assert "all consistent" in clean.stdout and "problem" not in clean.stdout


def test_the_command_with_semantic_search_off(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = pb(data, "check", "--json", embedder="off")
    assert result.returncode == 0, result.stderr
    by_name = {item["name"]: item for item in json.loads(result.stdout)["checks"]}
    assert by_name["embeddings"]["status"] == by_name["vector index"]["status"] == "off"
    assert "semantic search off" in by_name["embeddings"]["detail"]
