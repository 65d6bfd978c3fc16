"""Community data for tests: papers, board entries, comment ids, cookies.

The site itself (``Site``, ``build_site``, ``Visitor``, ``Clock``, ``serve_app``) is built by
tests/app_factory.py, the one place that makes apps; its names are importable from here too,
where the community tests have always found them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from tests.app_factory import PASSWORD, Clock, Site, Visitor, build_site, open_site, serve_app

__all__ = [
    "PASSWORD",
    "Clock",
    "Site",
    "Visitor",
    "build_site",
    "comment_id",
    "featured",
    "iter_cookies",
    "open_site",
    "paper",
    "serve_app",
]


def paper(
    arxiv_id: str,
    *,
    title: str | None = None,
    authors: list[str] | None = None,
    published_at: datetime | None = None,
) -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title or f"Paper {arxiv_id}",
        abstract=f"The abstract of {arxiv_id}.",
        authors=authors or ["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG"],
        published_at=published_at or datetime.now(UTC) - timedelta(days=1),
    )


def featured(arxiv_id: str, day: date, upvotes: int = 0, comments: int = 0) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=day,
        submitted_by="akhaliq",
        submitted_by_fullname="AK",
        featured_at=datetime.combine(day, datetime.min.time(), UTC),
        upvotes=upvotes,
        num_comments=comments,
        source="huggingface",
    )


def comment_id(response: httpx.Response) -> int:
    """The id in a comment form's redirect (``/papers/ID#comment-N``)."""
    location = response.headers["location"]
    return int(location.rpartition("#comment-")[2])


def iter_cookies(response: httpx.Response) -> Iterator[str]:
    yield from response.headers.get_list("set-cookie")
