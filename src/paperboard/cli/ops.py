"""Operators' commands: ``stats``, ``config``, ``db upgrade``, ``backup`` and ``migrate``
(docs/operations.md).

``backup`` and ``migrate`` read the settings only, not the runtime: they must not create or
migrate the configured database, nor open the keyword index (whose writer lock a running
server holds), so both work while ``serve`` runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperboard.cli import services
from paperboard.cli.support import EXIT_INTERRUPTED, cli_runtime, cli_settings, fail
from paperboard.config import SettingsError, load_settings, settings_markdown, shown_settings

if TYPE_CHECKING:
    from paperboard.ops.copy_to import TableCount

app = typer.Typer()
db_app = typer.Typer(
    help="Database maintenance.\n\nExample: paperboard db upgrade", no_args_is_help=True
)
app.add_typer(db_app, name="db")

# migrate: the row counts of a table differ between the source and the target.
EXIT_DIFFERENT = 1


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Counts of what is stored.

    Example: paperboard stats --json
    """
    runtime = cli_runtime()
    try:
        result = services.stats.collect_stats(runtime.db, runtime.keyword_index)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        for key, value in result.items():
            typer.echo(f"{key:>20}: {value}")


@app.command()
def config(
    markdown: Annotated[bool, typer.Option(help="Print the reference as Markdown.")] = False,
) -> None:
    """Show the settings in effect (or the configuration reference).

    Example: paperboard config --markdown > docs/configuration.md
    """
    if markdown:
        typer.echo(settings_markdown(), nl=False)
        return
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    for key, value in shown_settings(settings):
        typer.echo(f"{key}: {value}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically on every start).

    Example: PAPERBOARD_DATABASE_URL=postgresql://pb@localhost/pb paperboard db upgrade
    """
    runtime = cli_runtime()
    try:
        revision = services.migrations.current_revision(runtime.db.engine)
    finally:
        runtime.close()
    typer.echo(f"database at revision {revision}")


@app.command()
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
    settings = cli_settings()
    if not settings.is_sqlite:
        raise fail(
            "paperboard backs up its SQLite database only; back up PostgreSQL with pg_dump "
            "(password from PGPASSWORD or ~/.pgpass), restore with pg_restore:\n  "
            + services.backup.pg_dump_command(settings.database_url, str(dest))
        )
    try:
        source = services.backup.sqlite_path(settings.database_url)
        target = services.backup.destination(dest)
        report = services.backup.backup_sqlite(source, target, overwrite=force)
    except (services.backup.BackupError, OSError) as exc:
        raise fail(str(exc)) from None
    papers = "a database" if report.papers is None else f"{report.papers:,} papers"
    typer.echo(
        f"backed up {papers} ({report.bytes / 1e6:,.1f} MB) to {report.path} "
        f"in {report.seconds:.1f}s"
    )
    key_file = services.backup.key_file_to_keep(settings)
    if key_file is not None:
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


@app.command()
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
    settings = cli_settings()
    try:
        counts = services.copy_to.copy_to_url(
            settings.database_url, to, batch_size=batch_size, progress=_TableProgress()
        )
    except services.copy_to.CopyError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: what was committed stays; run again to go on", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    Console(file=sys.stdout).print(_count_table(counts))
    different = [count.table for count in counts if not count.ok]
    if different:
        typer.echo(f"row counts differ for: {', '.join(different)}", err=True)
        raise typer.Exit(EXIT_DIFFERENT)


def _count_table(counts: list[TableCount]) -> Table:
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
