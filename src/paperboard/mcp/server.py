"""The MCP server (official SDK, ``MCPServer``) over a ``Runtime``: the same services as the
web pages and the JSON API, for agents. Served over Streamable HTTP at ``/mcp`` by the web app
(mcp/http.py) and over stdio by ``paperboard mcp`` (cli/mcp.py).

Tools are in three modules by job: tools_read.py (search, one paper, reading it, similar
papers, comments), tools_boards.py (daily and trending), tools_personal.py (acting for a
token's owner); resources.py serves ``paper://{id}``. An anticipated failure (unknown paper,
bad argument, no token, a rate limit) is a tool error with a sentence saying what to change;
anything else the SDK reports as "Error executing tool NAME" and logs, never a stack trace.
"""

from __future__ import annotations

import logging

from mcp.server.mcpserver import MCPServer

from paperboard import __version__
from paperboard.mcp import resources, tools_boards, tools_personal, tools_read
from paperboard.mcp.caller import Callers
from paperboard.runtime import Runtime

INSTRUCTIONS = """\
paperboard is a home for research papers (arXiv): daily boards of featured papers, upvotes,
discussion and hybrid search. Find papers with search_papers, daily_papers or trending_papers;
look one up with get_paper, read it whole (Markdown, with the full text when arXiv has an HTML
rendering) with read_paper, find related work with similar_papers and its discussion with
paper_comments. Papers are named by arXiv id (2401.01234). upvote_paper, list_collections,
add_to_collection and my_feed (recommendations with their reasons) act for the owner of the API
token the client connected with."""


def build_server(runtime: Runtime, *, stdio_token: str | None = None) -> MCPServer:
    """The server with every tool and resource; ``stdio_token`` is the API token of a stdio
    session (over HTTP each request brings its own)."""
    # The SDK's constructor configures the root logger (logging.basicConfig with a handler of
    # its own); logging is the process's to set up (cli/support.py), so it is put back.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer = MCPServer(
        "paperboard",
        title="paperboard",
        instructions=INSTRUCTIONS,
        website_url=runtime.settings.base_url,
        version=__version__,
    )
    root.handlers[:] = handlers
    root.setLevel(level)
    callers = Callers(runtime.community, stdio_token)
    tools_read.register(server, runtime, callers)
    tools_boards.register(server, runtime)
    tools_personal.register(server, runtime, callers)
    resources.register(server, runtime)
    return server
