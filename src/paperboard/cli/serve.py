"""``paperboard serve``, ``worker`` and ``jobs``: the long-running processes and their schedule."""

from __future__ import annotations

import functools
import signal
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from paperboard.cli import services
from paperboard.cli.support import cli_runtime

app = typer.Typer()


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
    runtime = cli_runtime()
    settings = runtime.settings
    background = services.jobs_worker.BackgroundJobs()
    if sync if sync is not None else settings.sync_on_start:
        services.jobs_sync.start_background_sync(runtime)
    elif runtime.keyword_index is not None:
        services.keyword.sync(runtime.db, runtime.keyword_index)
        # Papers other processes (a worker, other machines on PostgreSQL) load meanwhile.
        services.jobs_worker.start_index_upkeep(runtime, background)
    services.jobs_worker.start_embedding(runtime, background)
    bind_host, bind_port = host or settings.host, port or settings.port
    # uvicorn handles SIGINT and SIGTERM while it serves and raises the signal again once it
    # has shut down: SIGINT then ends in uvicorn.run, but SIGTERM's default would kill the
    # process before the jobs below stop. Both end in the same clean stop.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: background.stop.set())
    typer.echo(f"paperboard is serving on http://{bind_host}:{bind_port}/")
    try:
        services.uvicorn.run(
            "paperboard.asgi:create_app_from_env",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers or settings.workers,
            log_level=settings.log_level,
            # h11 with a deadline for each request's head (a partial over a class: it travels
            # to worker processes by name).
            http=functools.partial(
                services.http_protocol.HeadTimeoutProtocol, head_timeout=settings.header_timeout
            ),
        )
    finally:
        background.shut_down()
        runtime.close()


@app.command()
def worker() -> None:
    """Run the schedule: sync recent papers hourly, keep the indexes in step, embed new
    papers, send digests when due (with PAPERBOARD_SMTP_URL). Runs until interrupted.

    Any number of workers may share one database: each due job runs on one of them, and a
    killed worker's job is taken over within minutes (see `paperboard jobs`).

    Example: PAPERBOARD_SMTP_URL=smtp://mail.example.org:587 paperboard worker
    """
    runtime = cli_runtime()
    background = services.jobs_worker.run_worker(runtime)
    # systemd and container runtimes stop with SIGTERM: treat it as Ctrl-C, so that jobs see
    # the stop and hand their leases back instead of holding them until they expire.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: background.stop.set())
    typer.echo("paperboard worker running (Ctrl-C to stop)")
    try:
        while not background.stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        background.shut_down()
        runtime.close()


@app.command("jobs")
def jobs_command() -> None:
    """Show the workers' schedule: each job's next due time, which worker runs it now, and
    how its last run went.

    Example: paperboard jobs
    """
    runtime = cli_runtime()
    try:
        table = services.jobs_worker.jobs_table(runtime.db, datetime.now(UTC))
    finally:
        runtime.close()
    if table.row_count:
        Console().print(table)
    else:
        typer.echo("no jobs yet: they appear when a worker first starts")
