"""Creating the database engine for SQLite (embedded default) or PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

# SQLite waits this long for a writer lock instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A runaway query on PostgreSQL is cancelled instead of holding a connection forever.
POSTGRES_STATEMENT_TIMEOUT_MS = 30_000
POSTGRES_POOL_SIZE = 10


def driver_url(url: str) -> str:
    """Map ``postgresql://`` to the psycopg 3 driver; leave other URLs as they are."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = driver_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options = kwargs.pop("connect_args", {})
    options.setdefault("options", f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}")
    return create_engine(
        url,
        pool_size=kwargs.pop("pool_size", POSTGRES_POOL_SIZE),
        pool_pre_ping=True,
        connect_args=options,
        **kwargs,
    )


def _sqlite_begin(connection: Any) -> None:
    # pysqlite's own transaction handling is switched off (see _sqlite_pragmas) so that
    # transactions are explicit. Writers ask for BEGIN IMMEDIATE (execution option
    # ``sqlite_immediate``): the write lock is taken up front, so two writers queue on the busy
    # timeout instead of deadlocking when a read lock is upgraded. Readers stay concurrent.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cursor.close()
