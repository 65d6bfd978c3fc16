"""Applying migrations (Alembic) programmatically: on start and by ``paperboard db upgrade``."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

SCRIPT_LOCATION = "paperboard.storage:migrations"
# Any fixed number: PostgreSQL advisory locks are keyed by a bigint shared by the database.
MIGRATION_LOCK_KEY = 0x7061706572  # "paper"


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(_config(None))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time: several `serve`/`worker` processes starting together
    on a fresh database would otherwise run the same migration at once, and all but one
    fail. PostgreSQL: an advisory lock; SQLite: an OS lock on a file beside the database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; each migration runs in its own transaction."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    with migration_lock(engine):
        # Another process may have migrated while this one waited for the lock.
        if revision == "head" and current_revision(engine) == head_revision():
            return
        with engine.connect() as connection:
            command.upgrade(_config(connection), revision)
            connection.commit()
