"""``paperboard demo``: load the demo data set (ingest/demo.py) into an empty paperboard."""

from __future__ import annotations

import typer

from paperboard.cli import services
from paperboard.cli.support import cli_runtime, fail

app = typer.Typer()


@app.command()
def demo() -> None:
    """Load a few thousand recent arXiv papers, five featured days and their vectors into an
    empty paperboard: boards, search, similar papers and feeds work at once, with no network.
    Takes seconds (the data ships with paperboard); refused when papers are already loaded.

    Example: paperboard demo && paperboard serve
    """
    runtime = cli_runtime()
    try:
        report = services.ingest_demo.load_demo(
            runtime.db, runtime.keyword_index, runtime.settings.embedder
        )
    except services.ingest_demo.DemoRefused as exc:
        raise fail(f"{exc} (see `paperboard stats`)") from None
    finally:
        runtime.close()
    days = report.featured_days
    typer.echo(
        f"loaded the demo: {report.papers:,} papers, {report.featured} featured on "
        f"{len(days)} days ({days[0]} .. {days[-1]}), {report.vectors:,} vectors "
        f"({report.seconds:.1f}s)"
    )
    if report.vectors_skipped:
        typer.echo(f"note: {report.vectors_skipped}")
    typer.echo("open the site to look around (start it with: paperboard serve)")
