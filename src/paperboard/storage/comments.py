"""Comments on papers: one level of replies, soft deletion by authors, hiding by curators.

A comment counts (``papers.num_comments``, ``board.refresh_counters``) while it is neither
deleted nor hidden; ``VISIBLE`` is that condition, shared with the counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from paperboard.storage.schema import comments, papers, users

VISIBLE = and_(comments.c.deleted_at.is_(None), comments.c.hidden_at.is_(None))


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    paper_id: int
    arxiv_id: str
    user_id: int
    username: str
    author_name: str  # the display name, else the username
    parent_id: int | None
    body: str
    created_at: datetime
    modified_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_by: str | None

    @property
    def visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


def _query() -> Any:
    return (
        select(
            comments,
            papers.c.arxiv_id,
            users.c.username,
            func.coalesce(users.c.display_name, users.c.username).label("author_name"),
        )
        .join(users, users.c.id == comments.c.user_id)
        .join(papers, papers.c.id == comments.c.paper_id)
    )


def _row(row: Any) -> CommentRow:
    data = row._mapping
    return CommentRow(**{name: data[name] for name in CommentRow.__slots__})


def insert(
    connection: Connection,
    *,
    paper_id: int,
    user_id: int,
    parent_id: int | None,
    body: str,
    now: datetime,
) -> int:
    values = {
        "paper_id": paper_id,
        "user_id": user_id,
        "parent_id": parent_id,
        "body": body,
        "created_at": now,
        "modified_at": now,
    }
    return connection.execute(comments.insert().values(values)).inserted_primary_key[0]


def get(connection: Connection, comment_id: int) -> CommentRow | None:
    row = connection.execute(_query().where(comments.c.id == comment_id)).first()
    return _row(row) if row else None


def for_paper(connection: Connection, paper_id: int) -> list[CommentRow]:
    """Every comment on the paper (deleted and hidden ones too), oldest first."""
    query = _query().where(comments.c.paper_id == paper_id)
    return [_row(row) for row in connection.execute(query.order_by(comments.c.id))]


def by_user(connection: Connection, user_id: int, limit: int) -> list[CommentRow]:
    """A user's visible comments, newest first (their profile)."""
    query = (
        _query()
        .where(comments.c.user_id == user_id, VISIBLE)
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
        .limit(limit)
    )
    return [_row(row) for row in connection.execute(query)]


def set_body(connection: Connection, comment_id: int, body: str, now: datetime) -> None:
    statement = (
        update(comments)
        .where(comments.c.id == comment_id)
        .values(body=body, edited_at=now, modified_at=now)
    )
    connection.execute(statement)


def mark_deleted(connection: Connection, comment_id: int, now: datetime) -> None:
    # The text goes; the row stays so that replies keep their place under it.
    statement = (
        update(comments)
        .where(comments.c.id == comment_id)
        .values(body="", deleted_at=now, modified_at=now)
    )
    connection.execute(statement)


def set_hidden(
    connection: Connection, comment_id: int, hidden_by: str | None, now: datetime
) -> None:
    """Hide (``hidden_by`` a curator's username) or show again (None)."""
    statement = (
        update(comments)
        .where(comments.c.id == comment_id)
        .values(
            hidden_at=now if hidden_by else None,
            hidden_by=hidden_by,
            modified_at=now,
        )
    )
    connection.execute(statement)


def count_visible(connection: Connection, paper_id: int) -> int:
    query = (
        select(func.count()).select_from(comments).where(comments.c.paper_id == paper_id, VISIBLE)
    )
    return connection.execute(query).scalar_one()
