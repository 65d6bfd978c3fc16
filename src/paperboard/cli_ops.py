"""``paperboard backup`` and ``paperboard migrate``: operators' commands (docs/operations.md).

``cli.py`` adds them with ``register(app)``. Neither opens the keyword index (whose writer lock
a running server holds): both work while ``serve`` runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paperboard.cli_support import cli_settings
from paperboard.cli_support import fail as _fail

if TYPE_CHECKING:
    from rich.table import Table

    from paperboard.ops.copy_to import TableCount

EXIT_DIFFERENT = 1


def backup(
    dest: Annotated[
        Path, typer.Argument(help="File to write, or an existing folder (a dated file in it).")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")] = False,
) -> None:
    """Copy the SQLite database to DEST while paperboard keeps running (a consistent snapshot).

    To restore: stop paperboard, copy the file to DATA_DIR/paperboard.db (deleting any
    paperboard.db-wal, paperboard.db-shm and vector-index-* files there), then run
    `paperboard index rebuild` (docs/operations.md). PostgreSQL is backed up with pg_dump
    instead; this command prints the exact command.

    Example: paperboard backup /var/backups/paperboard/
    """
    from paperboard.ops.backup import (
        BackupError,
        backup_sqlite,
        destination,
        pg_dump_command,
        sqlite_path,
    )

    settings = cli_settings()
    if not settings.is_sqlite:
        raise _fail(
            "paperboard backs up its SQLite database only; back up PostgreSQL with pg_dump "
            "(password from PGPASSWORD or ~/.pgpass), restore with pg_restore:\n  "
            + pg_dump_command(settings.database_url, str(dest))
        )
    try:
        report = backup_sqlite(
            sqlite_path(settings.database_url), destination(dest), overwrite=force
        )
    except (BackupError, OSError) as exc:
        raise _fail(str(exc)) from None
    papers = "a database" if report.papers is None else f"{report.papers:,} papers"
    typer.echo(
        f"backed up {papers} ({report.bytes / 1e6:,.1f} MB) to {report.path} "
        f"in {report.seconds:.1f}s"
    )
    from paperboard.storage.secret_key import KEY_FILE_NAME

    key_file = settings.data_dir / KEY_FILE_NAME
    if settings.secret_key is None and key_file.is_file():
        # Not in the database, yet links in mails already sent (unsubscribe, manage) need it.
        typer.echo(
            f"note: keep a copy of {key_file} too (it signs the links in sent emails), "
            "or set PAPERBOARD_SECRET_KEY",
            err=True,
        )


class _TableProgress:
    """A line per table copied (and every few seconds during a long one), on stderr."""

    EVERY_S = 5.0

    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, table: str, seen: int, total: int) -> None:
        now = time.monotonic()
        if seen >= total or now - self.last >= self.EVERY_S:
            self.last = now
            typer.echo(f"{table}: {seen:,} of {total:,} rows", err=True)


def migrate(
    to: Annotated[str, typer.Option("--to", help="The target: postgresql://user@host:5432/db")],
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per commit.")] = 1000,
) -> None:
    """Copy every table of the configured database (the SQLite default) into PostgreSQL.

    Migrates the target first, copies table by table in batches from one snapshot, then
    resets its id sequences. Stop serve and worker first: running it again copies only rows
    the target lacks (an interrupted copy goes on), but never updates rows already copied.
    Prints rows per table on both sides; exit status 1 if they differ, 2 on failure.

    Example: paperboard migrate --to postgresql://paperboard@db.example.org:5432/paperboard
    """
    from rich.console import Console
    from sqlalchemy.exc import DBAPIError

    from paperboard.ops.copy_to import CopyError, check_target_url, copy_database
    from paperboard.storage.database import Database

    settings = cli_settings()
    try:
        target_url = check_target_url(to)
    except CopyError as exc:
        raise _fail(str(exc)) from None
    if settings.is_sqlite:
        from paperboard.ops.backup import BackupError, sqlite_path

        try:
            source_file = sqlite_path(settings.database_url)
        except BackupError as exc:
            raise _fail(str(exc)) from None
        if not source_file.is_file():
            raise _fail(f"no database at {source_file}: nothing to copy")
    source = Database(settings.database_url)
    try:
        try:
            target = Database(target_url)  # migrates it to the current schema
        except (DBAPIError, RuntimeError) as exc:
            raise _fail(f"cannot use the target database: {_first_line(exc)}") from None
        try:
            counts = copy_database(source, target, batch_size=batch_size, progress=_TableProgress())
        except CopyError as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: what was committed stays; run again to go on", err=True)
            raise typer.Exit(130) from None
        finally:
            target.dispose()
    finally:
        source.dispose()
    Console(file=sys.stdout).print(_count_table(counts))
    different = [count.table for count in counts if not count.ok]
    if different:
        typer.echo(f"row counts differ for: {', '.join(different)}", err=True)
        raise typer.Exit(EXIT_DIFFERENT)


def _first_line(exc: BaseException) -> str:
    origin = getattr(exc, "orig", None) or exc
    return str(origin).strip().splitlines()[0] if str(origin).strip() else type(exc).__name__


def _count_table(counts: list[TableCount]) -> Table:
    from rich.table import Table

    table = Table(
        "table", "source rows", "target rows", "ok", "copied now", title="paperboard migrate"
    )
    for count in counts:
        table.add_row(
            count.table,
            f"{count.source:,}",
            f"{count.target:,}",
            "ok" if count.ok else "DIFFERENT",
            f"{count.inserted:,}",
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``migrate`` to the main command."""
    app.command("backup")(backup)
    app.command("migrate")(migrate)
