"""Board queries: featured entries of a period, trending candidates, day navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from paperboard.domain.paper import PaperRecord
from paperboard.storage.papers import row_to_record
from paperboard.storage.schema import comments, featured, papers, votes


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """A featured paper as a board shows it."""

    paper: PaperRecord
    paper_id: int
    day: date
    featured_at: datetime
    featured_by: str | None
    featured_by_fullname: str | None
    source: str
    upvotes: int
    num_comments: int  # imported (Hugging Face) plus local: the API's numComments
    local_comments: int  # the thread on the paper page

    @property
    def published_at(self) -> datetime | None:
        return self.paper.published_at


_ENTRY_COLUMNS = (
    featured.c.day,
    featured.c.featured_at,
    featured.c.featured_by,
    featured.c.featured_by_fullname,
    featured.c.source,
)


def _entry(row: Any) -> BoardEntry:
    data = row._mapping
    return BoardEntry(
        paper=row_to_record(data),
        paper_id=data["id"],
        day=data["day"],
        featured_at=data["featured_at"],
        featured_by=data["featured_by"],
        featured_by_fullname=data["featured_by_fullname"],
        source=data["source"],
        upvotes=data["upvotes"],
        num_comments=data["num_comments"],
        local_comments=data["local_comments"],
    )


def entries_between(
    connection: Connection, start: date, end: date, *, submitter: str | None = None
) -> list[BoardEntry]:
    """Featured entries with start <= day <= end; a paper featured twice appears once
    (its first day in the period). Unsorted: ranking is the domain's job."""
    query = (
        select(papers, *_ENTRY_COLUMNS)
        .join(featured, featured.c.paper_id == papers.c.id)
        .where(featured.c.day >= start, featured.c.day <= end)
        .order_by(featured.c.day)
    )
    if submitter is not None:
        if "\x00" in submitter:
            # No stored name holds a NUL, and PostgreSQL refuses one in a query (a 500 for
            # /api/daily_papers?submitter=%00): nothing matches.
            return []
        query = query.where(featured.c.featured_by == submitter)
    seen: dict[int, BoardEntry] = {}
    for row in connection.execute(query):
        if row.id not in seen:
            seen[row.id] = _entry(row)
    return list(seen.values())


def entries_on_days(connection: Connection, first: date, last: date) -> list[BoardEntry]:
    """Entries on the boards of ``first`` .. ``last`` (trending candidates), one per paper: its
    latest board (the latest featuring on that day)."""
    query = (
        select(papers, *_ENTRY_COLUMNS)
        .join(featured, featured.c.paper_id == papers.c.id)
        .where(featured.c.day >= first, featured.c.day <= last)
        .order_by(featured.c.day, featured.c.featured_at)
    )
    latest: dict[int, BoardEntry] = {}
    for row in connection.execute(query):
        latest[row.id] = _entry(row)
    return list(latest.values())


def latest_day(connection: Connection, on_or_before: date | None = None) -> date | None:
    query = select(func.max(featured.c.day))
    if on_or_before is not None:
        query = query.where(featured.c.day <= on_or_before)
    return connection.execute(query).scalar_one_or_none()


def latest_featuring(connection: Connection, on_or_before: date) -> tuple[date, datetime] | None:
    """The latest board day up to ``on_or_before`` and the latest featuring on it."""
    day = latest_day(connection, on_or_before)
    if day is None:
        return None
    query = select(func.max(featured.c.featured_at)).where(featured.c.day == day)
    return day, connection.execute(query).scalar_one()


def day_before(connection: Connection, day: date) -> date | None:
    query = select(func.max(featured.c.day)).where(featured.c.day < day)
    return connection.execute(query).scalar_one_or_none()


def day_after(connection: Connection, day: date) -> date | None:
    query = select(func.min(featured.c.day)).where(featured.c.day > day)
    return connection.execute(query).scalar_one_or_none()


def days_with_entries(connection: Connection, start: date, end: date) -> dict[date, int]:
    """day -> number of featured papers, for a calendar."""
    query = (
        select(featured.c.day, func.count())
        .where(featured.c.day >= start, featured.c.day <= end)
        .group_by(featured.c.day)
    )
    return {day: count for day, count in connection.execute(query)}


def featured_days_of(connection: Connection, paper_id: int) -> list[date]:
    query = select(featured.c.day).where(featured.c.paper_id == paper_id).order_by(featured.c.day)
    return [day for (day,) in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class CounterSources:
    """The stored counters of ``papers`` as SQL expressions correlated with it."""

    upvotes: Any  # the largest count imported (Hugging Face) plus local votes
    num_comments: Any  # the largest count imported plus local_comments
    local_comments: Any  # visible comments of the paper's thread here


def counter_sources() -> CounterSources:
    """The counters computed from their sources. ``refresh_counters`` stores them; ``paperboard
    check`` compares them."""
    imported_upvotes = (
        select(func.coalesce(func.max(featured.c.imported_upvotes), 0))
        .where(featured.c.paper_id == papers.c.id)
        .scalar_subquery()
    )
    imported_comments = (
        select(func.coalesce(func.max(featured.c.imported_comments), 0))
        .where(featured.c.paper_id == papers.c.id)
        .scalar_subquery()
    )
    local_votes = select(func.count()).where(votes.c.paper_id == papers.c.id).scalar_subquery()
    local_comments = (
        select(func.count())
        .where(comments.c.paper_id == papers.c.id, comments.c.deleted_at.is_(None))
        .where(comments.c.hidden_at.is_(None))
        .scalar_subquery()
    )
    return CounterSources(
        upvotes=imported_upvotes + local_votes,
        num_comments=imported_comments + local_comments,
        local_comments=local_comments,
    )


def refresh_counters(connection: Connection, paper_ids: list[int]) -> None:
    """Recompute the upvote and comment counters of these papers from their sources
    (``counter_sources``).

    A vote or comment calls this in its own transaction, after locking the paper's row
    (storage/votes.py explains why that keeps the count exact on PostgreSQL)."""
    sources = counter_sources()
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        connection.execute(
            update(papers)
            .where(papers.c.id.in_(chunk))
            .values(
                upvotes=sources.upvotes,
                num_comments=sources.num_comments,
                local_comments=sources.local_comments,
            )
        )
