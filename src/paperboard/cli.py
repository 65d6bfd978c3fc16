"""The command line: a thin layer that parses arguments, calls one library function, reports.

Every command's help carries an example (``paperboard COMMAND --help``).
"""

from __future__ import annotations

import gzip
import json
import logging
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from paperboard.cli_check import check as check_command
from paperboard.cli_digest import digest_app
from paperboard.cli_ops import register as register_ops
from paperboard.cli_support import cli_runtime as _runtime
from paperboard.cli_support import fail as _fail
from paperboard.cli_users import token_app, user_app
from paperboard.config import SettingsError, load_settings, settings_markdown

app = typer.Typer(
    help="paperboard: a self-hostable home for research papers.\n\n"
    "Example: paperboard ingest papers.jsonl.gz && paperboard serve",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
index_app = typer.Typer(help="The keyword index (embedded default).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(index_app, name="index")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(digest_app, name="digest")
app.command("check")(check_command)
register_ops(app)  # backup, migrate

log = logging.getLogger("paperboard")

# Exit statuses: 0 everything loaded, 1 some records skipped, 2 the command failed.
EXIT_SKIPPED = 1


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (PAPERBOARD_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (PAPERBOARD_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Web processes (PAPERBOARD_WORKERS).")] = None,
    sync: Annotated[
        bool | None, typer.Option("--sync/--no-sync", help="Sync recent papers at start.")
    ] = None,
) -> None:
    """Run the web app. On start it syncs recent papers in the background when online.

    Example: paperboard serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from paperboard.jobs.sync import start_background_sync

    runtime = _runtime()
    settings = runtime.settings
    if sync if sync is not None else settings.sync_on_start:
        start_background_sync(runtime)
    elif runtime.keyword_index is not None:
        import threading

        from paperboard.jobs.worker import start_index_upkeep
        from paperboard.search.keyword import sync as sync_index

        sync_index(runtime.db, runtime.keyword_index)
        # Papers other processes (a worker, other machines on PostgreSQL) load meanwhile.
        start_index_upkeep(runtime, threading.Event())
    from paperboard.jobs.worker import start_embedding

    start_embedding(runtime)
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"paperboard is serving on http://{bind_host}:{bind_port}/")
    uvicorn.run(
        "paperboard.asgi:create_app_from_env",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
    )


@app.command()
def worker() -> None:
    """Run the schedule: sync recent papers hourly, keep the indexes in step, embed new
    papers, send digests when due (with PAPERBOARD_SMTP_URL). Runs until interrupted.

    Any number of workers may share one database: each due job runs on one of them, and a
    killed worker's job is taken over within minutes (see `paperboard jobs`).

    Example: PAPERBOARD_SMTP_URL=smtp://mail.example.org:587 paperboard worker
    """
    import signal

    from paperboard.jobs.worker import run_worker

    runtime = _runtime()
    stop = run_worker(runtime)
    # systemd and container runtimes stop with SIGTERM: treat it as Ctrl-C, so that jobs see
    # the stop and hand their leases back instead of holding them until they expire.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    typer.echo("paperboard worker running (Ctrl-C to stop)")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        stop.set()
    finally:
        runtime.close()


@app.command("jobs")
def jobs_command() -> None:
    """Show the workers' schedule: each job's next due time, which worker runs it now, and
    how its last run went.

    Example: paperboard jobs
    """
    from rich.console import Console

    from paperboard.jobs.worker import jobs_table

    runtime = _runtime()
    try:
        table = jobs_table(runtime.db, datetime.now(UTC))
    finally:
        runtime.close()
    if table.row_count:
        Console().print(table)
    else:
        typer.echo("no jobs yet: they appear when a worker first starts")


class _Progress:
    """A progress bar on a terminal (count, rate, ETA); plain log lines otherwise."""

    LOG_EVERY_S = 5.0

    def __init__(self, total: int | None, label: str = "ingest", unit: str = "papers") -> None:
        self.total = total
        self.label = label
        self.started = time.monotonic()
        self.last_log = self.started  # a first line after LOG_EVERY_S of work, not at once
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>8} " + unit + "/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task(label, total=total, rate="")
            self.bar.start()

    def __call__(self, seen: int, report: object) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = seen / elapsed
        done = getattr(report, "done", False)  # a LoadReport's last call: the summary follows
        if self.bar is not None:
            self.bar.update(self.task, completed=seen, rate=f"{rate:,.0f}")
        elif not done and time.monotonic() - self.last_log >= self.LOG_EVERY_S:
            self.last_log = time.monotonic()
            eta = ""
            if self.total and rate and seen < self.total:
                eta = f", ETA {(self.total - seen) / rate:,.0f}s"
            log.info("%s: %s records, %s/s%s", self.label, f"{seen:,}", f"{rate:,.0f}", eta)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


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
    from paperboard.ingest.errors import SourceError
    from paperboard.ingest.http import FetchError, HttpFetcher
    from paperboard.ingest.service import ingest as run_ingest
    from paperboard.ingest.sources import SourceSyntaxError, open_source, parse_source

    runtime = _runtime()
    try:
        spec = parse_source(source, sync_days=runtime.settings.sync_days)
    except SourceSyntaxError as exc:
        raise _fail(str(exc)) from None
    total = _estimate_records(spec.path) if spec.path else None
    progress = _Progress(total)
    fetcher = HttpFetcher()
    started = time.monotonic()
    try:
        items = open_source(spec, runtime.settings, fetcher)
        report = run_ingest(
            runtime.db,
            items,
            keyword_index=runtime.keyword_index,
            batch_size=batch_size,
            progress=progress,
        )
    except (SourceError, FetchError, RuntimeError, OSError) as exc:
        progress.close()
        raise _fail(f"{source}: {exc} (batches committed before this stay loaded)") from None
    except KeyboardInterrupt:
        progress.close()
        typer.echo("interrupted: committed batches are kept; run again to complete", err=True)
        raise typer.Exit(130) from None
    finally:
        fetcher.close()
        runtime.close()
    progress.close()
    elapsed = time.monotonic() - started
    for bad in report.malformed[:20]:
        typer.echo(f"skipped {bad.location}: {bad.reason}", err=True)
    if report.skipped > 20:
        typer.echo(f"... and {report.skipped - 20} more skipped", err=True)
    summary = report.as_dict() | {"seconds": round(elapsed, 2)}
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        rate = report.papers_seen / max(elapsed, 1e-9)
        typer.echo(
            f"{report.new} new, {report.changed} changed, {report.unchanged} unchanged papers; "
            f"{report.featured_new} new / {report.featured_changed} changed featured entries; "
            f"{report.skipped} skipped ({elapsed:.1f}s, {rate:,.0f} papers/s)"
        )
    if report.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _estimate_records(path: Path) -> int | None:
    """Guess a snapshot's line count from its size and its first lines (for the ETA)."""
    from paperboard.ingest.snapshot import GZIP_MAGIC

    try:
        size = path.stat().st_size
        with path.open("rb") as raw:
            is_gzip = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if is_gzip else raw
            lines = 0
            for _ in range(2000):
                if not stream.readline():
                    return lines
                lines += 1
            consumed = raw.tell()
        return int(size / max(consumed, 1) * lines)
    except OSError:
        return None


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
    from paperboard.domain.arxiv_id import InvalidArxivId
    from paperboard.ingest.errors import SourceError
    from paperboard.ingest.featuring import FeatureError, feature_papers
    from paperboard.ingest.http import FetchError, HttpFetcher

    try:
        board_day = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise _fail(f"--date {day!r} is not YYYY-MM-DD") from None
    runtime = _runtime()
    fetcher = HttpFetcher()
    try:
        report = feature_papers(
            runtime.db,
            runtime.keyword_index,
            fetcher,
            arxiv_ids,
            board_day,
            arxiv_api_url=runtime.settings.arxiv_api_url,
            curator=by,
        )
    except (InvalidArxivId, FeatureError, SourceError, FetchError) as exc:
        raise _fail(str(exc)) from None
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
    from paperboard.ingest.export import write_export

    runtime = _runtime()
    try:
        if str(output) == "-":
            counts = write_export(runtime.db, sys.stdout.buffer)
        else:
            temporary = output.with_name(output.name + ".partial")
            opener = gzip.open if output.suffix == ".gz" else open
            with opener(temporary, "wb") as stream:  # type: ignore[operator]
                counts = write_export(runtime.db, stream)
            temporary.replace(output)  # never leave a half-written export under the real name
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


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Counts of what is stored.

    Example: paperboard stats --json
    """
    from paperboard.stats import collect_stats

    runtime = _runtime()
    try:
        result = collect_stats(runtime)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        for key, value in result.items():
            typer.echo(f"{key:>20}: {value}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically on every start).

    Example: PAPERBOARD_DATABASE_URL=postgresql://pb@localhost/pb paperboard db upgrade
    """
    from paperboard.storage import migrate

    runtime = _runtime()
    try:
        revision = migrate.current_revision(runtime.db.engine)
    finally:
        runtime.close()
    typer.echo(f"database at revision {revision}")


@index_app.command("sync")
def index_sync() -> None:
    """Index papers the keyword index has not seen yet.

    Example: paperboard index sync
    """
    _index_command(rebuild=False)


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Drop and rebuild the keyword index from the database.

    Example: paperboard index rebuild
    """
    _index_command(rebuild=True)


def _index_command(*, rebuild: bool) -> None:
    from paperboard.search import keyword

    runtime = _runtime()
    try:
        if runtime.keyword_index is None:
            typer.echo("PostgreSQL keeps its keyword index itself: nothing to do")
            return
        action = keyword.rebuild if rebuild else keyword.sync
        count = action(runtime.db, runtime.keyword_index)
    finally:
        runtime.close()
    typer.echo(f"indexed {count} papers")


@app.command()
def embed(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Papers per commit.")] = 256,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many papers.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Embedder (PAPERBOARD_EMBEDDER): minilm-int8, hashing, ...")
    ] = None,
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="CPU threads.")] = None,
    rebuild_index: Annotated[
        bool, typer.Option("--rebuild-index", help="Rebuild the vector index file from the DB.")
    ] = False,
) -> None:
    """Embed every paper that has no vector yet (or whose text changed) for semantic search.

    Batches are committed as they finish: stop it at any time (even kill -9) and run it again
    to continue. On SQLite the HNSW index file next to the database is brought up to date.

    Example: paperboard embed --batch-size 256
    """
    from paperboard.jobs.embed import backfill
    from paperboard.search.embedder import EmbedderError, load_embedder
    from paperboard.search.vectors import HnswFileIndex, open_vector_index

    runtime = _runtime()
    try:
        try:
            embedder = load_embedder(model, threads=threads)
        except EmbedderError as exc:
            raise _fail(str(exc)) from None
        index = open_vector_index(
            runtime.db, runtime.settings.data_dir, embedder.name, embedder.dim
        )
        if rebuild_index and isinstance(index, HnswFileIndex):
            index.rebuild()
        progress = _Progress(None, label="embed", unit="papers")

        def report_progress(done: int, total: int) -> None:
            progress.total = total  # known once the job has counted what is pending
            if progress.bar is not None:
                progress.bar.update(progress.task, total=total)
            progress(done, None)

        try:
            report = backfill(
                runtime.db,
                embedder,
                vector_index=index,
                batch_size=batch_size,
                limit=limit,
                progress=report_progress,
            )
        except KeyboardInterrupt:
            progress.close()
            typer.echo("interrupted: finished batches are kept; run again to continue", err=True)
            raise typer.Exit(130) from None
        progress.close()
        index.close()
    finally:
        runtime.close()
    typer.echo(
        f"embedded {report.embedded} papers with {embedder.name} "
        f"({report.seconds:.1f}s, {report.rate:,.1f} papers/s); {report.indexed} indexed"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", author:"...", cat:cs.CL.')],
    limit: Annotated[int, typer.Option(min=1, max=120)] = 10,
    sort: Annotated[str, typer.Option(help="relevance, upvotes or newest.")] = "relevance",
    mode: Annotated[str, typer.Option(help="hybrid, keyword or semantic.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Search the stored papers (keywords and meaning) and print the best matches.

    Example: paperboard search "speculative decoding with a draft model" --limit 5
    """
    from paperboard.search.service import SORTS, SearchRequest, open_search_service

    if sort not in SORTS or mode not in ("hybrid", "keyword", "semantic"):
        raise _fail("--sort is relevance, upvotes or newest; --mode hybrid, keyword or semantic")
    runtime = _runtime()
    try:
        settings = runtime.settings
        service = open_search_service(
            runtime.db, runtime.keyword_index, settings.data_dir, spec=settings.embedder
        )
        page = service.search(
            SearchRequest(query=query, per_page=limit, sort=sort, mode=mode)  # type: ignore[arg-type]
        )
    finally:
        runtime.close()
    for hit in page.hits:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": hit.paper.arxiv_id,
                        "title": hit.paper.title,
                        "score": round(hit.score, 5),
                        "keywordRank": hit.keyword_rank,
                        "semanticRank": hit.semantic_rank,
                    }
                )
            )
        else:
            typer.echo(f"{hit.paper.arxiv_id:>16}  {hit.paper.title}")
    if not as_json:
        engines = "keyword + semantic" if page.semantic else "keyword"
        typer.echo(f"{page.total} matches ({engines}, {page.elapsed_ms:.0f} ms)", err=True)


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
        raise _fail(str(exc)) from None
    for key, value in vars(settings).items():
        typer.echo(f"{key}: {value}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
