"""The read tools: find papers, look one up, read it, its neighbours and its discussion.

Each calls the service the web pages and the JSON API call (search, reader, community); none
writes, none needs a token (a token only lets a curator see hidden comments). Like the JSON
API's reads, they have no rate limit. Sync tools run in the SDK's worker threads, as the web's
handlers run in the thread pool: the storage layer is synchronous.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from paperboard.community.comments import CommentView
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.mcp.caller import Callers, community_errors
from paperboard.mcp.shapes import (
    Comment,
    PaperCard,
    PaperComments,
    PaperDetails,
    ReadResult,
    SearchResults,
    SimilarPaper,
    SimilarPapers,
    card,
    card_fields,
    paper_list,
    result,
)
from paperboard.reading.service import PaperView
from paperboard.runtime import Runtime
from paperboard.search.service import SearchRequest
from paperboard.storage import listing

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
# read_paper may ask arXiv for the full text the first time.
READ_ONLY_OPEN = ToolAnnotations(read_only_hint=True, open_world_hint=True)

MAX_QUERY_CHARS = 250
MAX_RESULTS = 50
READ_DEFAULT_CHARS = 100_000
READ_MAX_CHARS = 600_000

PaperId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="An arXiv id (2401.01234, hep-th/9901001), versioned or not, or its URL.",
    ),
]


def canonical_id(text: str) -> str:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        raise ToolError(f"{text[:80]!r} is not an arXiv id (e.g. 2401.01234).") from None


def not_stored(arxiv_id: str) -> ToolError:
    return ToolError(
        f"paperboard has no paper {arxiv_id}. search_papers finds stored papers; it may be "
        f"on arXiv: https://arxiv.org/abs/{arxiv_id}"
    )


def stored_paper(runtime: Runtime, text: str) -> PaperView:
    arxiv_id = canonical_id(text)
    view = runtime.reader.paper(arxiv_id)
    if view is None:
        raise not_stored(arxiv_id)
    return view


def comment_model(view: CommentView) -> Comment:
    return Comment(
        id=view.id,
        author=view.username,
        author_name=view.author_name,
        created_at=view.created_at.isoformat(),
        edited_at=view.edited_at.isoformat() if view.edited_at else None,
        state=view.state,
        text=view.text,
        replies=[comment_model(reply) for reply in view.replies],
    )


def comments_text(comments: list[Comment], indent: str = "") -> list[str]:
    lines = []
    for comment in comments:
        if comment.state != "visible":
            lines.append(f"{indent}- ({comment.state})")
        else:
            body = " ".join(comment.text.split())
            lines.append(f"{indent}- **{comment.author}** ({comment.created_at[:10]}): {body}")
        lines += comments_text(comment.replies, indent + "  ")
    return lines


def register(server: MCPServer, runtime: Runtime, callers: Callers) -> None:
    base_url = runtime.settings.base_url

    @server.tool(annotations=READ_ONLY)
    def search_papers(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_QUERY_CHARS,
                description='Words, a remembered title or a pasted abstract; "a phrase", '
                'author:"name" and cat:cs.CL are understood.',
            ),
        ],
        date_from: Annotated[date | None, Field(description="Published on or after.")] = None,
        date_to: Annotated[date | None, Field(description="Published on or before.")] = None,
        category: Annotated[
            str | None, Field(max_length=64, description="An arXiv category, e.g. cs.CL.")
        ] = None,
        has_code: Annotated[bool, Field(description="Only papers with a code link.")] = False,
        sort: Annotated[
            Literal["relevance", "upvotes", "newest"], Field(description="Order of results.")
        ] = "relevance",
        page: Annotated[int, Field(ge=1, le=50, description="Page of results, from 1.")] = 1,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Results a page.")] = 10,
    ) -> Annotated[CallToolResult, SearchResults]:
        """Search the papers on this server by keywords and meaning (hybrid search, as the
        site's search page). An arXiv id in the query finds that paper."""
        if runtime.keyword_index is None and runtime.db.is_sqlite:
            raise ToolError("Search is not available: this server has no keyword index.")
        found = runtime.search.search(
            SearchRequest(
                query=query,
                categories=(category,) if category else (),
                date_from=date_from,
                date_to=date_to,
                has_code=has_code,
                sort=sort,
                page=page,
                per_page=limit,
            )
        )
        with runtime.db.read() as connection:
            rows = listing.by_arxiv_ids(connection, [hit.paper.arxiv_id for hit in found.hits])
        papers = [card(row, base_url) for row in rows]
        model = SearchResults(
            query=query,
            sort=sort,
            page=page,
            total=found.total,
            has_next=found.has_next,
            semantic=found.semantic,
            papers=papers,
        )
        more = f" More on page {page + 1}." if found.has_next else ""
        head = f"{found.total} matches for {query!r} (page {page}, by {sort}).{more}"
        return result(model, f"{head}\n\n{paper_list(papers)}")

    @server.tool(annotations=READ_ONLY)
    def get_paper(id: PaperId) -> Annotated[CallToolResult, PaperDetails]:
        """One paper's metadata: title, authors, abstract, links (arXiv, PDF, code, project),
        categories, upvotes, comment count and the days it was on the daily board."""
        view = stored_paper(runtime, id)
        record = view.listed.paper
        model = PaperDetails(
            **card_fields(view.listed, base_url, full_abstract=True),
            ai_summary=record.ai_summary,
            keywords=list(record.ai_keywords),
            project_page=record.project_page,
            journal_ref=record.journal_ref,
            doi=record.doi,
            arxiv_comments=record.comments,
            featured_days=[day.isoformat() for day in view.featured_days],
            markdown_url=f"{base_url}/papers/{record.arxiv_id}.md",
        )
        lines = [
            f"# {model.title}",
            "",
            f"{model.id} · {', '.join(model.authors)}",
            f"Published {model.published or 'unknown'} · {', '.join(model.categories)}",
            f"{model.upvotes} upvotes, {model.comments} comments · {model.url}",
            f"arXiv: {model.arxiv_url} · PDF: {model.pdf_url}",
            *(f"Code: {url}" for url in model.code),
            "",
            model.abstract,
        ]
        return result(model, "\n".join(lines))

    @server.tool(annotations=READ_ONLY_OPEN)
    async def read_paper(
        id: PaperId,
        start: Annotated[
            int, Field(ge=0, description="Character to start at (from next_start).")
        ] = 0,
        max_chars: Annotated[
            int, Field(ge=200, le=READ_MAX_CHARS, description="At most this many characters.")
        ] = READ_DEFAULT_CHARS,
    ) -> Annotated[CallToolResult, ReadResult]:
        """The paper as Markdown: metadata, abstract and the full text (from arXiv's HTML
        rendering, with math as TeX), or a note when arXiv has none. Long papers come in
        parts: call again with start=next_start."""
        arxiv_id = canonical_id(id)
        found = await runtime.reader.read(arxiv_id)
        if found is None:
            raise not_stored(arxiv_id)
        text = found.markdown
        part = text[start : start + max_chars]
        end = start + len(part)
        next_start = end if end < len(text) else None
        model = ReadResult(
            id=arxiv_id,
            title=" ".join(found.view.listed.paper.title.split()),
            url=f"{base_url}/papers/{arxiv_id}",
            full_text=found.full_text.status,
            characters=len(text),
            start=start,
            next_start=next_start,
        )
        if next_start is not None:
            part += f"\n\n[Continues: read_paper(id={arxiv_id!r}, start={next_start})]"
        return result(model, part or "(nothing past the end of the paper)")

    @server.tool(annotations=READ_ONLY)
    def similar_papers(
        id: PaperId,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="How many.")] = 10,
    ) -> Annotated[CallToolResult, SimilarPapers]:
        """Papers nearest in meaning to this one (embedding similarity), best first."""
        view = stored_paper(runtime, id)
        arxiv_id = view.listed.paper.arxiv_id
        service = runtime.search
        hits = service.similar(view.listed.paper_id, limit) if service.semantic_available else []
        with runtime.db.read() as connection:
            rows = listing.by_arxiv_ids(connection, [hit.paper.arxiv_id for hit in hits])
        similarity = {hit.paper.arxiv_id: round(hit.score, 4) for hit in hits}
        papers = [
            SimilarPaper(**card_fields(row, base_url), similarity=similarity[row.paper.arxiv_id])
            for row in rows
        ]
        model = SimilarPapers(id=arxiv_id, semantic=service.semantic_available, papers=papers)
        if not service.semantic_available:
            return result(model, "Similar papers need embeddings, and this server has none.")
        extras = [f", similarity {paper.similarity:.2f}" for paper in papers]
        cards: list[PaperCard] = list(papers)
        return result(model, f"Papers similar to {arxiv_id}:\n\n{paper_list(cards, extras)}")

    @server.tool(annotations=READ_ONLY)
    def paper_comments(id: PaperId, ctx: Context) -> Annotated[CallToolResult, PaperComments]:
        """The discussion of a paper on this server: comments oldest first, each with its
        replies (removed comments show only as placeholders)."""
        arxiv_id = canonical_id(id)
        viewer = callers.viewer(ctx)
        with community_errors():
            thread = runtime.community.comments.thread(arxiv_id, viewer)
        comments = [comment_model(view) for view in thread]
        model = PaperComments(id=arxiv_id, comments=comments)
        lines = comments_text(comments) or ["No comments yet."]
        return result(model, f"Comments on {arxiv_id}:\n\n" + "\n".join(lines))
