"""The tools that act for the caller's account: they need an API token (mcp/caller.py).

No tool writes without one, and writes count against the same rate limits as the JSON API's
(vote_per_account, vote_per_ip: community/ratelimit.py), through the same services.

Registration points: a personal tool is registered here only when a service backs it.
``list_collections`` and ``add_to_collection`` (the library's collections) and ``my_feed``
(recommendations with reasons) are registered in ``register`` once the runtime has those
services; until then they are not offered at all (docs/agents.md lists them as coming).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations

from paperboard.mcp.caller import Callers, community_errors
from paperboard.mcp.shapes import VoteResult, result
from paperboard.mcp.tools_read import PaperId, canonical_id
from paperboard.runtime import Runtime

# Writes, but asking twice changes nothing.
VOTE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def register(server: MCPServer, runtime: Runtime, callers: Callers) -> None:
    community = runtime.community

    @server.tool(annotations=VOTE)
    def upvote_paper(id: PaperId, ctx: Context) -> Annotated[CallToolResult, VoteResult]:
        """Upvote a paper as the token's owner (needs an API token). Upvoting twice changes
        nothing."""
        arxiv_id = canonical_id(id)
        user = callers.user(ctx, "upvote_paper")
        with community_errors():
            state = community.votes.upvote(user, arxiv_id, client=callers.client(ctx))
        model = VoteResult(
            id=state.arxiv_id, upvotes=state.upvotes, upvoted=state.upvoted, changed=state.changed
        )
        done = "Upvoted" if state.changed else "Already upvoted"
        return result(
            model, f"{done} {state.arxiv_id} as {user.username}: {state.upvotes} upvotes."
        )

    # Registration point (library issue): list_collections, add_to_collection and my_feed go
    # here, each calling its service on runtime with callers.user(ctx, name), as above.
