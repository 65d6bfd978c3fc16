"""Claims on papers being embedded: how any number of embedding processes share the backlog.

A process claims a batch (one row per paper here, with a lease), embeds it, then stores the
vectors and deletes its claims in one transaction (``release`` then ``embeddings.store``).
A claim is taken only where none is live, so two processes never embed the same paper; a
process killed mid-batch (kill -9, a lost machine) leaves its rows, which any process takes
over once their lease has passed, so nothing is left behind.

* PostgreSQL: candidates are picked with ``FOR NO KEY UPDATE OF papers SKIP LOCKED``, so
  processes claiming at the same moment take different papers instead of queueing behind one
  another. The claim itself is an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the old lease
  has passed, which PostgreSQL evaluates on the latest committed row: a paper that two
  snapshots both saw free is still claimed once (``RETURNING`` says which ones this process got).
* SQLite has one writer (``Database.write()`` begins with ``BEGIN IMMEDIATE``): claims are
  taken one transaction after another, and the same statements need no row locks.

The backlog is walked in value order (``BacklogCursor``): papers featured on a board (the
latest day first), then every dated paper newest first, then the undated ones. Times are the
processes' own clocks, as for the job leases (storage/jobs.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paperboard.storage.embeddings import PendingPaper, needs_vector, with_vectors
from paperboard.storage.schema import embedding_claims, featured, papers

# The walk's tiers, in the order they are embedded.
FEATURED, DATED, UNDATED, DONE = range(4)


@dataclass(frozen=True, slots=True)
class BacklogCursor:
    """Where one process's walk of the backlog is. Featured papers are few (a board's worth
    a day), so that tier is asked again from its top until it runs dry; the other two are
    key-set walks, so each claim costs what it returns plus what it steps over once."""

    tier: int = FEATURED
    published_at: datetime | None = None
    paper_id: int | None = None

    @property
    def done(self) -> bool:
        return self.tier == DONE


@dataclass(frozen=True, slots=True)
class ClaimHolder:
    holder: str
    papers: int
    lease_until: datetime  # the latest of its claims


def claim(
    connection: Connection,
    model: str,
    holder: str,
    now: datetime,
    lease_s: float,
    limit: int,
    cursor: BacklogCursor,
) -> tuple[list[PendingPaper], BacklogCursor]:
    """Claim up to ``limit`` papers that need a vector of ``model`` and carry no live claim,
    from ``cursor`` on; returns them and where the walk is now (``done`` at its end)."""
    until = now + timedelta(seconds=lease_s)
    claimed: list[PendingPaper] = []
    while len(claimed) < limit and not cursor.done:
        wanted = limit - len(claimed)
        rows = connection.execute(_candidates(connection, model, now, cursor, wanted)).all()
        taken = _take(connection, [row.id for row in rows], holder, until, now)
        claimed.extend(
            PendingPaper(row.id, row.title, row.abstract, row.content_hash)
            for row in rows
            if row.id in taken
        )
        if len(rows) < wanted or (cursor.tier == FEATURED and not taken):
            # This tier is used up (or, for the featured tier asked from its top each time,
            # all it offered was claimed by others meanwhile): on to the next.
            cursor = BacklogCursor(cursor.tier + 1)
        elif cursor.tier != FEATURED:
            last = rows[-1]
            cursor = BacklogCursor(cursor.tier, last.published_at, last.id)
    return claimed, cursor


def _candidates(
    connection: Connection, model: str, now: datetime, cursor: BacklogCursor, limit: int
) -> Select[Any]:
    source = with_vectors().outerjoin(embedding_claims, embedding_claims.c.paper_id == papers.c.id)
    free = or_(embedding_claims.c.paper_id.is_(None), embedding_claims.c.lease_until < now)
    columns = (
        papers.c.id,
        papers.c.title,
        papers.c.abstract,
        papers.c.content_hash,
        papers.c.published_at,
    )
    if cursor.tier == FEATURED:
        latest = (
            select(featured.c.paper_id, func.max(featured.c.day).label("day"))
            .group_by(featured.c.paper_id)
            .subquery("latest_featured")
        )
        query = (
            select(*columns)
            .select_from(source.join(latest, latest.c.paper_id == papers.c.id))
            .order_by(latest.c.day.desc(), papers.c.id.desc())
        )
    elif cursor.tier == DATED:
        query = (
            select(*columns)
            .select_from(source)
            .where(papers.c.published_at.is_not(None))
            .order_by(papers.c.published_at.desc(), papers.c.id.desc())
        )
        if cursor.published_at is not None and cursor.paper_id is not None:
            # The first condition alone is what an index on published_at can range over.
            query = query.where(
                papers.c.published_at <= cursor.published_at,
                or_(
                    papers.c.published_at < cursor.published_at,
                    papers.c.id < cursor.paper_id,
                ),
            )
    else:
        query = (
            select(*columns)
            .select_from(source)
            .where(papers.c.published_at.is_(None))
            .order_by(papers.c.id.desc())
        )
        if cursor.paper_id is not None:
            query = query.where(papers.c.id < cursor.paper_id)
    query = query.where(needs_vector(model), free).limit(limit)
    if connection.dialect.name == "postgresql":
        # NO KEY UPDATE: the lock does not conflict with the key-share lock that storing a
        # vector (a foreign key to papers) takes.
        query = query.with_for_update(of=papers, skip_locked=True, key_share=True)
    return query


def _take(
    connection: Connection, paper_ids: Sequence[int], holder: str, until: datetime, now: datetime
) -> set[int]:
    """Claim ``paper_ids`` where no live claim exists; the ids this holder got."""
    if not paper_ids:
        return set()
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(embedding_claims).values(
        [{"paper_id": paper_id, "holder": holder, "lease_until": until} for paper_id in paper_ids]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[embedding_claims.c.paper_id],
        set_={"holder": statement.excluded.holder, "lease_until": statement.excluded.lease_until},
        where=embedding_claims.c.lease_until < now,
    ).returning(embedding_claims.c.paper_id)
    return set(connection.execute(statement).scalars())


def renew(connection: Connection, holder: str, paper_ids: Collection[int], until: datetime) -> int:
    """Extend ``holder``'s claims on ``paper_ids`` to ``until``; how many it still held."""
    statement = (
        update(embedding_claims)
        .where(embedding_claims.c.holder == holder, embedding_claims.c.paper_id.in_(paper_ids))
        .values(lease_until=until)
    )
    return connection.execute(statement).rowcount


