"""``paperboard migrate --to``: the embedded SQLite database copied into a real PostgreSQL
(tests/conftest.py), rerun without duplicates, then used: fresh ids, pages served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, text
from typer.testing import Result

from paperboard.ingest.loader import load
from paperboard.ops.copy_to import copy_database
from paperboard.storage import comments, embeddings, state, users, votes
from paperboard.storage.copy import tables_in_copy_order
from paperboard.storage.database import Database
from paperboard.storage.schema import metadata, subscribers
from paperboard.storage.schema import papers as papers_table
from tests.app_factory import build_site
from tests.command_line import run
from tests.ops.test_backup import (
    MODEL,
    NOW,
    paper,
    populate,
    table_counts,
    unit_vectors,
    writing,
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir whose embedded database has rows in every table."""
    path = tmp_path / "data"
    db = Database(f"sqlite:///{path / 'paperboard.db'}")
    populate(db)
    db.dispose()
    return path


def migrate(data_dir: Path, target: str, *extra: str) -> Result:
    return run(data_dir, "migrate", "--to", target, *extra)


def rows(db: Database, name: str) -> list[dict[str, Any]]:
    table = metadata.tables[name]
    with db.read() as connection:
        query = select(table).order_by(*table.primary_key.columns)
        return [dict(row._mapping) for row in connection.execute(query)]


def assert_same_rows(source: Database, target: Database) -> None:
    for table in tables_in_copy_order():
        left, right = rows(source, table.name), rows(target, table.name)
        assert len(left) == len(right), table.name
        for mine, theirs in zip(left, right, strict=True):
            if table.name == "embeddings":
                # float16 both sides: the same numbers, in pgvector's halfvec now.
                assert np.array_equal(mine.pop("vector"), theirs.pop("vector"))
            assert mine == theirs, table.name


def test_migrate_copies_every_table_and_reruns_cleanly(data_dir: Path, postgres_url: str) -> None:
    first = migrate(data_dir, postgres_url, "--batch-size", "7")  # several batches a table
    assert first.exit_code == 0, first.output
    for table in tables_in_copy_order():
        assert table.name in first.stdout
    assert "DIFFERENT" not in first.stdout
    assert "papers: 60 of 60 rows" in first.stderr
    source = Database(f"sqlite:///{data_dir / 'paperboard.db'}")
    target = Database(postgres_url)
    try:
        counts = table_counts(source)
        empty = [name for name, count in counts.items() if not count]
        assert not empty, f"populate() in tests/ops/test_backup.py leaves {empty} empty: fill them"
        assert_same_rows(source, target)
        again = migrate(data_dir, postgres_url)
        assert again.exit_code == 0, again.output
        assert table_counts(target) == counts  # nothing twice
        _new_rows_get_fresh_ids(target)
        _serves_the_copied_papers(target, data_dir)
    finally:
        source.dispose()
        target.dispose()


def _new_rows_get_fresh_ids(target: Database) -> None:
    max_user = max(row["id"] for row in rows(target, "users"))
    max_comment = max(row["id"] for row in rows(target, "comments"))
    with target.write() as connection:
        grace = users.insert_user(
            connection,
            username="grace",
            email="grace@example.org",
            password_hash="x",
            role="user",
            now=NOW,
        )
        assert grace.id == max_user + 1
        paper_id = connection.execute(
            select(papers_table.c.id).where(papers_table.c.arxiv_id == "2411.00003")
        ).scalar_one()
        assert votes.add(connection, grace.id, paper_id, NOW)
        comment = comments.insert(
            connection, paper_id=paper_id, user_id=grace.id, parent_id=None, body="Hi", now=NOW
        )
        assert comment == max_comment + 1
        state.put(connection, "after:migration", "yes")
    report = load(target, [paper(61)])
    assert report.new == 1
    ids = [row["id"] for row in rows(target, "papers")]
    assert ids[-1] == ids[-2] + 1  # rows come in id order


def _serves_the_copied_papers(target: Database, data_dir: Path) -> None:
    env = {"PAPERBOARD_DATABASE_URL": target.url}
    with build_site(target, data_dir, env=env) as site:
        client = site.open_client()
        page = client.get("/papers/2411.00001")
        assert page.status_code == 200
        assert "Sparse attention study number 1" in page.text
        assert "Agreed." in page.text
        board = client.get("/papers/date/2026-11-20")
        assert board.status_code == 200
        assert "2411.00010" in board.text
        # PostgreSQL's own keyword index (a generated column) filled itself in on insert.
        found = client.get("/search", params={"q": "sparse attention study number 42"})
        assert "2411.00042" in found.text


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sqlite:///elsewhere.db", "must be PostgreSQL"),
        ("mysql://u@h/db", "must be PostgreSQL"),
        ("not a url", "is not a database URL"),
        ("postgresql://u@localhost:5432", "names no database"),
        # The password of a mistyped URL is not printed back.
        ("post gres://ada:hunter2@db/papers", "is not a database URL"),
        ("postgresql://ada:hunter2@db:port/papers", "is not a database URL"),
    ],
)
def test_migrate_refuses_other_targets(data_dir: Path, target: str, message: str) -> None:
    before = sorted(path.name for path in data_dir.iterdir())
    result = migrate(data_dir, target)
    assert result.exit_code == 2
    assert message in result.output
    assert "hunter2" not in result.output
    assert sorted(path.name for path in data_dir.iterdir()) == before
    assert not Path("elsewhere.db").exists()


