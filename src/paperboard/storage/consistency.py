"""The queries behind ``paperboard check``: what the derived state should hold, as the
database says, and the few writes its ``--repair`` makes that no other module owns.

Everything here reads whole columns at most (ids, counters); nothing loads paper texts except
``index_rows`` for the papers being re-indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Text, delete, func, or_, select, text, type_coerce, union

from paperboard.storage import outbox
from paperboard.storage.board import counter_sources
from paperboard.storage.embeddings import StoredVector
from paperboard.storage.schema import comments, digest_outbox, embeddings, featured, papers, votes

# Rows named in one IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
MAX_IN_LIST = 5000
# Problems listed by id in a report; the rest are counted.
MAX_LISTED = 20


# --- papers and the keyword index --------------------------------------------------------------


def paper_ids(connection: Connection) -> np.ndarray:
    """Every paper id (int64), ascending."""
    ids = connection.execute(select(papers.c.id).order_by(papers.c.id)).scalars().all()
    return np.asarray(ids, np.int64)


def max_modified_at(connection: Connection) -> datetime | None:
    return connection.execute(select(func.max(papers.c.modified_at))).scalar_one_or_none()


def count_modified_after(connection: Connection, moment: datetime | None) -> int:
    """Papers changed after ``moment`` (all papers when it is None)."""
    query = select(func.count()).select_from(papers)
    if moment is not None:
        query = query.where(papers.c.modified_at > moment)
    return connection.execute(query).scalar_one()


def index_rows(connection: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The papers ``ids`` in the shape ``papers.modified_since`` gives the keyword index."""
    query = select(
        papers.c.id,
        papers.c.title,
        papers.c.abstract,
        type_coerce(papers.c.authors, Text).label("authors_text"),
        papers.c.categories,
        papers.c.modified_at,
    ).where(papers.c.id.in_(list(ids)))
    return [row._asdict() for row in connection.execute(query.order_by(papers.c.id))]


# --- embeddings and the vector index ----------------------------------------------------------


def embedded_ids(connection: Connection, model: str) -> np.ndarray:
    """Ids of the papers with a vector of ``model`` (int64, ascending)."""
    query = select(embeddings.c.paper_id).where(embeddings.c.model == model)
    ids = connection.execute(query.order_by(embeddings.c.paper_id)).scalars().all()
    return np.asarray(ids, np.int64)


@dataclass(frozen=True, slots=True)
class EmbeddingCounts:
    papers: int
    current: int  # a vector of the model for the paper's present text
    missing: int  # no vector at all
    stale: int  # a vector of the model for an older text
    other_model: int  # a vector of another model only
    wrong_dim: int  # vectors of the model whose dimension is not the model's


def embedding_counts(connection: Connection, model: str, dim: int) -> EmbeddingCounts:
    """One pass over papers joined with their vectors (the join is on both primary keys)."""
    joined = papers.outerjoin(embeddings, embeddings.c.paper_id == papers.c.id)
    of_model = embeddings.c.model == model
    row = connection.execute(
        select(
            func.count(),
            func.count().filter(of_model, embeddings.c.content_hash == papers.c.content_hash),
            func.count().filter(embeddings.c.paper_id.is_(None)),
            func.count().filter(of_model, embeddings.c.content_hash != papers.c.content_hash),
            func.count().filter(embeddings.c.model != model),
            func.count().filter(of_model, embeddings.c.dim != dim),
        ).select_from(joined)
    ).one()
    return EmbeddingCounts(*row)


def delete_wrong_dim(connection: Connection, model: str, dim: int) -> int:
    """Vectors of ``model`` with another dimension cannot be searched: drop them (the embed
    job then stores new ones)."""
    statement = delete(embeddings).where(embeddings.c.model == model, embeddings.c.dim != dim)
    return connection.execute(statement).rowcount or 0


def count_created_after(connection: Connection, model: str, after: tuple[datetime, int]) -> int:
    """Vectors of ``model`` stored after the key ``after`` (the vector file's watermark)."""
    moment, last_id = after
    query = (
        select(func.count())
        .select_from(embeddings)
        .where(
            embeddings.c.model == model,
            embeddings.c.created_at >= moment,
            or_(embeddings.c.created_at > moment, embeddings.c.paper_id > last_id),
        )
    )
    return connection.execute(query).scalar_one()


def stored_vectors(connection: Connection, model: str, ids: Sequence[int]) -> list[StoredVector]:
    query = select(embeddings.c.paper_id, embeddings.c.vector, embeddings.c.created_at).where(
        embeddings.c.model == model, embeddings.c.paper_id.in_(list(ids))
    )
    return [StoredVector(*row) for row in connection.execute(query.order_by(embeddings.c.paper_id))]


# --- counters ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CounterSkew:
    paper_id: int
    upvotes: int
    expected_upvotes: int
    num_comments: int
    expected_comments: int
    local_comments: int
    expected_local_comments: int


