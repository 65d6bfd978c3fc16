"""``paperboard backup``: an online copy of the SQLite database while another process writes,
restored the documented way (copy the file, ``paperboard index rebuild``) and served."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Connection, func, select

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.domain.topics import Topics
from paperboard.ingest.loader import load
from paperboard.ops.backup import BackupError, backup_sqlite, pg_dump_command
from paperboard.search.keyword import open_index
from paperboard.storage import (
    board,
    comments,
    embedding_claims,
    embeddings,
    fulltext,
    jobs,
    outbox,
    ratelimits,
    state,
    subscriptions,
    tokens,
    users,
    votes,
)
from paperboard.storage import collections as collection_store
from paperboard.storage import follows as follow_store
from paperboard.storage import recommendations as recommendation_store
from paperboard.storage.database import Database
from paperboard.storage.fulltext import StoredFullText
from paperboard.storage.schema import metadata
from paperboard.storage.schema import papers as papers_table
from tests.app_factory import build_site
from tests.command_line import COMMAND, environment, run

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
DAY = date(2026, 11, 20)
MODEL = "test-model"


# --- a database with rows in every table (also used by tests/ops/test_copy_to.py) ---------------


def paper(number: int) -> PaperRecord:
    return PaperRecord(
        arxiv_id=f"2411.{number:05d}",
        title=f"Sparse attention study number {number}",
        abstract=f"We measure sparse attention on task {number}.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "cs.CL"],
        published_at=NOW - timedelta(days=1),
    )


def featured(number: int, upvotes: int = 3) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=f"2411.{number:05d}",
        day=DAY,
        submitted_by="akhaliq",
        submitted_by_fullname="AK",
        featured_at=NOW,
        upvotes=upvotes,
        num_comments=0,
        source="huggingface",
    )


def unit_vectors(count: int, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def populate(db: Database, papers: int = 60) -> None:
    """Rows in every table: papers, featured entries, vectors, accounts, sessions, tokens,
    votes, comments (with a reply), subscribers, outbox rows, checkpoints, a rate-limit
    counter, a scheduled job, an embedding claim, full texts. tests/ops/test_copy_to.py checks
    that no table is left empty."""
    report = load(db, [paper(n) for n in range(1, papers + 1)])
    assert report.new == papers
    load(db, [featured(n, upvotes=n) for n in range(1, 11)])
    with db.write() as connection:
        query = select(papers_table.c.id, papers_table.c.arxiv_id)
        ids = {row.arxiv_id: row.id for row in connection.execute(query)}
        first, second = ids["2411.00001"], ids["2411.00002"]
        stored = [(ids[paper(n).arxiv_id], f"hash{n}", v) for n, v in enumerate(unit_vectors(8), 1)]
        embeddings.store(connection, MODEL, stored, NOW)
        ada, alan = (
            users.insert_user(
                connection,
                username=name,
                email=f"{name.lower()}@example.org",
                password_hash="$argon2id$not-a-real-hash",
                role=role,
                now=NOW,
            )
            for name, role in (("Ada", "admin"), ("alan", "user"))
        )
        users.insert_session(connection, "a" * 64, ada.id, NOW, NOW + timedelta(days=30))
        tokens.insert_token(
            connection, user_id=ada.id, name="script", token_hash="b" * 64, prefix="pb_x", now=NOW
        )
        votes.add(connection, ada.id, first, NOW)
        votes.add(connection, alan.id, first, NOW)
        votes.add(connection, alan.id, second, NOW)
        top = comments.insert(
            connection,
            paper_id=first,
            user_id=ada.id,
            parent_id=None,
            body="**Nice** work",
            now=NOW,
        )
        comments.insert(
            connection, paper_id=first, user_id=alan.id, parent_id=top, body="Agreed.", now=NOW
        )
        board.refresh_counters(connection, [first, second])
        subscriptions.add_confirmed(
            connection,
            [("one@example.org", "daily", Topics()), ("two@example.org", "daily", Topics())],
            NOW,
        )
        subscriptions.request(
            connection, "three@example.org", "weekly", Topics(), NOW, resend_after=NOW
        )
        assert outbox.enqueue(connection, "daily", "2026-11-20", NOW) == 2
        state.put(connection, "digest:last:daily", "2026-11-20")
        ratelimits.hit(connection, "comment:account:ada:1", NOW + timedelta(minutes=1))
        jobs.ensure(connection, "sync-arxiv", NOW)
        claimed, _ = embedding_claims.claim(
            connection, MODEL, "elsewhere:1:x", NOW, 60, 1, embedding_claims.BacklogCursor()
        )
        assert len(claimed) == 1  # a paper being embedded by some process
        page = "https://arxiv.org/html/2411.00001v1"
        text = StoredFullText("ok", "### 1 Intro\n\nText.", 1, page, NOW)
        fulltext.store(connection, first, text)
        fulltext.store(connection, second, StoredFullText("missing", None, 1, page, NOW))
        _populate_library(connection, ada.id, first, second)


def _populate_library(connection: Connection, user_id: int, first: int, second: int) -> None:
    """A collection with an item, a follow, a dismissal, a feed token, weights."""
    new = collection_store.NewCollection(
        public_id="c" * 24,
        owner_id=user_id,
        title="Reading list",
        title_key="reading list",
        description=None,
        private=True,
        theme="green",
    )
    collection_id = collection_store.insert_collection(connection, new, NOW)
    assert collection_id is not None
    collection_store.insert_items(connection, collection_id, [(first, "d" * 24, "a note")], NOW)
    follow_store.add(connection, user_id, "author", "Ada Lovelace", NOW)
    follow_store.set_feed_token(connection, user_id, "e" * 64, NOW)
    recommendation_store.dismiss(connection, user_id, second, NOW)
    recommendation_store.set_weights(connection, user_id, {"upvotes": 0.0}, NOW)


def table_counts(db: Database) -> dict[str, int]:
    with db.read() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


@dataclass
class Writer:
    """Another writer, as ``serve`` would be: each transaction adds a subscriber and records
    how many it has added, so a consistent copy has exactly as many as it says."""

    db: Database
    written: int = 0
    slowest_s: float = 0.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            number = self.written + 1
            with self.db.write() as connection:
                subscriptions.add_confirmed(
                    connection, [(f"writer-{number}@example.org", "daily", Topics())], NOW
                )
                state.put(connection, "writer:count", str(number))
            self.written = number
            self.slowest_s = max(self.slowest_s, time.monotonic() - started)


@contextmanager
def writing(db: Database) -> Iterator[Writer]:
    writer = Writer(db)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while writer.written < 5:
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.01)
        yield writer
    finally:
        stop.set()
        thread.join(timeout=10)


def writer_rows(path: Path) -> tuple[int, int]:
    """(subscribers the writer added, the count it recorded) in the database file ``path``."""
    with closing(sqlite3.connect(path)) as connection:
        added = connection.execute(
            "SELECT count(*) FROM subscribers WHERE email LIKE 'writer-%'"
        ).fetchone()[0]
        recorded = connection.execute(
            "SELECT value FROM ingest_state WHERE key = 'writer:count'"
        ).fetchone()
    return added, int(recorded[0]) if recorded else 0


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir()
    db = Database(f"sqlite:///{path / 'paperboard.db'}")
    populate(db)
    db.dispose()
    yield path


# --- tests --------------------------------------------------------------------------------------


def test_backup_while_writing_is_consistent_and_restores(data_dir: Path, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{data_dir / 'paperboard.db'}")
    expected = table_counts(db)
    backups = tmp_path / "backups"
    backups.mkdir()
    with writing(db) as writer:
        # In this process (several, to overlap the writer's transactions) ...
        for number in range(5):
            before = writer.written
            report = backup_sqlite(data_dir / "paperboard.db", backups / f"copy{number}.db")
            added, recorded = writer_rows(report.path)
            assert added == recorded, "the copy holds half a transaction"
            assert before <= recorded <= writer.written
            assert report.papers == 60
        # ... and as a separate process, the way an operator runs it next to `serve`.
        before = writer.written
        done = subprocess.run(
            [*COMMAND, "backup", str(backups)],
            env=environment(data_dir),
            capture_output=True,
            text=True,
            timeout=120,
        )
        after = writer.written
    db.dispose()
    assert done.returncode == 0, done.stderr
    assert after > before, "the writer was not writing during the backup"
    assert writer.slowest_s < 2.0, "the backup held up the writer"
    (made,) = backups.glob("paperboard-*.db")
    assert done.stdout.startswith("backed up 60 papers")
    assert str(made) in done.stdout
    added, recorded = writer_rows(made)
    assert added == recorded and before <= recorded <= after
    assert not list(backups.glob(".*partial*")), "temporary files left behind"
    # Restore into a fresh data dir: copy the file, rebuild the keyword index.
    fresh = tmp_path / "restored"
    fresh.mkdir()
    shutil.copyfile(made, fresh / "paperboard.db")
    rebuilt = run(fresh, "index", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed 60 papers" in rebuilt.output
    restored = Database(f"sqlite:///{fresh / 'paperboard.db'}")
    counts = table_counts(restored)
    assert counts["subscribers"] == expected["subscribers"] + recorded
    assert counts["ingest_state"] == expected["ingest_state"] + 1
    for name in expected.keys() - {"subscribers", "ingest_state"}:
        assert counts[name] == expected[name], name
    _serves_a_paper_page(restored, fresh)
    restored.dispose()


def _serves_a_paper_page(db: Database, data_dir: Path) -> None:
    index = open_index(data_dir)
    with build_site(db, data_dir, keyword_index=index) as site:
        client = site.open_client()
        page = client.get("/papers/2411.00001")
        assert page.status_code == 200
        assert "Sparse attention study number 1" in page.text
        assert "Agreed." in page.text  # the reply survived
        found = client.get("/search", params={"q": "sparse attention study number 42"})
        assert found.status_code == 200
        assert "2411.00042" in found.text  # the rebuilt keyword index answers
    index.close()


def test_backup_refuses_bad_destinations_and_changes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    refused = run(data_dir, "backup", str(existing))
    assert refused.exit_code == 2
    assert "exists; pass --force" in refused.output
    assert existing.read_bytes() == b"keep me"
    missing = run(data_dir, "backup", str(tmp_path / "no" / "such" / "folder" / "x.db"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert not (tmp_path / "no").exists()
    itself = run(data_dir, "backup", str(data_dir / "paperboard.db"), "--force")
    assert itself.exit_code == 2
    assert "is the database itself" in itself.output
    replaced = run(data_dir, "backup", str(existing), "--force")
    assert replaced.exit_code == 0, replaced.output
    with closing(sqlite3.connect(existing)) as copy:
        assert copy.execute("SELECT count(*) FROM papers").fetchone()[0] == 60
        # A self-contained file: no WAL beside it.
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_without_a_database_creates_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty, "backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 2
    assert "no database at" in result.output
    assert list(empty.iterdir()) == []
    assert not (tmp_path / "copy.db").exists()
    with pytest.raises(BackupError, match="in-memory"):
        from paperboard.ops.backup import sqlite_path

        sqlite_path("sqlite://")


def test_backup_on_postgresql_prints_the_pg_dump_command(tmp_path: Path) -> None:
    url = "postgresql://pb:s3cret@db.example.org:5433/papers?sslmode=require"
    result = run(tmp_path, "backup", "/srv/backups/pb.dump", database_url=url)
    assert result.exit_code == 2
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert (
        "pg_dump --format=custom --file=/srv/backups/pb.dump "
        "'postgresql://pb@db.example.org:5433/papers?sslmode=require'" in result.output
    )
    assert "s3cret" not in result.output  # never echo the password
    assert not any(tmp_path.iterdir())


def test_pg_dump_command_quotes_what_a_shell_would_split() -> None:
    command = pg_dump_command("postgresql+psycopg://pb@localhost/paper board", "my dump.pgc")
    assert command == (
        "pg_dump --format=custom --file='my dump.pgc' 'postgresql://pb@localhost/paper board'"
    )
