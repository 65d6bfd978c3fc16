"""``paperboard backup DEST``: an online, consistent copy of the embedded SQLite database.

SQLite's backup API copies the pages of one read transaction: with WAL, ``serve`` and
``worker`` keep writing meanwhile, and the copy is the database as of the moment it started.
The keyword index and the vector index file are derived from the database and not copied:
after a restore, ``paperboard index rebuild`` rebuilds the first, the second catches up by
itself (docs/operations.md). PostgreSQL is backed up with its own tools (``pg_dump``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from paperboard.config import Settings
from paperboard.storage.engine import SQLITE_BUSY_TIMEOUT_MS
from paperboard.storage.secret_key import KEY_FILE_NAME


class BackupError(Exception):
    """The backup cannot be made; the message says why. Nothing was written."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    bytes: int
    papers: int | None  # None: a database without a papers table (never migrated)
    seconds: float


def pg_dump_command(url: str, dest: str) -> str:
    """The ``pg_dump`` command that backs up the PostgreSQL database of ``url``.

    The password is left out: pg_dump reads it from ``PGPASSWORD`` or ``~/.pgpass`` instead of
    a command line that ``ps`` and shell histories show.
    """
    parsed = make_url(url)
    without_password = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    target = without_password.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file={_quote(dest)} {_quote(target)}"


def _quote(value: str) -> str:
    safe = all(c.isalnum() or c in "-_./:@=%+," for c in value)
    return value if safe else "'" + value.replace("'", "'\\''") + "'"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL (an in-memory database has none to back up)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url} is an in-memory database: there is no file to back up")
    return Path(database)


def key_file_to_keep(settings: Settings) -> Path | None:
    """The data dir's signing key file when the links in mails already sent (unsubscribe,
    manage) depend on it: it is not in the database, so a backup of the database lacks it."""
    key_file = settings.data_dir / KEY_FILE_NAME
    return key_file if settings.secret_key is None and key_file.is_file() else None


def destination(dest: Path, now: datetime | None = None) -> Path:
    """``dest`` itself, or inside an existing folder a file named after the time."""
    if dest.is_dir():
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        return dest / f"paperboard-{stamp}.db"
    return dest


def backup_sqlite(source: Path, dest: Path, *, overwrite: bool = False) -> BackupReport:
    """Copy the database file ``source`` to ``dest`` while others may write to it.

    The copy is written under a temporary name, checked (``PRAGMA quick_check``) and only
    then renamed to ``dest``, so ``dest`` is either a complete, checked copy or untouched.
    """
    _check_paths(source, dest, overwrite)
    started = time.monotonic()
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        _copy_pages(source, partial)
        papers = _check_copy(partial)
        _fsync(partial)
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    finally:
        for leftover in (partial, *_sidecars(partial)):
            leftover.unlink(missing_ok=True)
    return BackupReport(dest, dest.stat().st_size, papers, time.monotonic() - started)


def _check_paths(source: Path, dest: Path, overwrite: bool) -> None:
    if not source.is_file():
        raise BackupError(f"no database at {source}: nothing to back up")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} does not exist")
    if dest.exists() and dest.resolve() == source.resolve():
        raise BackupError(f"{dest} is the database itself")
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} exists; pass --force to replace it")


def _copy_pages(source: Path, partial: Path) -> None:
    # mode=rw: never create an empty database where one was expected.
    uri = f"{source.resolve().as_uri()}?mode=rw"
    with (
        closing(sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as src,
        closing(sqlite3.connect(partial)) as dst,
    ):
        # pages=-1: all pages in one step, i.e. under one read transaction. Copying in smaller
        # steps would restart from the beginning whenever another connection writes, and a
        # busy server might never let it finish.
        src.backup(dst, pages=-1)
        # A self-contained file (no -wal beside it) that any sqlite3 opens; paperboard
        # switches it back to WAL when it opens the restored database.
        dst.execute("PRAGMA journal_mode=DELETE")


def _check_copy(path: Path) -> int | None:
    with closing(sqlite3.connect(path)) as copy:
        result = copy.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the copy failed its integrity check: {result}")
        has_papers = copy.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'papers'"
        ).fetchone()
        return copy.execute("SELECT count(*) FROM papers").fetchone()[0] if has_papers else None


def _sidecars(path: Path) -> tuple[Path, ...]:
    return tuple(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm"))


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX).
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
