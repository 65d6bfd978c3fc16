"""Papers in Hugging Face's JSON shapes (DESIGN.md §3), field for field.

The recorded responses in ``data/fixtures/hf_daily_papers/`` are the reference; the pydantic
models below document the shapes in ``/openapi.json`` and ``tests/web/test_api_hf_shapes.py`` checks
that what the builders produce validates against them (extra keys forbidden), so the schema and
the output cannot drift apart.

Values Hugging Face has and paperboard does not are given honestly rather than invented:
- ``_id`` / ``discussionId``: 24 hex digits like Hugging Face's ObjectIds, but *derived*: the
  BLAKE2b digest (12 bytes) of ``"<kind>:<parts>"``, e.g. ``author:2401.01234:0`` for the
  first author. So they are stable across restarts, re-ingests and installations, and never
  collide with one another's kinds. An author's id follows their position in the list.
- ``thumbnail``: the one imported with the paper from Hugging Face (their social thumbnail
  URL), else ``null``: paperboard makes no thumbnails and arXiv serves none.
- ``avatarUrl``: ``null``: paperboard has no avatar service; ``huggingface_hub`` reads it with
  a default, so it parses.
- ``isAuthorParticipating``, ``upvoted``, ``isPro``...: ``false`` (no author claims, no
  per-user state on anonymous API reads).
- ``submittedBy`` / ``submittedOnDailyBy``: ``null`` for papers featured without a named
  submitter (an anonymous import) or never featured.
- Comments (``?field=comments``) are paperboard's own thread, in the shape of Hugging Face's
  discussion comments: a flat list, oldest first, a reply naming its comment in
  ``data.parentCommentId``. A comment's ``id`` is its number in hexadecimal, zero-padded to 24
  digits: ``int(id, 16)`` is the id of ``/api/comments/{id}`` (replies and edits). There are no
  reactions here (``reactions: []``). ``numComments`` also counts the comments an imported
  board says the paper had on Hugging Face, which are not in the list.
- ``/api/arxiv/{id}/repos``: models, datasets and Spaces citing the paper. paperboard hosts no
  repositories, so the three lists are empty, in the right shape.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from paperboard.community.comments import VISIBLE, CommentView
from paperboard.domain.hf_values import hf_user, iso, object_id
from paperboard.search.highlight import prefix_spans
from paperboard.storage.listing import ListedPaper

# --- values ---------------------------------------------------------------------------------


def authors(arxiv_id: str, names: list[str]) -> list[dict[str, Any]]:
    return [
        {"_id": object_id("author", arxiv_id, str(position)), "name": name, "hidden": False}
        for position, name in enumerate(names)
    ]


def paper_fields(listed: ListedPaper) -> dict[str, Any]:
    """The ``paper`` object of a daily-papers item; also the top level of ``/api/papers/{id}``."""
    record = listed.paper
    return {
        "id": record.arxiv_id,
        "authors": authors(record.arxiv_id, record.authors),
        "publishedAt": iso(record.published_at),
        "submittedOnDailyAt": iso(listed.featured_at),
        "title": record.title,
        "submittedOnDailyBy": hf_user(listed.featured_by, listed.featured_by_fullname),
        "summary": record.abstract,
        "upvotes": listed.upvotes,
        "discussionId": object_id("discussion", record.arxiv_id),
        # Hugging Face names the field after GitHub; it is the paper's first code link.
        "githubRepo": record.code_urls[0] if record.code_urls else None,
        "githubStars": record.github_stars,
        "projectPage": record.project_page,
        "ai_summary": record.ai_summary,
        "ai_keywords": list(record.ai_keywords),
    }


def daily_item(listed: ListedPaper) -> dict[str, Any]:
    """One item of ``/api/daily_papers``. The top-level ``publishedAt`` is when the paper went
    on the board (``huggingface_hub`` reads it as ``submitted_at``); for a paper never featured
    (search results) it falls back to the paper's own date, as Hugging Face's search does."""
    record = listed.paper
    return {
        "paper": paper_fields(listed),
        "publishedAt": iso(listed.featured_at or record.published_at),
        "title": record.title,
        "summary": record.abstract,
        "thumbnail": record.thumbnail_url,
        # numComments, as upvotes: the count imported with a Hugging Face board plus the local
        # comments. Clients of this API know it as Hugging Face's count and see no thread to
        # disagree with; the pages show the two apart ("2 comments", "3 on Hugging Face").
        "numComments": listed.num_comments,
        "submittedBy": hf_user(listed.featured_by, listed.featured_by_fullname),
        "isAuthorParticipating": False,
    }


def search_item(listed: ListedPaper, pattern: re.Pattern[str] | None) -> dict[str, Any]:
    item = daily_item(listed)
    item["upvoted"] = False
    item["highlightedTitle"] = highlight(listed.paper.title, pattern)
    item["highlightedSummary"] = highlight(listed.paper.abstract, pattern)
    return item


def paper_info(listed: ListedPaper) -> dict[str, Any]:
    """``/api/papers/{id}``: the paper fields at the top level, plus the comment count."""
    info = paper_fields(listed)
    info["numComments"] = listed.num_comments  # imported plus local, as in daily_item
    return info


def paper_with_comments(listed: ListedPaper, thread: list[CommentView]) -> dict[str, Any]:
    """``/api/papers/{id}?field=comments``: the paper info plus its comments."""
    info = paper_info(listed)
    info["comments"] = comments(thread)
    return info


# --- comments (Hugging Face's discussion comment events) --------------------------------------

# Why a comment shows without its text (Hugging Face's ``hiddenReason``).
_HIDDEN_REASONS = {"deleted": "Deleted by its author", "hidden": "Hidden by a curator"}


def comment_id(row_id: int) -> str:
    """A comment's id: 24 hex digits like Hugging Face's, and ``int(id, 16)`` is ours."""
    return f"{row_id:024x}"


def comments(thread: list[CommentView]) -> list[dict[str, Any]]:
    """A thread (top-level comments with their replies) as Hugging Face's flat list, oldest
    first: a reply names its comment in ``data.parentCommentId``."""
    flat = [view for top in thread for view in (top, *top.replies)]
    flat.sort(key=lambda view: (view.created_at, view.id))
    return [comment(view) for view in flat]


def comment(view: CommentView) -> dict[str, Any]:
    """One comment in the shape ``huggingface_hub``'s ``deserialize_event`` reads: ``id``,
    ``type``, ``author.name``, ``createdAt``, ``data.edited``, ``data.hidden``,
    ``data.latest.raw``. A removed comment keeps its place (its replies hang under it) with no
    text, as Hugging Face shows a hidden one."""
    author = hf_user(view.username, view.author_name)
    data: dict[str, Any] = {
        "edited": view.edited_at is not None,
        "hidden": view.state != VISIBLE,
        "latest": {
            "raw": view.text,
            "html": view.html,
            "updatedAt": iso(view.edited_at or view.created_at),
            "author": author,
        },
        "reactions": [],
        "isReport": False,
    }
    if view.state != VISIBLE:
        data["hiddenReason"] = _HIDDEN_REASONS[view.state]
    if view.parent_id is not None:
        data["parentCommentId"] = comment_id(view.parent_id)
    return {
        "id": comment_id(view.id),
        "type": "comment",
        "author": author,
        "createdAt": iso(view.created_at),
        "data": data,
    }


EMPTY_REPOS: dict[str, list[Any]] = {"models": [], "datasets": [], "spaces": []}


# --- search highlights (the matching is search/highlight.py's) -------------------------------


def highlight(text: str, pattern: re.Pattern[str] | None) -> list[dict[str, str]]:
    """``text`` cut into ``{"type": "text"|"highlight", "text": ...}`` segments whose texts
    join back to ``text`` exactly (Hugging Face's ``highlightedTitle``/``highlightedSummary``)."""
    segments: list[dict[str, str]] = []
    position = 0
    for start, end in prefix_spans(text, pattern):
        if start > position:
            segments.append({"type": "text", "text": text[position:start]})
        segments.append({"type": "highlight", "text": text[start:end]})
        position = end
    if position < len(text):
        segments.append({"type": "text", "text": text[position:]})
    return segments


# --- schema (documentation; tests validate the builders' output against it) -----------------

TIME_FORMAT = "ISO 8601 UTC with milliseconds, e.g. 2026-11-26T00:00:00.000Z"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HfUser(_Shape):
    id: str = Field(alias="_id", description="Stable derived id (24 hex digits).")
    avatarUrl: str | None = Field(description="Always null: paperboard serves no avatars.")
    fullname: str
    name: str = Field(description="The username.")
    user: str = Field(description="The username again (read by huggingface_hub's User).")
    type: Literal["user"]
    isPro: bool
    isHf: bool
    isHfAdmin: bool
    isMod: bool


class HfAuthor(_Shape):
    id: str = Field(alias="_id", description="Derived from the arXiv id and the position.")
    name: str
    hidden: bool


class HfPaper(_Shape):
    id: str = Field(description="The arXiv id, without version.")
    authors: list[HfAuthor]
    publishedAt: str | None = Field(description=f"First arXiv version. {TIME_FORMAT}.")
    submittedOnDailyAt: str | None = Field(description=f"When it went on a board. {TIME_FORMAT}.")
    title: str
    submittedOnDailyBy: HfUser | None
    summary: str = Field(description="The abstract, with arXiv's line breaks.")
    upvotes: int
    discussionId: str
    githubRepo: str | None = Field(description="The paper's first code repository URL.")
    githubStars: int | None
    projectPage: str | None
    ai_summary: str | None
    ai_keywords: list[str]


class HfCommentLatest(_Shape):
    raw: str = Field(description="The Markdown as written; empty when removed.")
    html: str = Field(description="The Markdown rendered and sanitised.")
    updatedAt: str = Field(description=f"The last edit, else the creation. {TIME_FORMAT}.")
    author: HfUser


class HfCommentData(_Shape):
    edited: bool
    hidden: bool = Field(description="Removed (deleted by its author or hidden): no text.")
    hiddenReason: str | None = Field(default=None, description="Only when hidden.")
    latest: HfCommentLatest
    reactions: list[dict[str, Any]] = Field(description="Always empty: no reactions here.")
    isReport: bool
    parentCommentId: str | None = Field(
        default=None, description="Only on replies: the id of the comment replied to."
    )


class HfComment(_Shape):
    id: str = Field(description="24 hex digits; int(id, 16) is the id in /api/comments/{id}.")
    type: Literal["comment"]
    author: HfUser
    createdAt: str = Field(description=f"{TIME_FORMAT}.")
    data: HfCommentData


class HfPaperInfo(HfPaper):
    numComments: int = Field(
        description="Comments here plus those counted on Hugging Face for imported papers."
    )


class HfPaperDetail(HfPaperInfo):
    comments: list[HfComment] | None = Field(
        default=None,
        description="Only with ?field=comments: paperboard's thread, oldest first, replies "
        "naming their comment in data.parentCommentId.",
    )


class HfRepos(_Shape):
    models: list[dict[str, Any]] = Field(description="Always empty: no hosted repositories.")
    datasets: list[dict[str, Any]] = Field(description="Always empty.")
    spaces: list[dict[str, Any]] = Field(description="Always empty.")


class HfDailyPaper(_Shape):
    paper: HfPaper
    publishedAt: str | None = Field(description=f"When the paper was featured. {TIME_FORMAT}.")
    title: str
    summary: str
    thumbnail: str | None = Field(
        description="The image URL imported from Hugging Face with the paper, else null."
    )
    numComments: int
    submittedBy: HfUser | None
    isAuthorParticipating: bool


class HfSegment(_Shape):
    type: Literal["text", "highlight"]
    text: str


class HfSearchResult(HfDailyPaper):
    upvoted: bool
    highlightedTitle: list[HfSegment]
    highlightedSummary: list[HfSegment]
