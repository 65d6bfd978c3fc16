"""What the tools return: pydantic models (the tools' output schemas and structured content)
and the same results as short Markdown for the model to read.

A tool answers with both (``result``): clients that read structured content get the fields,
and the text is what a person would want to see of it, not the JSON again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from paperboard.domain.tex import cut_words
from paperboard.storage.listing import ListedPaper

# Lists show the start of each abstract; get_paper and read_paper give all of it.
ABSTRACT_EXCERPT_CHARS = 400


class PaperCard(BaseModel):
    id: str = Field(description="The arXiv id (canonical, no version).")
    title: str
    authors: list[str]
    published: str | None = Field(description="First version's date, YYYY-MM-DD.")
    categories: list[str]
    upvotes: int
    comments: int
    url: str = Field(description="The paper's page on this server.")
    arxiv_url: str
    pdf_url: str
    code: list[str] = Field(description="Code repositories.")
    abstract: str = Field(description="The abstract (in lists, its first sentences).")


class PaperDetails(PaperCard):
    ai_summary: str | None
    keywords: list[str]
    project_page: str | None
    journal_ref: str | None
    doi: str | None
    arxiv_comments: str | None = Field(description="The authors' arXiv comments field.")
    featured_days: list[str] = Field(description="Days the paper was on the daily board.")
    markdown_url: str = Field(description="The paper as Markdown (read_paper returns it).")


class SearchResults(BaseModel):
    query: str
    sort: str
    page: int
    total: int = Field(description="Matches found (capped).")
    has_next: bool
    semantic: bool = Field(description="Whether search by meaning took part.")
    papers: list[PaperCard]


class BoardPaper(PaperCard):
    featured_day: str
    submitted_by: str | None


class BoardPapers(BaseModel):
    period: str = Field(description="The day, week or month, as written in its URL.")
    start: str
    end: str
    url: str
    papers: list[BoardPaper]


class TrendingPaper(PaperCard):
    score: float = Field(description="Time-decayed upvote score (see /papers/trending).")
    hours_on_board: float


class TrendingPapers(BaseModel):
    reference_time: str
    papers: list[TrendingPaper]


class SimilarPaper(PaperCard):
    similarity: float = Field(description="Cosine similarity of the embeddings.")


class SimilarPapers(BaseModel):
    id: str
    semantic: bool = Field(description="False: this server has no embeddings yet.")
    papers: list[SimilarPaper]


class Comment(BaseModel):
    id: int
    author: str = Field(description="Username.")
    author_name: str
    created_at: str
    edited_at: str | None
    state: str = Field(description="visible, deleted or hidden (removed: no text).")
    text: str = Field(description="Markdown.")
    replies: list[Comment]


class PaperComments(BaseModel):
    id: str
    comments: list[Comment]


class ReadResult(BaseModel):
    id: str
    title: str
    url: str
    full_text: str = Field(
        description="ok (the text includes the full paper), missing (arXiv has no HTML "
        "rendering), pending (being fetched: ask again), unavailable or off."
    )
    characters: int = Field(description="Length of the whole Markdown document.")
    start: int
    next_start: int | None = Field(description="Where the next part starts; None at the end.")


class VoteResult(BaseModel):
    id: str
    upvotes: int = Field(description="The paper's upvotes after the vote.")
    upvoted: bool
    changed: bool = Field(description="False when the vote was already there.")


class CollectionSummary(BaseModel):
    slug: str = Field(description="owner/title-words-<id>: add_to_collection takes it.")
    title: str
    description: str | None
    private: bool = Field(description="Visible to its owner only.")
    items: int = Field(description="How many papers it holds.")
    first_papers: list[str] = Field(description="arXiv ids of its first few papers, in order.")
    updated_at: str


class CollectionList(BaseModel):
    owner: str = Field(description="The token owner's username.")
    collections: list[CollectionSummary]


class CollectionAddition(BaseModel):
    id: str = Field(description="The paper's arXiv id.")
    collection: CollectionSummary = Field(description="The collection after the addition.")
    note: str | None = Field(description="The note stored with the paper.")


class FeedReason(BaseModel):
    signal: str = Field(
        description="similar, keywords, authors, categories, users, searches, upvotes, "
        "trending or dismissed (docs/library.md)."
    )
    text: str = Field(description="For people; *...* marks a name, such as a collection's.")
    weight: float = Field(description="What it added to the score (negative: dismissed).")


class FeedPaper(PaperCard):
    score: float = Field(description="The sum of its reasons' weights.")
    reasons: list[FeedReason] = Field(description="Why it is recommended, strongest first.")


class Feed(BaseModel):
    user: str
    since: str = Field(description="First day of the window, YYYY-MM-DD.")
    until: str = Field(description="Last day of the window, YYYY-MM-DD.")
    weights: dict[str, float] = Field(
        description="The user's weight of each signal (0 turns it off)."
    )
    papers: list[FeedPaper]


def result(structured: BaseModel, text: str) -> CallToolResult:
    """A tool's answer: the model as structured content, ``text`` for reading."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured.model_dump(mode="json"),
    )


def card_fields(
    listed: ListedPaper, base_url: str, *, full_abstract: bool = False
) -> dict[str, Any]:
    """The fields of :class:`PaperCard` for a stored paper."""
    record = listed.paper
    abstract = " ".join(record.abstract.split())
    if not full_abstract:
        abstract = cut_words(abstract, ABSTRACT_EXCERPT_CHARS)
    return {
        "id": record.arxiv_id,
        "title": " ".join(record.title.split()),
        "authors": list(record.authors),
        "published": record.published_at.date().isoformat() if record.published_at else None,
        "categories": list(record.categories),
        "upvotes": listed.upvotes,
        "comments": listed.num_comments,
        "url": f"{base_url}/papers/{record.arxiv_id}",
        "arxiv_url": record.abs_url,
        "pdf_url": record.pdf_url,
        "code": list(record.code_urls),
        "abstract": abstract,
    }


def card(listed: ListedPaper, base_url: str) -> PaperCard:
    return PaperCard(**card_fields(listed, base_url))


def paper_lines(number: int, paper: PaperCard, extra: str = "") -> list[str]:
    """One paper of a list, as Markdown."""
    when = f", {paper.published}" if paper.published else ""
    counts = f"{paper.upvotes} upvotes, {paper.comments} comments"
    authors = ", ".join(paper.authors[:5]) + (" et al." if len(paper.authors) > 5 else "")
    lines = [
        f"{number}. **{paper.title}** ({paper.id}{when}): {counts}{extra}",
        f"   {authors}" + (f" · {', '.join(paper.categories)}" if paper.categories else ""),
        f"   {paper.url}",
    ]
    if paper.abstract:
        lines.append(f"   {paper.abstract}")
    return lines


def paper_list(papers: Sequence[PaperCard], extras: Sequence[str] = ()) -> str:
    """Papers as a numbered Markdown list ("No papers." for none)."""
    if not papers:
        return "No papers."
    lines: list[str] = []
    for number, paper in enumerate(papers, 1):
        extra = extras[number - 1] if number <= len(extras) else ""
        lines += [*paper_lines(number, paper, extra), ""]
    return "\n".join(lines).rstrip()