def test_migrate_without_a_database_copies_nothing(tmp_path: Path, postgres_url: str) -> None:
    result = migrate(tmp_path / "empty", postgres_url)
    assert result.exit_code == 2
    assert "no database at" in result.output
    assert not (tmp_path / "empty" / "paperboard.db").exists()


def test_migrate_into_the_same_database_is_refused(postgres_url: str, tmp_path: Path) -> None:
    result = run(tmp_path, "migrate", "--to", postgres_url, database_url=postgres_url)
    assert result.exit_code == 2
    assert "is the configured database itself" in result.output


def test_migrate_reports_counts_that_differ(data_dir: Path, postgres_url: str) -> None:
    assert migrate(data_dir, postgres_url).exit_code == 0
    target = Database(postgres_url)
    with target.write() as connection:
        state.put(connection, "only:on:the:target", "1")
    target.dispose()
    result = migrate(data_dir, postgres_url)
    assert result.exit_code == 1
    assert "DIFFERENT" in result.stdout
    assert "row counts differ for: ingest_state" in result.stderr


def test_migrate_refuses_a_target_holding_other_data(data_dir: Path, postgres_url: str) -> None:
    target = Database(postgres_url)
    load(target, [paper(2)])  # id 1 on the target, id 2 on the source: same arXiv id
    target.dispose()
    result = migrate(data_dir, postgres_url)
    assert result.exit_code == 2
    assert "table papers: the target already holds different rows" in result.output
    assert "copy into an empty database" in result.output


def test_migrate_cannot_reach_the_target(data_dir: Path) -> None:
    result = migrate(data_dir, "postgresql://nobody@127.0.0.1:9/paperboard")
    assert result.exit_code == 2
    assert "cannot use the target database" in result.output


def test_copy_while_the_source_is_written_is_one_snapshot(
    data_dir: Path, postgres_url: str
) -> None:
    source = Database(f"sqlite:///{data_dir / 'paperboard.db'}")
    target = Database(postgres_url)
    try:
        with writing(source) as writer:
            before = writer.written
            during = copy_database(source, target, batch_size=5)
            after = writer.written
        assert after > before, "the writer was not writing during the copy"
        assert all(count.ok for count in during)
        with target.read() as connection:
            added = connection.execute(
                select(func.count())
                .select_from(subscribers)
                .where(subscribers.c.email.like("writer-%"))
            ).scalar_one()
            recorded = int(state.get(connection, "writer:count") or 0)
        assert added == recorded, "the copy holds half a transaction"
        assert before <= recorded <= after
        # Once the writer stopped, a rerun brings only what it wrote since; the next, nothing.
        catch_up = {count.table: count.inserted for count in copy_database(source, target)}
        assert catch_up["subscribers"] == writer.written - recorded
        assert set(catch_up.values()) <= {0, writer.written - recorded}
        final = copy_database(source, target)
        assert all(count.ok and count.inserted == 0 for count in final)
    finally:
        source.dispose()
        target.dispose()


def hnsw_indexes(db: Database) -> list[str]:
    with db.read() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'embeddings' "
                    "AND indexdef ILIKE '%USING hnsw%'"
                )
            ).scalars()
        )


def test_vectors_are_loaded_then_indexed_all_or_nothing(data_dir: Path, postgres_url: str) -> None:
    source = Database(f"sqlite:///{data_dir / 'paperboard.db'}")
    target = Database(postgres_url)
    assert hnsw_indexes(target) == ["ix_embeddings_vector_hnsw"]

    def interrupt(table: str, seen: int, total: int) -> None:
        if table == "embeddings" and seen:
            raise KeyboardInterrupt  # Ctrl-C while the vectors are being loaded

    try:
        with pytest.raises(KeyboardInterrupt):
            copy_database(source, target, batch_size=3, progress=interrupt)
        # Rolled back as a whole: no vectors, and the index is there as before.
        assert table_counts(target)["embeddings"] == 0
        assert table_counts(target)["papers"] == 60  # earlier tables stay copied
        assert hnsw_indexes(target) == ["ix_embeddings_vector_hnsw"]
        counts = {count.table: count for count in copy_database(source, target, batch_size=3)}
        assert counts["embeddings"].ok and counts["embeddings"].inserted == 8
        assert counts["papers"].inserted == 0
        assert hnsw_indexes(target) == ["ix_embeddings_vector_hnsw"]
        with target.read() as connection:
            nearest = embeddings.postgres_nearest(connection, MODEL, unit_vectors(8)[2], 1)
        assert nearest[0][0] == rows(source, "embeddings")[2]["paper_id"]
    finally:
        source.dispose()
        target.dispose()
