"""``paperboard migrate --to postgresql://...``: copy every table of one database into another.

The usual move is from the embedded SQLite file to PostgreSQL. Tables go in foreign-key order,
in batches (memory stays at one batch), each batch committed on the target: an interrupted
copy is resumed by running it again, and a rerun inserts nothing twice (rows whose primary key
the target already has are skipped). Rows already on the target are not updated: for the final
switch, stop the writers (``serve``, ``worker``) and run it once more.

An empty table with a vector index (``embeddings``: pgvector's HNSW) is the exception: it is
filled in one transaction without the index, which is then built once over all rows, many
times quicker than growing it row by row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from paperboard.domain.secret_text import redact_url
from paperboard.ops.backup import BackupError, sqlite_path
from paperboard.storage import copy as copy_store
from paperboard.storage.database import Database
from paperboard.storage.engine import driver_url

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000

# (table, rows of it copied so far, rows it has on the source)
Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot be made or was refused; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int
    inserted: int  # rows this run added (0 for every table on a complete rerun)

    @property
    def ok(self) -> bool:
        return self.source == self.target


def check_target_url(url: str) -> str:
    """The target URL, normalised; only PostgreSQL is a target (SQLite is where one comes
    from, and copying into a file would gain nothing over ``paperboard backup``)."""
    if url.startswith("postgres://"):  # a common spelling that SQLAlchemy does not accept
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise CopyError(
            f"{redact_url(url)!r} is not a database URL; expected "
            "postgresql://user:pass@host:5432/db"
        ) from None
    if parsed.get_backend_name() != "postgresql":
        raise CopyError(
            f"the target must be PostgreSQL (postgresql://user:pass@host:5432/db), not "
            f"{parsed.get_backend_name()}; to copy a SQLite database use `paperboard backup`"
        )
    if not parsed.database:
        raise CopyError("the target URL names no database: postgresql://user@host:5432/DBNAME")
    return url


def copy_to_url(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> list[TableCount]:
    """``paperboard migrate``: check both ends, open them (which migrates the target), copy.
    A ``CopyError`` says why it cannot be done; nothing is created on the source side."""
    target_url = check_target_url(target_url)
    if make_url(source_url).get_backend_name() == "sqlite":
        try:
            source_file = sqlite_path(source_url)
        except BackupError as exc:
            raise CopyError(str(exc)) from None
        if not source_file.is_file():
            raise CopyError(f"no database at {source_file}: nothing to copy")
    source = Database(source_url)
    try:
        try:
            target = Database(target_url)  # migrates it to the current schema
        except (DBAPIError, RuntimeError) as exc:
            raise CopyError(f"cannot use the target database: {_first_line(exc)}") from None
        try:
            return copy_database(source, target, batch_size=batch_size, progress=progress)
        finally:
            target.dispose()
    finally:
        source.dispose()


def _first_line(exc: BaseException) -> str:
    origin = getattr(exc, "orig", None) or exc
    return str(origin).strip().splitlines()[0] if str(origin).strip() else type(exc).__name__


def same_database(first: str, second: str) -> bool:
    return make_url(driver_url(first)) == make_url(driver_url(second))


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One read transaction over the whole copy, so the tables agree with each other (a vote
    never arrives without its paper) while ``serve`` keeps writing to the source."""
    with db.engine.connect() as connection:
        if not db.is_sqlite:
            # SQLite's WAL gives a transaction a snapshot already; PostgreSQL needs asking.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def copy_database(
    source: Database,
    target: Database,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> list[TableCount]:
    """Copy every table from ``source`` into ``target`` (migrated already: ``Database`` does
    that on opening), reset the target's id sequences, and count both sides."""
    if target.dialect != "postgresql":
        raise CopyError(f"the target must be PostgreSQL, not {target.dialect}")
    if same_database(source.url, target.url):
        raise CopyError("the target is the configured database itself")
    inserted: dict[str, int] = {}
    source_rows: dict[str, int] = {}
    with _snapshot(source) as reader:
        for table in copy_store.tables_in_copy_order():
            source_rows[table.name] = copy_store.count_rows(reader, table)
            inserted[table.name] = _copy_table(
                reader, target, table, batch_size, source_rows[table.name], progress
            )
    with target.write() as writer:
        for table in copy_store.tables_in_copy_order():
            copy_store.reset_sequences(writer, table)
    with target.read() as connection:
        return [
            TableCount(
                table.name,
                source_rows[table.name],
                copy_store.count_rows(connection, table),
                inserted[table.name],
            )
            for table in copy_store.tables_in_copy_order()
        ]


def _copy_table(
    reader: Connection,
    target: Database,
    table: Table,
    batch_size: int,
    total: int,
    progress: Progress | None,
) -> int:
    with target.read() as connection:
        deferred = (
            copy_store.vector_indexes(connection, table)
            if total and copy_store.count_rows(connection, table) == 0
            else []
        )
    try:
        if deferred:
            inserted = _load_then_index(
                reader, target, table, batch_size, total, deferred, progress
            )
        else:
            inserted = _copy_in_batches(reader, target, table, batch_size, total, progress)
    except IntegrityError as exc:
        raise CopyError(
            f"table {table.name}: the target already holds different rows "
            f"({str(exc.orig).splitlines()[0]}); copy into an empty database "
            f"(batches committed before this one stay there)"
        ) from None
    return inserted


def _copy_in_batches(
    reader: Connection,
    target: Database,
    table: Table,
    batch_size: int,
    total: int,
    progress: Progress | None,
) -> int:
    """One commit per batch: an interrupted copy keeps what it did, and a rerun goes on."""
    seen = inserted = 0
    for batch in copy_store.iter_batches(reader, table, batch_size):
        with target.write() as writer:
            copy_store.lift_statement_timeout(writer)
            inserted += copy_store.insert_missing(writer, table, batch)
        seen += len(batch)
        if progress is not None:
            progress(table.name, seen, total)
    if progress is not None and seen == 0:
        progress(table.name, 0, total)  # an empty table is reported too
    return inserted


def _load_then_index(
    reader: Connection,
    target: Database,
    table: Table,
    batch_size: int,
    total: int,
    deferred: list[tuple[str, str]],
    progress: Progress | None,
) -> int:
    """Fill an empty table without its vector indexes, then build them, in one transaction:
    PostgreSQL's DDL is transactional, so an interruption (even kill -9) rolls it all back and
    leaves the table empty with its indexes, as before; the rerun starts the table afresh."""
    seen = inserted = 0
    with target.write() as writer:
        copy_store.lift_statement_timeout(writer)
        for name, _definition in deferred:
            copy_store.drop_index(writer, name)
        for batch in copy_store.iter_batches(reader, table, batch_size):
            inserted += copy_store.insert_missing(writer, table, batch)
            seen += len(batch)
            if progress is not None:
                progress(table.name, seen, total)
        for name, definition in deferred:
            log.info("%s: building the index %s over %s rows", table.name, name, f"{seen:,}")
            copy_store.create_index(writer, definition)
    return inserted
