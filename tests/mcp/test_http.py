"""The MCP server over Streamable HTTP at /mcp, through the real app served by uvicorn on
loopback, driven by the official client (``mcp.Client`` and its streamable HTTP transport):
the token comes with each request as ``Authorization: Bearer``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.community_site import serve_app
from tests.mcp_site import McpSite, build_mcp_site

T = TypeVar("T")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[McpSite, str]]:
    built = build_mcp_site(tmp_path_factory.mktemp("mcp-http"))
    with serve_app(built.site.app) as url:
        yield built, url
    built.site.close()


def over_http(url: str, use: Callable[[Client], Awaitable[T]], token: str | None = None) -> T:
    async def run() -> T:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            return await use(client)

    return asyncio.run(run())


def test_tools_over_http(served: tuple[McpSite, str]) -> None:
    _site, url = served

    async def use(client: Client) -> tuple[Any, Any]:
        tools = await client.list_tools()
        found = await client.call_tool("search_papers", {"query": "diffusion video"})
        return tools, found

    tools, found = over_http(url, use)
    assert "search_papers" in {tool.name for tool in tools.tools}
    assert not found.is_error
    assert found.structured_content["papers"][0]["id"] == "2401.00003"


def test_a_url_is_enough_for_the_client(served: tuple[McpSite, str]) -> None:
    _site, url = served

    async def use(client: Client) -> Any:
        return await client.call_tool("get_paper", {"id": "2401.00003"})

    async def run() -> Any:
        async with Client(f"{url}/mcp") as client:
            return await use(client)

    found = asyncio.run(run())
    assert found.structured_content["title"] == "Diffusion Models for Video Generation"


def test_the_bearer_token_acts_for_its_owner(served: tuple[McpSite, str]) -> None:
    site, url = served

    async def upvote(client: Client) -> Any:
        return await client.call_tool("upvote_paper", {"id": "2401.00003"})

    refused = over_http(url, upvote)
    assert refused.is_error
    assert "Authorization: Bearer" in refused.content[0].text  # type: ignore[union-attr]
    bad = over_http(url, upvote, token="pb_revoked-or-never-issued")
    assert "not valid" in bad.content[0].text  # type: ignore[union-attr]
    voted = over_http(url, upvote, token=site.token)
    assert not voted.is_error
    assert voted.structured_content == {
        "id": "2401.00003",
        "upvotes": 91,
        "upvoted": True,
        "changed": True,
    }


def test_the_bearer_token_lists_its_owners_private_collections(
    served: tuple[McpSite, str],
) -> None:
    site, url = served
    ada = site.site.community.tokens.authenticate(site.token)
    assert ada is not None
    library = site.site.app.state.runtime.library
    private = library.collections.create(ada, "Only mine", private=True)

    async def listing(client: Client) -> Any:
        return await client.call_tool("list_collections", {})

    refused = over_http(url, listing)
    assert refused.is_error
    assert "Authorization: Bearer" in refused.content[0].text  # type: ignore[union-attr]
    listed = over_http(url, listing, token=site.token)
    assert not listed.is_error
    [only] = listed.structured_content["collections"]
    assert (only["slug"], only["private"]) == (private.slug, True)


def test_pages_of_other_sites_are_refused(served: tuple[McpSite, str]) -> None:
    _site, url = served
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    with httpx.Client(base_url=url) as http:
        refused = http.post(
            "/mcp", json=body, headers={**headers, "Origin": "https://evil.example"}
        )
        assert refused.status_code == 403
        local = http.post("/mcp", json=body, headers={**headers, "Origin": "http://localhost:6274"})
        assert local.status_code == 200 and "search_papers" in local.text
        # Clients that are not browser pages send no Origin: answered.
        plain = http.post("/mcp", json=body, headers=headers)
        assert plain.status_code == 200 and "search_papers" in plain.text
