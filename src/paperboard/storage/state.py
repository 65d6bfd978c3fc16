"""Checkpoints of live sources (key -> value), written in the same transaction as the data."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from paperboard.storage.schema import ingest_state


def get(connection: Connection, key: str) -> str | None:
    query = select(ingest_state.c.value).where(ingest_state.c.key == key)
    return connection.execute(query).scalar_one_or_none()


def put(connection: Connection, key: str, value: str) -> None:
    connection.execute(delete(ingest_state).where(ingest_state.c.key == key))
    connection.execute(
        ingest_state.insert().values(key=key, value=value, updated_at=datetime.now(UTC))
    )
