"""``paperboard mcp``: the MCP server over stdio, for desktop clients that start it themselves."""

from __future__ import annotations

from typing import Annotated

import typer

from paperboard.cli import services
from paperboard.cli.support import cli_runtime

app = typer.Typer()


@app.command("mcp")
def mcp_command(
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PAPERBOARD_API_TOKEN",
            help="An API token (paperboard token create): upvote_paper, list_collections, "
            "add_to_collection and my_feed act for its owner. Without one, the read tools only.",
        ),
    ] = None,
) -> None:
    """Serve paperboard's MCP server over stdio (standard input and output carry the protocol;
    logs go to stderr), for Claude Desktop, Cursor and other MCP clients that start a command.
    Over HTTP, `paperboard serve` serves the same server at /mcp. See docs/agents.md.

    Example: PAPERBOARD_DATA_DIR=~/paperboard paperboard mcp
    """
    runtime = cli_runtime()
    # Semantic search's model loads while the client starts up, not on its first search.
    runtime.warm_up()
    server = services.mcp_server.build_server(runtime, stdio_token=token)
    try:
        server.run("stdio")
    finally:
        runtime.close()
