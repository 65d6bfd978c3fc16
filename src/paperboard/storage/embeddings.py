"""Paper embeddings: which papers need one, storing them, reading them back, and (PostgreSQL)
nearest-neighbour queries through pgvector's HNSW index.

Vectors are stored as float16 (``types.HalfVector``): 768 bytes per paper at 384 dimensions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Join,
    Row,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paperboard.storage.schema import embeddings, papers

MAX_IN_LIST = 1000
# pgvector's HNSW search depth: its default (40) returns at most 40 rows; the hybrid search
# asks for up to a few hundred candidates.
POSTGRES_EF_SEARCH = 200
# Set per session (reads run in autocommit, where SET LOCAL does nothing): every query through
# the HNSW index makes sure of its own value first (``_use_ef_search``), so what a pooled
# connection was left with never matters. Similar papers show a handful: a shorter candidate
# list than a search's 100 is enough, and it is on every paper page (ef 200 -> 64: the HNSW
# step 8.6 -> 6.1 ms at 88,864 papers).
POSTGRES_SIMILAR_EF_SEARCH = 64


@dataclass(frozen=True, slots=True)
class PendingPaper:
    """A paper whose embedding is missing or stale."""

    id: int
    title: str
    abstract: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class StoredVector:
    paper_id: int
    vector: np.ndarray
    created_at: datetime


def pending(
    connection: Connection, model: str, after_id: int = 0, limit: int = 256
) -> list[PendingPaper]:
    """Papers (id order, ids above ``after_id``) with no vector of ``model`` for their text.

    A key-set walk of the papers' primary key probing the embeddings' primary key: each batch
    costs what it returns plus the already-embedded rows it steps over, so a resumed job skips
    finished work quickly and memory stays flat.
    """
    query = (
        select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.content_hash)
        .select_from(with_vectors())
        .where(papers.c.id > after_id, needs_vector(model))
        .order_by(papers.c.id)
        .limit(limit)
    )
    return [PendingPaper(*row) for row in connection.execute(query)]


def with_vectors() -> Join:
    """Papers with their vector, if any: the FROM clause that ``needs_vector`` filters."""
    return papers.outerjoin(embeddings, embeddings.c.paper_id == papers.c.id)


def needs_vector(model: str) -> ColumnElement[bool]:
    """Over ``with_vectors()``: the paper has no vector of ``model`` for its current text."""
    return or_(
        embeddings.c.paper_id.is_(None),
        embeddings.c.model != model,
        embeddings.c.content_hash != papers.c.content_hash,
    )


def count_pending(connection: Connection, model: str) -> int:
    query = select(func.count()).select_from(with_vectors()).where(needs_vector(model))
    return connection.execute(query).scalar_one()


def papers_version(connection: Connection) -> tuple[Any, Any]:
    """Changes whenever a paper is added or changed (index lookups only): the background
    job counts pending papers (a scan of every paper) only after it moved."""
    return connection.execute(select(func.max(papers.c.modified_at), func.max(papers.c.id))).one()


def count(connection: Connection, model: str | None = None) -> int:
    query = select(func.count()).select_from(embeddings)
    if model is not None:
        query = query.where(embeddings.c.model == model)
    return connection.execute(query).scalar_one()


def store(
    connection: Connection,
    model: str,
    rows: Sequence[tuple[int, str, np.ndarray]],
    now: datetime,
) -> None:
    """Insert or replace the vectors of ``(paper_id, content_hash, vector)`` rows."""
    if not rows:
        return
    values = [
        {
            "paper_id": paper_id,
            "model": model,
            "dim": int(vector.shape[-1]),
            "content_hash": content_hash,
            "vector": vector,
            "created_at": now,
        }
        for paper_id, content_hash, vector in rows
    ]
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(embeddings)
    statement = statement.on_conflict_do_update(
        index_elements=[embeddings.c.paper_id],
        set_={
            name: statement.excluded[name]
            for name in ("model", "dim", "content_hash", "vector", "created_at")
        },
    )
    connection.execute(statement, values)


def delete_model(connection: Connection, model: str) -> int:
    return connection.execute(delete(embeddings).where(embeddings.c.model == model)).rowcount


def vectors_for(
    connection: Connection, model: str, paper_ids: Iterable[int]
) -> dict[int, np.ndarray]:
    ids = list(paper_ids)
    found: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), MAX_IN_LIST):
        query = select(embeddings.c.paper_id, embeddings.c.vector).where(
            embeddings.c.model == model, embeddings.c.paper_id.in_(ids[start : start + MAX_IN_LIST])
        )
        found.update((paper_id, vector) for paper_id, vector in connection.execute(query))
    return found


def vector_of(connection: Connection, paper_id: int) -> tuple[str, np.ndarray] | None:
    """(model, vector) of one paper, if it has one."""
    query = select(embeddings.c.model, embeddings.c.vector).where(embeddings.c.paper_id == paper_id)
    row = connection.execute(query).first()
    return (row.model, row.vector) if row else None


def _similar_statement() -> Any:
    """Similar papers as one statement, built once: a paper page runs it on every first view,
    and building the SQLAlchemy construct (alias, subqueries, join) cost ~1 ms each time."""
    paper_id = bindparam("paper_id")
    own = embeddings.alias("own")
    own_vector = select(own.c.vector).where(own.c.paper_id == paper_id).scalar_subquery()
    own_model = select(own.c.model).where(own.c.paper_id == paper_id).scalar_subquery()
    # pgvector's HNSW index orders by distance to a value computed once (the scalar subquery).
    distance = embeddings.c.vector.op("<=>", return_type=Float)(own_vector)
    nearest = (
        select(embeddings.c.paper_id, distance.label("distance"))
        .where(embeddings.c.model == own_model, embeddings.c.paper_id != paper_id)
        .order_by(distance)
        .limit(bindparam("limit"))
        .subquery("nearest")
    )
    return (
        select(papers, nearest.c.distance)
        .join(nearest, nearest.c.paper_id == papers.c.id)
        .order_by(nearest.c.distance)
    )


_SIMILAR = _similar_statement()


def postgres_similar(
    connection: Connection, paper_id: int, limit: int
) -> list[tuple[Row[Any], float]]:
    """(paper row, cosine similarity) of the ``limit`` papers nearest to ``paper_id``'s own
    vector, among vectors of its model, best first; empty when it has none. One statement
    (the vector never leaves the server): a paper page's round trips were most of its cost."""
    _use_ef_search(connection, max(POSTGRES_SIMILAR_EF_SEARCH, limit))
    rows = connection.execute(_SIMILAR, {"paper_id": paper_id, "limit": limit})
    return [(row, 1.0 - float(row.distance)) for row in rows]


