"""``paperboard ingest``, ``feature``, ``export`` and ``import``: papers in and out."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paperboard.cli import services
from paperboard.cli.support import EXIT_INTERRUPTED, ProgressDisplay, cli_runtime, fail
from paperboard.domain.arxiv_id import InvalidArxivId
from paperboard.ingest.errors import SourceError

if TYPE_CHECKING:
    from paperboard.ingest.loader import LoadReport

app = typer.Typer()

# Exit statuses: 0 everything loaded, 1 some records skipped, 2 the command failed.
EXIT_SKIPPED = 1
# Malformed records listed one by one; the rest are counted.
LISTED_SKIPS = 20


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="A file path or a live source (see below).")],
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load papers from a file or a live source. Re-running changes nothing.

    SOURCE is a file (format detected: arXiv snapshot JSON lines or .gz, arXiv API Atom, OAI-PMH
    XML, arXiv RSS/Atom listing, Hugging Face daily-papers JSON, paperboard export) or one of:
    arxiv:CAT[,CAT...][@FROM[..TO]], arxiv-id:ID[,ID...], arxiv-oai[:SET][@FROM[..TO]],
    arxiv-rss:CAT[+CAT...], hf-daily[:DAY[..DAY]].

    Exit status: 0 all loaded, 1 some records were malformed and skipped, 2 failure.

    Example: paperboard ingest arxiv-metadata-oai-snapshot.json.gz
    """
    runtime = cli_runtime()
    try:
        spec = services.ingest_sources.parse_source(source, sync_days=runtime.settings.sync_days)
    except services.ingest_sources.SourceSyntaxError as exc:
        runtime.close()
        raise fail(str(exc)) from None
    total = services.ingest_snapshot.estimate_lines(spec.path) if spec.path else None
    progress = ProgressDisplay(total)
    fetcher = services.ingest_http.HttpFetcher()
    started = time.monotonic()
    try:
        items = services.ingest_sources.open_source(spec, runtime.settings, fetcher)
        report = services.ingest_service.ingest(
            runtime.db,
            items,
            keyword_index=runtime.keyword_index,
            batch_size=batch_size,
            progress=progress,
        )
    except (SourceError, services.ingest_http.FetchError, RuntimeError, OSError) as exc:
        progress.close()
        raise fail(f"{source}: {exc} (batches committed before this stay loaded)") from None
    except KeyboardInterrupt:
        progress.close()
        typer.echo("interrupted: committed batches are kept; run again to complete", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        fetcher.close()
        runtime.close()
    progress.close()
    _print_report(report, time.monotonic() - started, as_json)
    if report.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _print_report(report: LoadReport, elapsed: float, as_json: bool) -> None:
    for bad in report.malformed[:LISTED_SKIPS]:
        typer.echo(f"skipped {bad.location}: {bad.reason}", err=True)
    if report.skipped > LISTED_SKIPS:
        typer.echo(f"... and {report.skipped - LISTED_SKIPS} more skipped", err=True)
    if as_json:
        typer.echo(json.dumps(report.as_dict() | {"seconds": round(elapsed, 2)}))
        return
    rate = report.papers_seen / max(elapsed, 1e-9)
    typer.echo(
        f"{report.new} new, {report.changed} changed, {report.unchanged} unchanged papers; "
        f"{report.featured_new} new / {report.featured_changed} changed featured entries; "
        f"{report.skipped} skipped ({elapsed:.1f}s, {rate:,.0f} papers/s)"
    )


@app.command()
def feature(
    arxiv_ids: Annotated[list[str], typer.Argument(help="arXiv ids or URLs.")],
    day: Annotated[
        str | None, typer.Option("--date", help="The board day, YYYY-MM-DD (default: today).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Curator name shown as submitter.")] = None,
) -> None:
    """Feature papers on a day's board (fetching unknown ones from arXiv).

    Example: paperboard feature --date 2026-11-20 2411.01234 2411.04321
    """
    try:
        board_day = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise fail(f"--date {day!r} is not YYYY-MM-DD") from None
    runtime = cli_runtime()
    fetcher = services.ingest_http.HttpFetcher()
    try:
        report = services.featuring.feature_papers(
            runtime.db,
            runtime.keyword_index,
            fetcher,
            arxiv_ids,
            board_day,
            arxiv_api_url=runtime.settings.arxiv_api_url,
            curator=by,
        )
    except (
        InvalidArxivId,
        services.featuring.FeatureError,
        SourceError,
        services.ingest_http.FetchError,
    ) as exc:
        raise fail(str(exc)) from None
    finally:
        fetcher.close()
        runtime.close()
    typer.echo(
        f"featured on {board_day}: {report.featured_new} new, "
        f"{report.featured_unchanged + report.featured_changed} already there"
    )


@app.command("export")
def export_command(
    output: Annotated[
        Path, typer.Argument(help="File to write (.gz compresses), or - for stdout.")
    ],
) -> None:
    """Export every paper and featured entry as JSON lines (lossless; see `import`).

    Example: paperboard export backup.jsonl.gz
    """
    runtime = cli_runtime()
    try:
        if str(output) == "-":
            counts = services.ingest_export.write_export(runtime.db, sys.stdout.buffer)
        else:
            counts = services.export.export_to_file(runtime.db, output)
    finally:
        runtime.close()
    typer.echo(f"exported {counts.papers} papers, {counts.featured} featured entries", err=True)


@app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(help="A file written by `paperboard export`.", exists=True)
    ],
) -> None:
    """Import a paperboard export (re-importing changes nothing).

    Example: paperboard import backup.jsonl.gz
    """
    ingest(str(path))
