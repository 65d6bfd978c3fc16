"""``paperboard check [--repair] [--json]``: what is derived from the database, against it.

The checks themselves are in ``paperboard/ops/check/``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from paperboard.cli import services
from paperboard.cli.support import cli_runtime

if TYPE_CHECKING:
    from paperboard.ops.check import CheckReport

app = typer.Typer()

# Exit statuses: 0 all consistent (or repaired), 1 problems remain, 2 the check could not run.
EXIT_PROBLEMS = 1

_STYLES = {"ok": "green", "repaired": "yellow", "problem": "bold red", "off": "dim"}
# Not a terminal (a log, a test): wide enough that details are not folded mid-word.
_WIDTH_OFF_TERMINAL = 160


@app.command()
def check(
    repair: Annotated[
        bool, typer.Option("--repair", help="Fix what is found (then verify it).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify that what is derived from the database is consistent with it: the keyword
    index, the embeddings, the vector index, vote and comment counters, digest leases.
    Safe to run while paperboard serves; --repair re-indexes, embeds, recounts and releases
    what a crash left behind.

    Exit status: 0 all consistent (or repaired), 1 problems remain, 2 the check could not run.

    Example: paperboard check --repair
    """
    runtime = cli_runtime()
    try:
        settings = runtime.settings
        context = services.checks.CheckContext(
            runtime.db,
            settings.data_dir,
            runtime.keyword_index,
            embedder_spec=settings.embedder,
            embedder_threads=settings.embedder_threads,
        )
        report = services.checks.run_checks(context, repair=repair)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        _print_table(report)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _print_table(report: CheckReport) -> None:
    table = Table(title="paperboard check", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for result in report.results:
        style = _STYLES.get(result.status, "")
        # Text, not markup: a detail may quote an error message with brackets in it.
        table.add_row(result.name, Text(result.status, style=style), Text(result.detail))
    console = Console(width=None if sys.stdout.isatty() else _WIDTH_OFF_TERMINAL, soft_wrap=False)
    console.print(table)
    if report.ok:
        console.print("all consistent")
    else:
        console.print("problems remain (see above)", style="bold red")
