"""Follows, private feed tokens, and the public upvotes a followed user's feed lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.domain.follows import Follow
from paperboard.storage.schema import feed_tokens, follows, papers, users, votes
from paperboard.storage.users import USER_COLUMNS, User, row_to_user

_FOLLOW_COLUMNS = (follows.c.id, follows.c.kind, follows.c.value, follows.c.created_at)


def _insert(connection: Connection) -> Any:
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert


def add(connection: Connection, user_id: int, kind: str, value: str, now: datetime) -> Follow:
    """The follow, new or the one already there (the unique constraint decides)."""
    statement = (
        _insert(connection)(follows)
        .values(user_id=user_id, kind=kind, value=value, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "value"])
    )
    connection.execute(statement)
    query = select(*_FOLLOW_COLUMNS).where(
        follows.c.user_id == user_id, follows.c.kind == kind, follows.c.value == value
    )
    return Follow(*connection.execute(query).one())


def count_of(connection: Connection, user_id: int) -> int:
    return connection.execute(select(func.count()).where(follows.c.user_id == user_id)).scalar_one()


def follows_of(connection: Connection, user_id: int) -> list[Follow]:
    """Oldest first: the order they were followed in."""
    query = (
        select(*_FOLLOW_COLUMNS)
        .where(follows.c.user_id == user_id)
        .order_by(follows.c.created_at, follows.c.id)
    )
    return [Follow(*row) for row in connection.execute(query)]


def remove(connection: Connection, user_id: int, follow_id: int) -> bool:
    statement = delete(follows).where(follows.c.id == follow_id, follows.c.user_id == user_id)
    return connection.execute(statement).rowcount == 1


def public_upvotes(connection: Connection, username_key: str, limit: int) -> list[str]:
    """The arXiv ids a user upvoted, newest vote first, if they show their votes publicly and
    their account is active; empty otherwise."""
    query = (
        select(papers.c.arxiv_id)
        .join(votes, votes.c.paper_id == papers.c.id)
        .join(users, users.c.id == votes.c.user_id)
        .where(
            users.c.username_key == username_key,
            users.c.votes_public.is_(True),
            users.c.disabled_at.is_(None),
        )
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
        .limit(limit)
    )
    return [arxiv_id for (arxiv_id,) in connection.execute(query)]


# A followed user's votes that "for you" looks at: their most recent ones.
MAX_FOLLOWED_VOTES = 5_000


def voters_among(
    connection: Connection, username_keys: list[str], paper_ids: list[int]
) -> dict[int, list[str]]:
    """paper id -> usernames (of ``username_keys``, public voters only) who upvoted it, among
    ``paper_ids``. One query for the users' recent votes, matched here: the candidates of a
    month are ~25,000 ids, which an IN list would cost more to send than these votes."""
    found: dict[int, list[str]] = {}
    if not username_keys:
        return found
    query = (
        select(votes.c.paper_id, users.c.username)
        .join(users, users.c.id == votes.c.user_id)
        .where(
            users.c.username_key.in_(username_keys),
            users.c.votes_public.is_(True),
            users.c.disabled_at.is_(None),
        )
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
        .limit(MAX_FOLLOWED_VOTES * len(username_keys))
    )
    wanted = set(paper_ids)
    for paper_id, username in connection.execute(query):
        if paper_id in wanted:
            found.setdefault(paper_id, []).append(username)
    for names in found.values():
        names.sort()
    return found


# --- private feed tokens --------------------------------------------------------------------


def set_feed_token(connection: Connection, user_id: int, token_hash: str, now: datetime) -> None:
    """The user's one feed token, replacing any earlier one."""
    insert = _insert(connection)(feed_tokens).values(
        user_id=user_id, token_hash=token_hash, created_at=now
    )
    statement = insert.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"token_hash": insert.excluded.token_hash, "created_at": insert.excluded.created_at},
    )
    connection.execute(statement)


def delete_feed_token(connection: Connection, user_id: int) -> bool:
    return (
        connection.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id)).rowcount
        == 1
    )


def feed_token_created(connection: Connection, user_id: int) -> datetime | None:
    query = select(feed_tokens.c.created_at).where(feed_tokens.c.user_id == user_id)
    return connection.execute(query).scalar()


def user_for_feed_token(connection: Connection, token_hash: str) -> User | None:
    query = (
        select(*USER_COLUMNS)
        .join(feed_tokens, feed_tokens.c.user_id == users.c.id)
        .where(feed_tokens.c.token_hash == token_hash)
    )
    row = connection.execute(query).first()
    return row_to_user(row) if row else None
