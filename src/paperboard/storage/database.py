"""The database handle: engine, migrations, and read/write transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from paperboard.storage import migrate
from paperboard.storage.engine import create_db_engine


class Database:
    """One per process. ``read()`` and ``write()`` hand out connections in a transaction."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine: Engine = create_db_engine(url)
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
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        engine = self.engine.execution_options(sqlite_immediate=True)
        with engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
