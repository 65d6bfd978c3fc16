"""`paperboard mcp`: the MCP server over stdio as a real process, driven by the official
client as a desktop client would start it (a command, its environment)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from paperboard.storage.database import Database
from tests.command_line import COMMAND, environment
from tests.community_site import build_site, paper


def stdio_session(data_dir: Path, **settings: str) -> tuple[Any, Any, Any]:
    env = environment(data_dir, embedder="off", log_level="warning", **settings)
    params = StdioServerParameters(
        command=COMMAND[0], args=[*COMMAND[1:], "mcp"], env=env, cwd=str(data_dir.parent)
    )

    async def run() -> tuple[Any, Any, Any]:
        async with Client(params, read_timeout_seconds=60) as client:
            tools = await client.list_tools()
            found = await client.call_tool("get_paper", {"id": "2401.00001"})
            vote = await client.call_tool("upvote_paper", {"id": "2401.00001"})
            return tools, found, vote

    return asyncio.run(run())


def test_paperboard_mcp_over_stdio(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    site = build_site(db, data_dir)
    site.add(paper("2401.00001", title="Speculative Decoding"))
    site.user("ada")
    _info, token = site.community.tokens.create_for("ada", "desktop")
    db.dispose()

    tools, found, refused = stdio_session(data_dir)
    assert {"search_papers", "read_paper", "upvote_paper"} <= {tool.name for tool in tools.tools}
    assert found.structured_content["title"] == "Speculative Decoding"
    assert refused.is_error and "PAPERBOARD_API_TOKEN" in refused.content[0].text

    _tools, _found, vote = stdio_session(data_dir, api_token=token)
    assert not vote.is_error
    assert vote.structured_content["upvoted"] is True
