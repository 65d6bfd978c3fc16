"""What "for you" reads: dismissals, the user's weights, and the candidates of a window with
their features (ids, authors, categories, counters) but not their texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Text, delete, func, select, type_coerce
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
    categories: str  # space-separated, primary first
    upvotes: int


# A date no paper is announced on: ``coalesce(announced_on, NEVER) = NEVER`` is "has no day"
# written so that SQLite does not answer it through the announced_on index, which on a
# snapshot-loaded database (no paper has a day) read every paper: 150 ms at 88,864.
NEVER = date(1, 1, 1)


def announced_between(
    connection: Connection, since: date, until: date, limit: int
) -> list[CandidateRow]:
    """Papers announced in [since, until] (papers without an announcement day, as from the
    bulk snapshot: published then), newest first, at most ``limit``: two range scans, one per
    date column. Only the columns scoring reads: each costs per row at a month's ~25,000."""
    columns = (
        papers.c.id,
        type_coerce(papers.c.authors, Text),
        papers.c.categories,
        papers.c.upvotes,
    )
    announced = (
        select(*columns)
        .where(papers.c.announced_on >= since, papers.c.announced_on <= until)
        .order_by(papers.c.announced_on.desc(), papers.c.id.desc())
        .limit(limit)
    )
    rows = connection.execute(announced).all()
    if len(rows) < limit:
        start = datetime.combine(since, datetime.min.time(), UTC)
        end = datetime.combine(until, datetime.min.time(), UTC) + timedelta(days=1)
        undated = (
            select(*columns)
            .where(
                papers.c.published_at >= start,
                papers.c.published_at < end,
                func.coalesce(papers.c.announced_on, NEVER) == NEVER,
            )
            .order_by(papers.c.published_at.desc(), papers.c.id.desc())
            .limit(limit - len(rows))
        )
        rows += connection.execute(undated).all()
    return [CandidateRow(*row) for row in rows]


def featured_since(connection: Connection, since: datetime) -> dict[int, datetime]:
    """paper id -> when it was last put on a board, for papers put on one since ``since``
    (the trending signal): one range of ix_featured_featured_at, a few hundred rows a week."""
    query = select(featured.c.paper_id, featured.c.featured_at).where(
        featured.c.featured_at >= since
    )
    found: dict[int, datetime] = {}
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
