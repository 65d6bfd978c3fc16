"""The database handle: engine, migrations, and read/write transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from paperboard.storage import migrate
from paperboard.storage.engine import create_db_engine


class Database:
    """One per process. ``write()`` hands out a connection in a transaction, ``read()`` one
    for reading (a transaction on SQLite, autocommit on PostgreSQL)."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine: Engine = create_db_engine(url)
        # PostgreSQL reads run in autocommit: each statement takes its own snapshot, exactly as
        # in the READ COMMITTED transaction it ran in before, but without the BEGIN and
        # ROLLBACK round trips. A paper page's reads had twice the round trips they needed,
        # and under load each round trip also waits to get the GIL back (bench/pg_load.py).
        # SQLite keeps its read transaction: it is what gives a WAL reader one snapshot.
        self._reader: Engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._shared = threading.local()  # .connection: see shared_reads()
        if upgrade:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Statements that only read (on PostgreSQL each is its own snapshot)."""
        shared = getattr(self._shared, "connection", None)
        if shared is not None:
            yield shared
            return
        with self._reader.connect() as connection:
            yield connection

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Every ``read()`` of this thread inside the block uses one pooled connection.

        Why: a page that reads through several domain calls checked out (and, on PostgreSQL,
        pinged) a connection for each; under load each of those round trips also waits for the
        GIL. Only for straight-line code: a generator suspended inside the block would leave
        its connection visible to whatever runs next on the thread. On SQLite the block's reads
        share one transaction, hence one snapshot.
        """
        if getattr(self._shared, "connection", None) is not None:
            yield
            return
        with self._reader.connect() as connection:
            self._shared.connection = connection
            try:
                yield
            finally:
                self._shared.connection = None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        engine = self.engine.execution_options(sqlite_immediate=True)
        with engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
