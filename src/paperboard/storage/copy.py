"""Copying rows between two paperboard databases (``paperboard migrate --to``): the SQL part.

Rows are read and written through the SQLAlchemy tables, so every value passes through the
column types (``storage/types.py``): SQLite's naive UTC text becomes ``timestamptz``, float16
bytes become pgvector ``halfvec``, JSON text stays JSON text. Generated columns that exist only
on PostgreSQL (``papers.search_vector``) are not in the tables and fill themselves in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, Table, func, select, text, tuple_
from sqlalchemy.dialects import postgresql

from paperboard.storage.schema import metadata


def tables_in_copy_order() -> list[Table]:
    """Every paperboard table, parents before children (foreign keys are satisfied as rows
    arrive). Alembic's own ``alembic_version`` is not among them: each side keeps its own."""
    return list(metadata.sorted_tables)


def count_rows(connection: Connection, table: Table) -> int:
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _key(table: Table) -> Sequence[Column[Any]]:
    key = list(table.primary_key.columns)
    if not key:
        # Keyset paging and ON CONFLICT both need a key; every table in schema.py has one.
        raise ValueError(f"table {table.name} has no primary key")
    return key


def iter_batches(
    connection: Connection, table: Table, batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, ``batch_size`` at a time.

    Keyset paging (``WHERE key > last``) reads each batch through the primary-key index, so a
    batch costs what it returns however deep into the table it is, and memory stays at one
    batch. Run inside one transaction for a consistent snapshot (SQLite WAL, PostgreSQL's
    REPEATABLE READ) while other processes write.
    """
    key = _key(table)
    last: tuple[Any, ...] | None = None
    while True:
        query = select(table).order_by(*key).limit(batch_size)
        if last is not None:
            query = query.where(key[0] > last[0] if len(key) == 1 else tuple_(*key) > tuple_(*last))
        rows = [dict(row._mapping) for row in connection.execute(query)]
        if not rows:
            return
        yield rows
        last = _key_of(rows[-1], key)
        if len(rows) < batch_size:
            return


def _key_of(row: dict[str, Any], key: Sequence[Column[Any]]) -> tuple[Any, ...]:
    return tuple(row[column.name] for column in key)


def _existing_keys(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """The keys the target already has between the batch's first and last key (the batch is
    in key order): one range scan of the primary-key index.

    Text keys may sort differently on the two sides (SQLite compares bytes, PostgreSQL by its
    collation): then the range misses some, and ``ON CONFLICT`` skips those rows instead.
    """
    key = _key(table)
    low, high = _key_of(rows[0], key), _key_of(rows[-1], key)
    if len(key) == 1:
        where = key[0].between(low[0], high[0])
    else:
        where = (tuple_(*key) >= tuple_(*low)) & (tuple_(*key) <= tuple_(*high))
    return {tuple(row) for row in connection.execute(select(*key).where(where))}


def insert_missing(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose primary key the target lacks; returns how many were new.

    PostgreSQL only (the target of a copy); ``rows`` in key order, as ``iter_batches`` gives
    them. Rows the target has are left out before the insert, so a rerun over a finished copy
    costs a range scan per batch. The conflict target is the primary key alone: a row that
    collides on another unique constraint (an email, an arXiv id held by a different row) is
    an error, not silently dropped, because it means the target holds other data.
    """
    if not rows:
        return 0
    key = _key(table)
    existing = _existing_keys(connection, table, rows)
    missing = [row for row in rows if _key_of(row, key) not in existing]
    if not missing:
        return 0
    statement = (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=[column.name for column in key])
        .returning(*key)
    )
    return len(connection.execute(statement, missing).all())


def reset_sequences(connection: Connection, table: Table) -> int | None:
    """Point the table's id sequence (serial or identity) past its largest id, so that rows
    inserted after a copy get fresh ids; returns the next id, None for tables without one.

    PostgreSQL only. ``setval(..., is_called => false)`` makes ``max(id) + 1`` the next value
    handed out (1 for an empty table).
    """
    key = _key(table)
    if len(key) != 1 or not isinstance(key[0].type, Integer):
        return None
    column = key[0]
    sequence = connection.execute(
        select(func.pg_get_serial_sequence(table.name, column.name))
    ).scalar_one()
    if sequence is None:
        return None
    return connection.execute(
        text(
            f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
            f'FROM "{table.name}"), 0) + 1, false)'
        ),
        {"sequence": sequence},
    ).scalar_one()


def lift_statement_timeout(connection: Connection) -> None:
    """No statement limit in this transaction (PostgreSQL): the engine's 30 s guards web
    requests, while a copy's batch or an index build over millions of rows may take longer."""
    connection.execute(text("SET LOCAL statement_timeout = 0"))


def vector_indexes(connection: Connection, table: Table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's approximate-nearest-neighbour indexes
    (pgvector's hnsw and ivfflat) on PostgreSQL.

    Filling an empty table and then building such an index is much quicker than inserting
    row by row into it (pgvector's own advice for an initial load).
    """
    query = text(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() AND tablename = :table "
        "AND indexdef ~* 'USING (hnsw|ivfflat)'"
    )
    return [
        (name, definition) for name, definition in connection.execute(query, {"table": table.name})
    ]


def drop_index(connection: Connection, name: str) -> None:
    connection.execute(text(f'DROP INDEX "{name}"'))


def create_index(connection: Connection, definition: str) -> None:
    """Run a ``CREATE INDEX`` statement as ``pg_indexes`` gave it."""
    connection.execute(text(definition))
