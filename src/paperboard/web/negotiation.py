"""Content negotiation for paper pages: ``GET /papers/{id}`` with ``Accept: text/markdown``
answers what ``/papers/{id}.md`` answers (reading/markdown.py), for agents that ask for text.

A pure ASGI middleware in front of the routes: it rewrites the path before routing, so the
paper page's response cache (keyed by URL) never hands HTML to a Markdown reader or the other
way round, and it adds ``Vary: Accept`` to paper pages for caches between here and the reader.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id

PAPERS = "/papers/"


def wants_markdown(accept: str) -> bool:
    """Whether ``accept`` ranks text/markdown above text/html (HTML wins ties and ``*/*``)."""
    quality: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.lower()] = max(q, quality.get(media.lower(), 0.0))
    markdown = quality.get("text/markdown", 0.0)
    html = max(quality.get("text/html", 0.0), quality.get("text/*", 0.0), quality.get("*/*", 0.0))
    return markdown > 0 and markdown > html


def is_paper_page(path: str) -> bool:
    """``/papers/<an arXiv id>`` (not ``/papers/trending``, ``/papers/x.md``, ``.../upvote``)."""
    if not path.startswith(PAPERS) or path.endswith(".md"):
        return False
    try:
        parse_arxiv_id(path[len(PAPERS) :])
    except InvalidArxivId:
        return False
    return True


class MarkdownNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not is_paper_page(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if wants_markdown(Headers(scope=scope).get("accept", "")):
            path = scope["path"] + ".md"
            scope = {**scope, "path": path, "raw_path": path.encode()}

        async def vary_accept(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Accept")
            await send(message)

        await self.app(scope, receive, vary_accept)