def release(connection: Connection, holder: str, paper_ids: Collection[int]) -> set[int]:
    """Delete ``holder``'s claims on ``paper_ids``; the ids it still held (a claim whose
    lease passed may have been taken over: its new holder stores that vector)."""
    if not paper_ids:
        return set()
    statement = (
        delete(embedding_claims)
        .where(embedding_claims.c.holder == holder, embedding_claims.c.paper_id.in_(paper_ids))
        .returning(embedding_claims.c.paper_id)
    )
    return set(connection.execute(statement).scalars())


def holders(connection: Connection) -> list[ClaimHolder]:
    """Who holds claims (live or not): a few rows, one per embedding process."""
    query = select(
        embedding_claims.c.holder, func.count(), func.max(embedding_claims.c.lease_until)
    ).group_by(embedding_claims.c.holder)
    return [ClaimHolder(*row) for row in connection.execute(query)]


def drop_holders(connection: Connection, names: Collection[str]) -> int:
    """Delete every claim of ``names`` (processes known to be dead); how many."""
    if not names:
        return 0
    statement = delete(embedding_claims).where(embedding_claims.c.holder.in_(names))
    return connection.execute(statement).rowcount


def count_live(connection: Connection, now: datetime) -> int:
    """Papers being embedded right now (claims whose lease has not passed)."""
    query = select(func.count()).select_from(embedding_claims)
    query = query.where(embedding_claims.c.lease_until >= now)
    return connection.execute(query).scalar_one()


def count_expired(connection: Connection, now: datetime) -> int:
    """Claims left by processes that stopped renewing them: any process may take them."""
    query = select(func.count()).select_from(embedding_claims)
    query = query.where(embedding_claims.c.lease_until < now)
    return connection.execute(query).scalar_one()
