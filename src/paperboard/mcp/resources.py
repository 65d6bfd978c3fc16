"""Resources: ``paper://{id}``, a paper as Markdown (what read_paper returns, whole).

``{+id}`` (reserved expansion) so old-style ids, ``paper://hep-th/9901001``, keep their slash.
An unknown paper or a malformed id is a resource-not-found error with a sentence saying which.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.runtime import Runtime


def register(server: MCPServer, runtime: Runtime) -> None:
    @server.resource(
        "paper://{+id}",
        name="paper",
        title="A paper as Markdown",
        description="Metadata, abstract and full text (from arXiv's HTML rendering, when it "
        "has one) of a paper on this server, by arXiv id: paper://2401.01234.",
        mime_type="text/markdown",
    )
    async def paper_resource(id: str) -> str:
        try:
            arxiv_id = parse_arxiv_id(id).id
        except InvalidArxivId:
            raise ResourceNotFoundError(f"{id[:80]!r} is not an arXiv id.") from None
        found = await runtime.reader.read(arxiv_id)
        if found is None:
            raise ResourceNotFoundError(f"paperboard has no paper {arxiv_id}.")
        return found.markdown
