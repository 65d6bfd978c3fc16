"""Upvotes: one row per (user, paper), kept exact under concurrency by the database.

``add``/``remove`` run inside the caller's write transaction together with
``board.refresh_counters``: the paper's row is locked first (``lock_paper``), so on
PostgreSQL the counter's recount runs after any concurrent vote on the same paper committed
(READ COMMITTED takes a fresh snapshot per statement); SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.schema import papers, votes


def lock_paper(connection: Connection, paper_id: int) -> bool:
    """Lock the paper's row until the transaction ends (SQLite: a no-op; its write lock is
    already held). False if the paper does not exist."""
    query = select(papers.c.id).where(papers.c.id == paper_id).with_for_update()
    return connection.execute(query).first() is not None


def add(connection: Connection, user_id: int, paper_id: int, now: datetime) -> bool:
    """Record a vote; False if this user's vote was already there (the constraint decides)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(votes)
        .values(user_id=user_id, paper_id=paper_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT that returns rows.
        .returning(votes.c.id)
    )
    return connection.execute(statement).first() is not None


def remove(connection: Connection, user_id: int, paper_id: int) -> bool:
    """Withdraw a vote; False if there was none."""
    statement = delete(votes).where(votes.c.user_id == user_id, votes.c.paper_id == paper_id)
    return connection.execute(statement).rowcount == 1


def paper_upvotes(connection: Connection, paper_id: int) -> int:
    """The paper's counter (imported + local votes) as ``refresh_counters`` left it."""
    return connection.execute(select(papers.c.upvotes).where(papers.c.id == paper_id)).scalar_one()


def has_voted(connection: Connection, user_id: int, paper_id: int) -> bool:
    query = select(votes.c.id).where(votes.c.user_id == user_id, votes.c.paper_id == paper_id)
    return connection.execute(query).first() is not None


def voted_paper_ids(connection: Connection, user_id: int) -> set[int]:
    """Every paper this user upvoted (the unique index on (user_id, paper_id) covers it)."""
    query = select(votes.c.paper_id).where(votes.c.user_id == user_id)
    return {paper_id for (paper_id,) in connection.execute(query)}


def count_for(connection: Connection, paper_id: int) -> int:
    query = select(func.count()).select_from(votes).where(votes.c.paper_id == paper_id)
    return connection.execute(query).scalar_one()


def vote_times(connection: Connection, paper_id: int) -> list[datetime]:
    """When each standing vote on the paper was cast, oldest first (the history chart)."""
    query = (
        select(votes.c.created_at)
        .where(votes.c.paper_id == paper_id)
        .order_by(votes.c.created_at, votes.c.id)
    )
    return [moment for (moment,) in connection.execute(query)]


def voted_arxiv_ids(connection: Connection, user_id: int, limit: int) -> list[str]:
    """The papers a user upvoted, most recent vote first."""
    query = (
        select(papers.c.arxiv_id)
        .join(votes, votes.c.paper_id == papers.c.id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
        .limit(limit)
    )
    return [arxiv_id for (arxiv_id,) in connection.execute(query)]
