"""Stored embeddings (SQLite and PostgreSQL) and the vector indexes built on them."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from paperboard.ingest.loader import load
from paperboard.search.embedder import paper_text
from paperboard.search.vectors import HnswFileIndex, PgVectorIndex, open_vector_index
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database
from tests.search_corpus import EMBEDDER, load_corpus, records

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def embed_all(db: Database, model: str = EMBEDDER.name, now: datetime = NOW) -> None:
    with db.read() as connection:
        todo = embedding_store.pending(connection, model, 0, 1000)
    vectors = EMBEDDER.embed([paper_text(p.title, p.abstract) for p in todo])
    with db.write() as connection:
        embedding_store.store(
            connection,
            model,
            [(p.id, p.content_hash, v) for p, v in zip(todo, vectors, strict=True)],
            now,
        )


def test_vectors_round_trip_as_float16(db: Database) -> None:
    ids = load_corpus(db)
    vector = EMBEDDER.embed(["speculative decoding"])[0]
    with db.write() as connection:
        embedding_store.store(connection, "m", [(ids["2401.00001"], "h", vector)], NOW)
    with db.read() as connection:
        model, stored = embedding_store.vector_of(connection, ids["2401.00001"])  # type: ignore[misc]
        assert embedding_store.count(connection, "m") == 1
    assert model == "m" and stored.dtype == np.float32 and stored.shape == (384,)
    assert np.allclose(stored, vector, atol=1e-3)  # float16 precision


def test_pending_finds_missing_other_model_and_changed_text(db: Database) -> None:
    ids = load_corpus(db)
    with db.read() as connection:
        assert embedding_store.count_pending(connection, EMBEDDER.name) == len(ids)
        first_three = embedding_store.pending(connection, EMBEDDER.name, 0, 3)
        after = embedding_store.pending(connection, EMBEDDER.name, first_three[-1].id, 100)
    assert [p.id for p in first_three + after] == sorted(ids.values())
    embed_all(db)
    with db.read() as connection:
        assert embedding_store.count_pending(connection, EMBEDDER.name) == 0
        assert embedding_store.count_pending(connection, "another-model") == len(ids)
    changed = replace(records()[2], abstract="A new version with a different abstract.", version=2)
    load(db, [changed])
    with db.read() as connection:
        stale = embedding_store.pending(connection, EMBEDDER.name, 0, 100)
    assert [p.id for p in stale] == [ids["2401.00003"]]


def test_deleting_a_paper_deletes_its_vector(db: Database) -> None:
    from sqlalchemy import delete

    from paperboard.storage.schema import papers

    ids = load_corpus(db)
    embed_all(db)
    with db.write() as connection:
        connection.execute(delete(papers).where(papers.c.id == ids["2401.00001"]))
    with db.read() as connection:
        assert embedding_store.count(connection) == len(ids) - 1


def test_vector_index_finds_nearest_and_excludes(db: Database, tmp_path: Path) -> None:
    ids = load_corpus(db)
    embed_all(db)
    index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert isinstance(index, HnswFileIndex if db.is_sqlite else PgVectorIndex)
    query = EMBEDDER.embed(["Diffusion Models for Video Generation"])[0]
    hits = index.search(query, 3)
    assert hits[0][0] == ids["2401.00003"] and hits[0][1] > hits[1][1]
    assert -1.0 <= hits[-1][1] <= 1.0
    without = index.search(query, 3, exclude=[ids["2401.00003"]])
    assert ids["2401.00003"] not in [i for i, _ in without] and len(without) == 3
    stored = index.vector_of(ids["2401.00003"])
    assert stored is not None and float(stored @ query) > 0.5
    assert index.vector_of(999_999) is None


def test_postgres_search_sees_only_its_model(db: Database, tmp_path: Path) -> None:
    ids = load_corpus(db)
    embed_all(db, model="other")
    index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert index.search(EMBEDDER.embed(["video"])[0], 5) == []
    embed_all(db)
    index.sync()
    assert len(index.search(EMBEDDER.embed(["video"])[0], 5)) == 5
    assert len(ids) == 8


# --- the HNSW file (SQLite) ----------------------------------------------------------------------


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Database:
    database = Database(sqlite_url)
    yield database  # type: ignore[misc]
    database.dispose()


def test_index_file_catches_up_and_reloads(sqlite_db: Database, tmp_path: Path) -> None:
    ids = load_corpus(sqlite_db)
    index = open_vector_index(sqlite_db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert isinstance(index, HnswFileIndex) and len(index) == 0
    embed_all(sqlite_db)
    assert index.sync() == len(ids) and len(index) == len(ids)
    state = json.loads(index.path.with_name(index.path.name + ".json").read_text())
    assert state["count"] == len(ids) and state["model"] == EMBEDDER.name
    reopened = HnswFileIndex(sqlite_db, index.path, EMBEDDER.name, EMBEDDER.dim)
    assert len(reopened) == len(ids)
    assert reopened.sync() == 0  # nothing new: the overlap re-reads but does not re-add
    assert len(reopened) == len(ids)


def test_index_file_of_another_model_is_rebuilt(sqlite_db: Database, tmp_path: Path) -> None:
    ids = load_corpus(sqlite_db)
    embed_all(sqlite_db)
    open_vector_index(sqlite_db, tmp_path, EMBEDDER.name, EMBEDDER.dim).close()
    path = tmp_path / f"vector-index-{EMBEDDER.name}.usearch"
    other = HnswFileIndex(sqlite_db, path, "other-model", EMBEDDER.dim)
    assert len(other) == 0  # not loaded: vectors of another model never mix
    assert other.sync() == 0
    again = HnswFileIndex(sqlite_db, path, EMBEDDER.name, EMBEDDER.dim)
    assert len(again) in (0, len(ids))


def test_torn_index_file_is_rebuilt_from_the_database(sqlite_db: Database, tmp_path: Path) -> None:
    ids = load_corpus(sqlite_db)
    embed_all(sqlite_db)
    index = open_vector_index(sqlite_db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert isinstance(index, HnswFileIndex)
    index.path.write_bytes(b"garbage")  # a crash mid-write cannot do this (atomic rename)
    reopened = open_vector_index(sqlite_db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert len(reopened) == len(ids)  # type: ignore[arg-type]


def test_crash_between_save_and_state_loses_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    """The file was replaced but its watermark was not: the next sync re-adds, idempotently."""
    ids = load_corpus(sqlite_db)
    embed_all(sqlite_db, now=NOW)
    index = open_vector_index(sqlite_db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    assert isinstance(index, HnswFileIndex)
    state_file = index.path.with_name(index.path.name + ".json")
    old_state = state_file.read_text()
    # A newer paper vector arrives; the process saves the file but dies before the state.
    with sqlite_db.write() as connection:
        embedding_store.store(
            connection,
            EMBEDDER.name,
            [(ids["2401.00001"], "changed", EMBEDDER.embed(["galaxies"])[0])],
            NOW + timedelta(minutes=5),
        )
    index.sync()
    state_file.write_text(old_state)
    os.sync()
    reopened = HnswFileIndex(sqlite_db, index.path, EMBEDDER.name, EMBEDDER.dim)
    reopened.sync()
    assert len(reopened) == len(ids)
    top = reopened.search(EMBEDDER.embed(["galaxies"])[0], 1)
    assert top[0][0] == ids["2401.00001"]


def test_many_vectors_recall(sqlite_db: Database, tmp_path: Path) -> None:
    """HNSW finds the exact nearest neighbour of most queries among 3,000 random vectors."""
    from sqlalchemy import insert

    from paperboard.storage.schema import embeddings, papers

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [
        {
            "id": i + 1,
            "arxiv_id": f"2501.{i + 1:05d}",
            "version": 1,
            "title": "t",
            "abstract": "a",
            "authors": [],
            "categories": "cs.LG",
            "code_urls": [],
            "ai_keywords": [],
            "content_hash": "h",
            "created_at": NOW,
            "modified_at": NOW,
        }
        for i in range(3000)
    ]
    with sqlite_db.write() as connection:
        connection.execute(insert(papers), rows)
        connection.execute(
            insert(embeddings),
            [
                {
                    "paper_id": i + 1,
                    "model": "rand",
                    "dim": 384,
                    "content_hash": "h",
                    "vector": vectors[i],
                    "created_at": NOW,
                }
                for i in range(3000)
            ],
        )
    index = open_vector_index(sqlite_db, tmp_path, "rand", 384)
    queries = vectors[:100] + 0.05 * rng.standard_normal((100, 384)).astype(np.float32)
    found = sum(index.search(q, 1)[0][0] == i + 1 for i, q in enumerate(queries))
    assert found >= 98
