"""Papers people submit to a day's board: featured rows with a submitter (``featured`` table)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.schema import featured, papers

# Featured rows made through paperboard itself (the submit page and API; curators' button).
SUBMISSION = "submission"
CURATOR = "curator"
LOCAL_SOURCES = (SUBMISSION, CURATOR)


def first_entry_day(connection: Connection, paper_id: int) -> date | None:
    """The first day the paper was featured on (None: never)."""
    query = (
        select(featured.c.day)
        .where(featured.c.paper_id == paper_id)
        .order_by(featured.c.day, featured.c.id)
        .limit(1)
    )
    return connection.execute(query).scalar_one_or_none()


def add_entry(
    connection: Connection,
    *,
    paper_id: int,
    day: date,
    by: str,
    by_fullname: str,
    source: str,
    now: datetime,
) -> bool:
    """Feature the paper on ``day``; False if it already was (the unique constraint decides,
    so two people submitting one paper at once make one entry)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(featured)
        .values(
            paper_id=paper_id,
            day=day,
            featured_by=by,
            featured_by_fullname=by_fullname,
            featured_at=now,
            source=source,
            imported_upvotes=0,
            imported_comments=0,
        )
        .on_conflict_do_nothing(index_elements=["day", "paper_id"])
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT that returns rows.
        .returning(featured.c.id)
    )
    return connection.execute(statement).first() is not None


def submitted_arxiv_ids(connection: Connection, username: str, limit: int) -> list[str]:
    """Papers a user submitted or featured here, most recent first (their profile)."""
    query = (
        select(papers.c.arxiv_id, featured.c.featured_at)
        .join(featured, featured.c.paper_id == papers.c.id)
        .where(featured.c.featured_by == username, featured.c.source.in_(LOCAL_SOURCES))
        .order_by(featured.c.featured_at.desc(), featured.c.id.desc())
        .limit(limit)
    )
    return list(dict.fromkeys(arxiv_id for arxiv_id, _ in connection.execute(query)))
