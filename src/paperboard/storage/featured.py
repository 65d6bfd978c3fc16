"""Featured entries: which paper was on which day's board, by whom."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, tuple_, update

from paperboard.domain.paper import FeaturedRecord
from paperboard.storage.schema import featured, papers


def existing(
    connection: Connection, keys: Sequence[tuple[date, int]]
) -> dict[tuple[date, int], tuple[int, int, int]]:
    """(day, paper_id) -> (row id, imported upvotes, imported comments) for stored entries."""
    found: dict[tuple[date, int], tuple[int, int, int]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(
            featured.c.day,
            featured.c.paper_id,
            featured.c.id,
            featured.c.imported_upvotes,
            featured.c.imported_comments,
        ).where(tuple_(featured.c.day, featured.c.paper_id).in_(chunk))
        for day, paper_id, row_id, upvotes, comments in connection.execute(query):
            found[(day, paper_id)] = (row_id, upvotes, comments)
    return found


def insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(featured.insert(), rows)


def update_counts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """rows: {"key": row id, "imported_upvotes": n, "imported_comments": n}."""
    if rows:
        statement = (
            update(featured)
            .where(featured.c.id == bindparam("key"))
            .values(
                imported_upvotes=bindparam("imported_upvotes"),
                imported_comments=bindparam("imported_comments"),
            )
        )
        connection.execute(statement, rows)


def row_for(record: FeaturedRecord, paper_id: int, now: datetime) -> dict[str, Any]:
    return {
        "paper_id": paper_id,
        "day": record.day,
        "featured_by": record.submitted_by,
        "featured_by_fullname": record.submitted_by_fullname,
        "featured_at": record.featured_at or now,
        "source": record.source,
        "imported_upvotes": record.upvotes,
        "imported_comments": record.num_comments,
    }


def count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(featured)).scalar_one()


def days_count(connection: Connection) -> int:
    return connection.execute(select(func.count(func.distinct(featured.c.day)))).scalar_one()


def iter_all(connection: Connection) -> Iterator[FeaturedRecord]:
    query = (
        select(featured, papers.c.arxiv_id)
        .join(papers, papers.c.id == featured.c.paper_id)
        .order_by(featured.c.id)
    )
    for row in connection.execute(query):
        yield FeaturedRecord(
            arxiv_id=row.arxiv_id,
            day=row.day,
            submitted_by=row.featured_by,
            submitted_by_fullname=row.featured_by_fullname,
            featured_at=row.featured_at,
            upvotes=row.imported_upvotes,
            num_comments=row.imported_comments,
            source=row.source,
        )
