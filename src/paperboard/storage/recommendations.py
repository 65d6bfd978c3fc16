"""What "for you" reads: dismissals, the user's weights, and the candidates of a window with
their features (ids, authors, categories, counters) but not their texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Text, delete, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.papers import MAX_IN_LIST
from paperboard.storage.schema import (
    dismissals,
    embeddings,
    featured,
    papers,
    recommendation_settings,
    votes,
)


def _insert(connection: Connection) -> Any:
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert


# --- dismissals ---------------------------------------------------------------------------------


def dismiss(connection: Connection, user_id: int, paper_id: int, now: datetime) -> bool:
    """Record "not interested"; False when it was recorded already."""
    statement = (
        _insert(connection)(dismissals)
        .values(user_id=user_id, paper_id=paper_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        .returning(dismissals.c.paper_id)
    )
    return connection.execute(statement).first() is not None


def undismiss(connection: Connection, user_id: int, paper_id: int) -> bool:
    statement = delete(dismissals).where(
        dismissals.c.user_id == user_id, dismissals.c.paper_id == paper_id
    )
    return connection.execute(statement).rowcount == 1


def dismissed(connection: Connection, user_id: int, limit: int) -> list[int]:
    """Paper ids the user dismissed, most recent first."""
    query = (
        select(dismissals.c.paper_id)
        .where(dismissals.c.user_id == user_id)
        .order_by(dismissals.c.created_at.desc(), dismissals.c.paper_id.desc())
        .limit(limit)
    )
    return [paper_id for (paper_id,) in connection.execute(query)]


def all_dismissed(connection: Connection, user_id: int) -> set[int]:
    query = select(dismissals.c.paper_id).where(dismissals.c.user_id == user_id)
    return {paper_id for (paper_id,) in connection.execute(query)}


def upvoted(connection: Connection, user_id: int, limit: int) -> list[int]:
    """Paper ids the user upvoted, most recent vote first."""
    query = (
        select(votes.c.paper_id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
        .limit(limit)
    )
    return [paper_id for (paper_id,) in connection.execute(query)]


# --- the user's weights ---------------------------------------------------------------------


def weights_of(connection: Connection, user_id: int) -> dict[str, float]:
    query = select(recommendation_settings.c.weights).where(
        recommendation_settings.c.user_id == user_id
    )
    stored = connection.execute(query).scalar()
    return orjson.loads(stored) if stored else {}


def set_weights(
    connection: Connection, user_id: int, weights: dict[str, float], now: datetime
) -> None:
    insert = _insert(connection)(recommendation_settings).values(
        user_id=user_id, weights=orjson.dumps(weights).decode(), updated_at=now
    )
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"weights": insert.excluded.weights, "updated_at": insert.excluded.updated_at},
        )
    )


# --- candidates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateRow:
    paper_id: int
    authors_json: str  # decoded by the caller only when it follows an author
    categories: list[str]
    upvotes: int
    announced_on: date | None
    published_at: datetime | None


def announced_between(
    connection: Connection, since: date, until: date, limit: int
) -> list[CandidateRow]:
    """Papers announced in [since, until] (papers without an announcement day, as from the
    bulk snapshot: published then), newest first, at most ``limit``.

    Two range scans, one per date column. The second does not ask for ``announced_on IS
    NULL`` in SQL: SQLite answered that through the announced_on index, reading every paper
    of a snapshot-loaded database (150 ms at 88,864); papers that have a day are dropped here.
    """
    columns = (
        papers.c.id,
        type_coerce(papers.c.authors, Text).label("authors_json"),
        papers.c.categories,
        papers.c.upvotes,
        papers.c.announced_on,
        papers.c.published_at,
    )
    announced = (
        select(*columns)
        .where(papers.c.announced_on >= since, papers.c.announced_on <= until)
        .order_by(papers.c.announced_on.desc(), papers.c.id.desc())
        .limit(limit)
    )
    rows = list(connection.execute(announced))
    if len(rows) < limit:
        start = datetime.combine(since, datetime.min.time(), UTC)
        end = datetime.combine(until, datetime.min.time(), UTC) + timedelta(days=1)
        published = (
            select(*columns)
            .where(papers.c.published_at >= start, papers.c.published_at < end)
            .order_by(papers.c.published_at.desc(), papers.c.id.desc())
        )
        for row in connection.execute(published):
            if row.announced_on is None:
                rows.append(row)
                if len(rows) == limit:
                    break
    return [
        CandidateRow(
            paper_id=row.id,
            authors_json=row.authors_json,
            categories=row.categories.split() if row.categories else [],
            upvotes=row.upvotes,
            announced_on=row.announced_on,
            published_at=row.published_at,
        )
        for row in rows
    ]


def featured_at(connection: Connection, paper_ids: Sequence[int]) -> dict[int, datetime]:
    """paper id -> when it was last put on a board (for the trending signal)."""
    found: dict[int, datetime] = {}
    for start in range(0, len(paper_ids), MAX_IN_LIST):
        chunk = list(paper_ids[start : start + MAX_IN_LIST])
        query = select(featured.c.paper_id, featured.c.featured_at).where(
            featured.c.paper_id.in_(chunk)
        )
        for paper_id, moment in connection.execute(query):
            if paper_id not in found or moment > found[paper_id]:
                found[paper_id] = moment
    return found


def texts_of(connection: Connection, paper_ids: Sequence[int]) -> dict[int, str]:
    """paper id -> title and abstract, lower-cased (saved searches are matched against it)."""
    found: dict[int, str] = {}
    for start in range(0, len(paper_ids), MAX_IN_LIST):
        chunk = list(paper_ids[start : start + MAX_IN_LIST])
        query = select(papers.c.id, papers.c.title, papers.c.abstract).where(papers.c.id.in_(chunk))
        found.update(
            (paper_id, f"{title}\n{abstract}".lower())
            for paper_id, title, abstract in connection.execute(query)
        )
    return found


def vectors_of(connection: Connection, paper_ids: Sequence[int]) -> dict[int, tuple[str, Any]]:
    """paper id -> (model, float32 vector) of those of ``paper_ids`` that have one."""
    found: dict[int, tuple[str, Any]] = {}
    for start in range(0, len(paper_ids), MAX_IN_LIST):
        chunk = list(paper_ids[start : start + MAX_IN_LIST])
        query = select(embeddings.c.paper_id, embeddings.c.model, embeddings.c.vector).where(
            embeddings.c.paper_id.in_(chunk)
        )
        found.update(
            (paper_id, (model, vector)) for paper_id, model, vector in connection.execute(query)
        )
    return found
