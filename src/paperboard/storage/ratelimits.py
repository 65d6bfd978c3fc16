"""Rate-limit counters: one row per (action, who, fixed time window), shared by all processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.schema import rate_limits


def hit(connection: Connection, key: str, expires_at: datetime) -> int:
    """Add one to the counter ``key`` (created at 1) and return its new value, atomically:
    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` is one statement on both backends."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(rate_limits).values(key=key, count=1, expires_at=expires_at)
    statement = insert.on_conflict_do_update(
        index_elements=["key"], set_={"count": rate_limits.c.count + 1}
    ).returning(rate_limits.c.count)
    return connection.execute(statement).scalar_one()


def peek(connection: Connection, key: str) -> int:
    query = select(rate_limits.c.count).where(rate_limits.c.key == key)
    return connection.execute(query).scalar_one_or_none() or 0


def purge_expired(connection: Connection, now: datetime) -> int:
    return connection.execute(delete(rate_limits).where(rate_limits.c.expires_at <= now)).rowcount