def counter_skews(connection: Connection) -> list[CounterSkew]:
    """Papers whose stored upvote or comment counters differ from their sources.

    Only papers with a featured entry, a vote or a comment, or a non-zero counter, can be
    off: the correlated sums run for those only, not for every paper."""
    sources = counter_sources()
    involved = union(
        select(featured.c.paper_id), select(votes.c.paper_id), select(comments.c.paper_id)
    ).subquery()
    candidates = select(
        papers.c.id, papers.c.upvotes, papers.c.num_comments, papers.c.local_comments
    ).where(
        or_(
            papers.c.id.in_(select(involved.c.paper_id)),
            papers.c.upvotes != 0,
            papers.c.num_comments != 0,
            papers.c.local_comments != 0,
        )
    )
    computed = candidates.add_columns(
        sources.upvotes.label("expected_upvotes"),
        sources.num_comments.label("expected_comments"),
        sources.local_comments.label("expected_local_comments"),
    ).subquery()
    query = (
        select(computed)
        .where(
            or_(
                computed.c.upvotes != computed.c.expected_upvotes,
                computed.c.num_comments != computed.c.expected_comments,
                computed.c.local_comments != computed.c.expected_local_comments,
            )
        )
        .order_by(computed.c.id)
    )
    return [
        CounterSkew(
            row.id,
            row.upvotes,
            row.expected_upvotes,
            row.num_comments,
            row.expected_comments,
            row.local_comments,
            row.expected_local_comments,
        )
        for row in connection.execute(query)
    ]


# --- the digest outbox -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeasedRow:
    id: int
    state: str
    lease_owner: str
    lease_until: datetime | None


def leased_outbox_rows(connection: Connection) -> list[LeasedRow]:
    """Outbox rows a run holds (or held) a lease on, in the states where a lease matters."""
    query = (
        select(
            digest_outbox.c.id,
            digest_outbox.c.state,
            digest_outbox.c.lease_owner,
            digest_outbox.c.lease_until,
        )
        .where(
            digest_outbox.c.state.in_([outbox.PENDING, outbox.SENDING]),
            digest_outbox.c.lease_owner.is_not(None),
        )
        .order_by(digest_outbox.c.id)
    )
    return [LeasedRow(*row) for row in connection.execute(query)]


# --- the database itself -----------------------------------------------------------------------


def sqlite_problems(connection: Connection) -> list[str]:
    """SQLite's own structural check (quick_check: pages, records, indexes' order; not index
    contents, which integrity_check would add at several times the cost) and the foreign keys
    that point nowhere (SQLite enforces them only where the pragma was on)."""
    problems = [
        row[0] for row in connection.exec_driver_sql("PRAGMA quick_check").all() if row[0] != "ok"
    ]
    for table, rowid, parent, _ in connection.exec_driver_sql("PRAGMA foreign_key_check").all():
        problems.append(f"{table} row {rowid} refers to a missing {parent} row")
    return problems


def postgres_index_state(connection: Connection, name: str) -> str:
    """``ok``, ``invalid`` (a failed or interrupted build: not used by queries) or ``missing``."""
    row = connection.execute(
        text(
            "SELECT i.indisvalid AND i.indisready FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = :name AND c.relkind = 'i' AND pg_table_is_visible(c.oid)"
        ),
        {"name": name},
    ).first()
    if row is None:
        return "missing"
    return "ok" if row[0] else "invalid"


def postgres_generated_column(connection: Connection, table: str, column: str) -> bool:
    """Whether ``table.column`` exists and is a stored generated column."""
    row = connection.execute(
        text(
            "SELECT a.attgenerated FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(:table) AND a.attname = :column "
            "AND NOT a.attisdropped"
        ),
        {"table": table, "column": column},
    ).first()
    return row is not None and row[0] == "s"


def count_null_search_vectors(connection: Connection) -> int:
    return connection.execute(
        text("SELECT count(*) FROM papers WHERE search_vector IS NULL")
    ).scalar_one()


def restore_postgres_index(connection: Connection, name: str, create: str) -> str:
    """REINDEX an invalid index, run ``create`` (a migration's DDL) for a missing one;
    returns the state found."""
    state = postgres_index_state(connection, name)
    if state == "ok":
        return state
    _no_statement_timeout(connection)
    if state == "invalid":
        # The name comes from ops/check's constants, never from input.
        connection.execute(text(f'REINDEX INDEX "{name}"'))
    else:
        connection.execute(text(create))
    return state


def recreate_search_vector(connection: Connection, column_ddl: str) -> None:
    """Re-add papers.search_vector as migration 0001 defines it (the GIN index on it is
    dropped with it and restored by ``restore_postgres_index``)."""
    _no_statement_timeout(connection)
    connection.execute(text("ALTER TABLE papers DROP COLUMN IF EXISTS search_vector"))
    connection.execute(text(column_ddl))


def _no_statement_timeout(connection: Connection) -> None:
    # Building an index over a million rows takes longer than the usual statement timeout.
    connection.execute(text("SET LOCAL statement_timeout = 0"))
