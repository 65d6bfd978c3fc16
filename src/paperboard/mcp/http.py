"""The MCP server over Streamable HTTP, as a route of the web app: ``/mcp``.

Stateless, with JSON answers: each POST is a whole exchange, so any web process behind the
proxy can answer any request (no session to keep on one process, as the rest of the site), and
the SDK's session manager keeps nothing between requests. A session manager runs once
(``StreamableHTTPSessionManager.run``), so each run of the app's lifespan starts a fresh one.

Browsers: a request with an ``Origin`` header is answered only for this site's own origin and
local tools (the MCP Inspector on localhost): the MCP specification asks servers to check it
against DNS rebinding. Requests without one (desktop clients, SDKs) pass; the SDK's own Host
check is off, since behind a proxy the Host is whatever the proxy sends, as for every page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

MCP_PATH = "/mcp"
# Local tools that connect from a browser page (the MCP Inspector's UI).
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class McpEndpoint:
    """The ASGI app at ``/mcp``: the SDK's session manager while the app runs, 503 before."""

    def __init__(self, server: MCPServer, base_url: str) -> None:
        self.server = server
        base = urlsplit(base_url)
        self.site_origin = f"{base.scheme}://{base.netloc}"
        self._manager: StreamableHTTPSessionManager | None = None

    def route(self) -> Route:
        # A plain ASGI endpoint (not a function) takes every method: POST for messages, GET
        # and DELETE answered by the SDK (405 when stateless).
        return Route(MCP_PATH, endpoint=self, include_in_schema=False)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run a fresh session manager for one run of the app (its lifespan)."""
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    def _origin_allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            return True
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        try:
            host = urlsplit(origin).hostname or ""
        except ValueError:  # a malformed Origin is no origin of ours
            return False
        return origin in (self.site_origin, own) or host in _LOCAL_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._manager is None:
            response = JSONResponse({"error": "The MCP endpoint is starting."}, 503)
        elif not self._origin_allowed(scope):
            response = JSONResponse({"error": "Requests from other sites' pages are refused."}, 403)
        else:
            await self._manager.handle_request(scope, receive, send)
            return
        await response(scope, receive, send)
