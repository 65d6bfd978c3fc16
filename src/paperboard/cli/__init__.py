"""The command line: thin modules that parse arguments, call a service or ops function, report.

One module per command group:
  serve.py    serve, worker, jobs
  ingest.py   ingest, feature, export, import
  search.py   search, embed, index sync|rebuild
  ops.py      stats, config, db upgrade, backup, migrate
  check.py    check [--repair]
  users.py    user create|reset-link|role|disable, token create|list|revoke
  digest.py   digest preview|send
  mcp.py      mcp (the MCP server over stdio)
  demo.py     demo (the demo data set, for a paperboard with no data)
  support.py  what they share (errors, settings, the runtime, progress)
  services.py the modules they call, imported on first use (why: see there)

Every command's help carries an example (``paperboard COMMAND --help``; tests/cli/test_help.py).
"""

from __future__ import annotations

import typer

from paperboard.cli import check, demo, digest, ingest, mcp, ops, search, serve, users

app = typer.Typer(
    help="paperboard: a self-hostable home for research papers.\n\n"
    "Example: paperboard ingest papers.jsonl.gz && paperboard serve",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for group in (serve, ingest, demo, search, ops, check, users, digest, mcp):
    app.add_typer(group.app)


def main() -> None:
    app()