def _use_ef_search(connection: Connection, value: int) -> None:
    """``SET hnsw.ef_search`` unless this session has that value already.

    What was set is remembered with the pooled connection (``Connection.info`` lives as long
    as the database session), so consecutive similar-paper queries skip a round trip. Only in
    autocommit: inside a transaction a rollback would undo the SET behind the record's back.
    """
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if autocommit and connection.info.get("hnsw.ef_search") == value:
        return
    connection.execute(text(f"SET hnsw.ef_search = {value}"))
    if autocommit:
        connection.info["hnsw.ef_search"] = value
    else:
        connection.info.pop("hnsw.ef_search", None)


def all_vectors(connection: Connection, model: str) -> tuple[list[int], np.ndarray]:
    """Every vector of ``model`` as one float32 matrix (small databases, exact search)."""
    rows = connection.execute(
        select(embeddings.c.paper_id, embeddings.c.vector)
        .where(embeddings.c.model == model)
        .order_by(embeddings.c.paper_id)
    ).all()
    if not rows:
        return [], np.zeros((0, 0), np.float32)
    return [r.paper_id for r in rows], np.stack([r.vector for r in rows]).astype(np.float32)


def created_since(
    connection: Connection,
    model: str,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[StoredVector]:
    """Vectors of ``model`` stored after the key ``after``, in (created_at, paper_id) order.

    The SQLite vector index file uses it to catch up with the database.
    """
    query = select(embeddings.c.paper_id, embeddings.c.vector, embeddings.c.created_at).where(
        embeddings.c.model == model
    )
    if after is not None:
        moment, last_id = after
        # A range on created_at plus a filter, so that the (created_at, paper_id) index is used.
        query = query.where(
            embeddings.c.created_at >= moment,
            or_(embeddings.c.created_at > moment, embeddings.c.paper_id > last_id),
        )
    query = query.order_by(embeddings.c.created_at, embeddings.c.paper_id).limit(limit)
    return [StoredVector(*row) for row in connection.execute(query)]


def postgres_nearest(
    connection: Connection,
    model: str,
    vector: np.ndarray,
    limit: int,
    exclude: Sequence[int] = (),
) -> list[tuple[int, float]]:
    """(paper id, cosine similarity) best first, through the HNSW index."""
    _use_ef_search(connection, max(POSTGRES_EF_SEARCH, limit))
    distance = embeddings.c.vector.op("<=>", return_type=Float)(np.asarray(vector, np.float32))
    conditions: list[Any] = [embeddings.c.model == model]
    if exclude:
        conditions.append(embeddings.c.paper_id.not_in(list(exclude)))
    query = (
        select(embeddings.c.paper_id, distance.label("distance"))
        .where(and_(*conditions))
        .order_by(distance)
        .limit(limit)
    )
    return [(paper_id, 1.0 - float(d)) for paper_id, d in connection.execute(query)]
