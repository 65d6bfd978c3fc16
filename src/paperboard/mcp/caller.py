"""Who calls a tool: the owner of an API token, and the address per-IP limits count.

Over HTTP the token is the request's ``Authorization: Bearer <token>`` header, the same API
tokens the JSON write API takes (community/tokens.py); over stdio, where there are no headers,
it is the one ``paperboard mcp`` was started with (``--token`` / PAPERBOARD_API_TOKEN).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from paperboard.community.accounts import Client
from paperboard.community.errors import CommunityError
from paperboard.community.service import Community
from paperboard.storage.users import User

# Per-IP limits of a stdio session count against this one name: it is one local person.
LOCAL_CLIENT = Client("local")


@dataclass(frozen=True)
class Callers:
    """Resolves a tool call's caller; ``stdio_token`` is the token of a stdio session."""

    community: Community
    stdio_token: str | None = None

    def token(self, ctx: Context) -> str | None:
        headers = ctx.headers
        if headers is None:
            return self.stdio_token
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def user(self, ctx: Context, tool: str) -> User:
        """The token's owner; a ToolError that says how to send one without a valid token."""
        token = self.token(ctx)
        if token is None:
            raise ToolError(
                f"{tool} acts for a paperboard account: connect with an API token (HTTP: the "
                "header Authorization: Bearer <token>; stdio: paperboard mcp --token or "
                "PAPERBOARD_API_TOKEN). Create a token on your account page."
            )
        user = self.community.tokens.authenticate(token)
        if user is None:
            raise ToolError("That API token is not valid (revoked, or never issued).")
        return user

    def viewer(self, ctx: Context) -> User | None:
        """The token's owner when a token was sent (a curator sees hidden comments)."""
        return self.user(ctx, "This call") if self.token(ctx) is not None else None

    def client(self, ctx: Context) -> Client:
        request = ctx.request_context.request
        peer = getattr(request, "client", None)
        return Client(peer.host) if peer is not None else LOCAL_CLIENT


@contextmanager
def community_errors() -> Iterator[None]:
    """A community service's refusal (unknown paper, rate limited, ...) as a tool error: its
    message is already a sentence for the person who tried."""
    try:
        yield
    except CommunityError as exc:
        raise ToolError(exc.message) from None
