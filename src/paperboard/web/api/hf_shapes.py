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
- ``thumbnail`` and ``avatarUrl``: ``null``. paperboard has no thumbnail or avatar service and
  arXiv serves no thumbnails; ``huggingface_hub`` does not read ``thumbnail`` and reads
  ``avatarUrl`` with a default, so both parse.
- ``isAuthorParticipating``, ``upvoted``, ``isPro``...: ``false`` (no author claims, no
  per-user state on anonymous API reads).
- ``submittedBy`` / ``submittedOnDailyBy``: ``null`` for papers featured without a named
  submitter (an anonymous import) or never featured.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from paperboard.search.highlight import prefix_spans
from paperboard.storage.listing import ListedPaper

# --- values ---------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """``2026-11-26T00:00:00.000Z``: UTC, milliseconds, ``Z`` (the format Hugging Face sends)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def object_id(kind: str, *parts: str) -> str:
    """A stable 24-hex-digit id for ``kind`` and ``parts`` (see the module docstring)."""
    text = ":".join((kind, *parts))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def user(username: str | None, fullname: str | None) -> dict[str, Any] | None:
    """A Hugging Face user object for a submitter. ``name`` is the username, as Hugging Face
    sends it; ``user`` repeats it because ``huggingface_hub``'s ``User`` reads it from there."""
    if not username:
        return None
    return {
        "_id": object_id("user", username),
        "avatarUrl": None,
        "fullname": fullname or username,
        "name": username,
        "user": username,
        "type": "user",
        "isPro": False,
        "isHf": False,
        "isHfAdmin": False,
        "isMod": False,
    }


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
        "submittedOnDailyBy": user(listed.featured_by, listed.featured_by_fullname),
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
        "thumbnail": None,
        # numComments, as upvotes: the count imported with a Hugging Face board plus the local
        # comments. Clients of this API know it as Hugging Face's count and see no thread to
        # disagree with; the pages show the two apart ("2 comments", "3 on Hugging Face").
        "numComments": listed.num_comments,
        "submittedBy": user(listed.featured_by, listed.featured_by_fullname),
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

_TIME = "ISO 8601 UTC with milliseconds, e.g. 2026-11-26T00:00:00.000Z"


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
    publishedAt: str | None = Field(description=f"First arXiv version. {_TIME}.")
    submittedOnDailyAt: str | None = Field(description=f"When it went on a board. {_TIME}.")
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


class HfPaperInfo(HfPaper):
    numComments: int


class HfDailyPaper(_Shape):
    paper: HfPaper
    publishedAt: str | None = Field(description=f"When the paper was featured. {_TIME}.")
    title: str
    summary: str
    thumbnail: str | None = Field(description="Always null: no thumbnail service.")
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
