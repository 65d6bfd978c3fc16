"""Hugging Face Papers JSON: ``/api/daily_papers`` boards and ``/api/papers/search`` results.

Both are lists of ``{paper: {...}, publishedAt, title, summary, numComments, ...}``. Three
schema generations are handled (see DESIGN.md §3 and the recorded fixtures):
- 2024: no ``submittedOnDailyAt``; the top-level ``publishedAt`` is when the paper was featured
  and the top-level ``submittedBy`` is who submitted it;
- 2025: ``paper.submittedOnDailyAt``/``submittedOnDailyBy``, AI summary and keywords, GitHub
  repository and stars, project page; the top-level ``publishedAt`` is then the paper's date;
- every generation: the top-level ``thumbnail`` (kept with the paper, for the API);
- 2026: adds ``organization``, ``ai_summary_model`` and ``githubRepoAddedBy`` (ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import orjson

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.links import find_links
from paperboard.domain.paper import (
    JSON_NUL,
    MAX_COUNT,
    FeaturedRecord,
    IngestItem,
    Malformed,
    PaperRecord,
    as_utc,
    clean_abstract,
    clean_authors,
    clean_title,
    without_nul,
)
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import Fetcher

DAILY_PAPERS_URL = "https://huggingface.co/api/daily_papers"
PAGE_LIMIT = 100  # the most entries Hugging Face returns per request
MAX_PAGES = 50  # a day has well under 5,000 featured papers; stop a server that never ends
SOURCE = "huggingface"


class _BadEntry(Exception):
    """An entry cannot be read; the message is the reason given in :class:`Malformed`."""


def _load_list(data: bytes, what: str) -> list[Any]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{what}: invalid JSON ({exc})") from exc
    if not isinstance(parsed, list):
        raise SourceError(f"{what}: expected a JSON list, got {type(parsed).__name__}")
    return parsed


def parse_daily_papers(data: bytes, *, day: date | None = None) -> Iterator[IngestItem]:
    """Yield a :class:`PaperRecord` then a :class:`FeaturedRecord` for each entry of a board.

    ``day`` is the board's day, used when an entry does not say on which day it was featured.
    A malformed entry is reported as :class:`Malformed` (``entry N``, counted from 1).
    """
    yield from _without_nul(data, _daily_items(_load_list(data, "daily papers"), day))


def _daily_items(entries: list[Any], day: date | None) -> Iterator[IngestItem]:
    for number, entry in enumerate(entries, start=1):
        try:
            paper = _paper(entry)
            featured = _featured(entry, paper.arxiv_id, day)
        except _BadEntry as exc:
            yield Malformed(f"entry {number}", str(exc))
            continue
        yield paper
        yield featured


def parse_search_results(data: bytes) -> Iterator[IngestItem]:
    """Yield a :class:`PaperRecord` for each ``/api/papers/search`` result (nothing featured)."""
    yield from _without_nul(data, _search_items(_load_list(data, "paper search results")))


def _search_items(entries: list[Any]) -> Iterator[IngestItem]:
    for number, entry in enumerate(entries, start=1):
        try:
            yield _paper(entry)
        except _BadEntry as exc:
            yield Malformed(f"entry {number}", str(exc))


def _without_nul(data: bytes, items: Iterator[IngestItem]) -> Iterator[IngestItem]:
    # The store cannot hold NUL (PostgreSQL text); the JSON can, escaped.
    if JSON_NUL not in data:
        return items
    return (item if isinstance(item, Malformed) else without_nul(item) for item in items)


# --- one entry ------------------------------------------------------------------------------


def _paper(entry: Any) -> PaperRecord:
    if not isinstance(entry, dict):
        raise _BadEntry(f"expected an object, got {type(entry).__name__}")
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        raise _BadEntry("missing paper")
    raw_id = paper.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise _BadEntry("missing paper.id")
    try:
        arxiv_id = parse_arxiv_id(raw_id).id
    except InvalidArxivId as exc:
        raise _BadEntry(str(exc)) from exc
    title = _text(paper.get("title")) or _text(entry.get("title"))
    if not title:
        raise _BadEntry("missing title")
    summary = clean_abstract(_text(paper.get("summary")) or _text(entry.get("summary")) or "")
    found_repos, found_page = find_links(summary)
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=clean_title(title),
        abstract=summary,
        authors=_authors(paper.get("authors")),
        categories=[],  # Hugging Face does not classify papers
        published_at=_timestamp(paper, "publishedAt"),
        code_urls=_merge_repos(_text(paper.get("githubRepo")), found_repos),
        project_page=_text(paper.get("projectPage")) or found_page,
        ai_summary=_text(paper.get("ai_summary")),
        ai_keywords=_keywords(paper.get("ai_keywords")),
        github_stars=_count(paper.get("githubStars")),
        thumbnail_url=_image_url(entry.get("thumbnail")),
    )


def _featured(entry: dict[str, Any], arxiv_id: str, day: date | None) -> FeaturedRecord:
    paper = entry["paper"]
    listed_at = _timestamp(entry, "publishedAt")
    submitted_at = _timestamp(paper, "submittedOnDailyAt")
    # Since 2025 the top-level publishedAt is the paper's date, not the board's: prefer the
    # submission time, which is when the paper went on the board.
    featured_at = submitted_at or listed_at
    if submitted_at is not None:
        board_day = submitted_at.date()
    elif day is not None:
        board_day = day
    elif listed_at is not None:
        board_day = listed_at.date()
    else:
        raise _BadEntry("no day: neither submittedOnDailyAt nor publishedAt")
    username, fullname = _submitter(entry, paper)
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=board_day,
        submitted_by=username,
        submitted_by_fullname=fullname,
        featured_at=featured_at,
        upvotes=_count(paper.get("upvotes")) or 0,
        num_comments=_count(entry.get("numComments")) or 0,
        source=SOURCE,
    )


def _submitter(entry: dict[str, Any], paper: dict[str, Any]) -> tuple[str | None, str | None]:
    by = paper.get("submittedOnDailyBy")
    if isinstance(by, dict) and (_text(by.get("user")) or _text(by.get("name"))):
        return _text(by.get("user")) or _text(by.get("name")), _text(by.get("fullname"))
    by = entry.get("submittedBy")
    if isinstance(by, dict) and _text(by.get("name")):
        return _text(by.get("name")), _text(by.get("fullname"))
    return None, None


def _authors(authors: Any) -> list[str]:
    if not isinstance(authors, list):
        return []
    names = (_text(a.get("name")) for a in authors if isinstance(a, dict))
    return clean_authors([clean_title(name) for name in names if name])


def _keywords(keywords: Any) -> list[str]:
    if not isinstance(keywords, list):
        return []
    return [word for word in (_text(k) for k in keywords) if word]


def _merge_repos(github_repo: str | None, found: list[str]) -> list[str]:
    repos = [github_repo.rstrip("/")] if github_repo else []
    for repo in found:
        if repo.lower() not in (r.lower() for r in repos):
            repos.append(repo)
    return repos


# Thumbnails are served to API clients, who put them in <img src>: web addresses only, of a
# sane length (Hugging Face's are ~80 characters).
_MAX_URL_CHARS = 2000


def _image_url(value: Any) -> str | None:
    """An http(s) URL, else None: anything else in ``thumbnail`` (a ``javascript:`` URL, a
    relative path) is not an image a client can load, so it is not kept."""
    url = _text(value)
    if url is None or len(url) > _MAX_URL_CHARS or any(c.isspace() for c in url):
        return None
    return url if url.lower().startswith(("https://", "http://")) else None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _count(value: Any) -> int | None:
    """A non-negative count; absent -> None. Anything else is a schema change worth reporting."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadEntry(f"not a count: {value!r}")
    if value > MAX_COUNT:
        # No real count is this large; the store's INTEGER columns could not hold it either.
        raise _BadEntry(f"not a count: {value!r} (more than {MAX_COUNT})")
    return value


def _timestamp(obj: dict[str, Any], key: str) -> datetime | None:
    """An ISO 8601 time (``2026-11-26T00:00:00.000Z``) in UTC; absent -> None, invalid -> error."""
    value = obj.get(key)
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except (TypeError, ValueError) as exc:
        raise _BadEntry(f"bad {key} {value!r}") from exc


# --- the live API ---------------------------------------------------------------------------


def fetch_daily(
    fetcher: Fetcher,
    day: date,
    base_url: str = DAILY_PAPERS_URL,
    *,
    limit: int = PAGE_LIMIT,
) -> list[IngestItem]:
    """Fetch one day's board, page by page (``p=0,1,...``) while a page comes back full."""
    items: list[IngestItem] = []
    seen: set[str] = set()
    for page_number in range(MAX_PAGES):
        params = {"date": day.isoformat(), "limit": str(limit), "p": str(page_number)}
        response = fetcher.get(base_url, params)
        if response.status != 200:
            raise SourceError(f"{response.url}: HTTP {response.status}")
        entries = _load_list(response.content, f"daily papers {day.isoformat()} page {page_number}")
        page = _without_nul(response.content, _daily_items(entries, day))
        new = _keep_new(page, page_number, seen)
        items.extend(new)
        # A short page is the last one; a full page of known papers means the server ignores
        # ``p`` (or the board shifted under us): stop rather than loop.
        if len(entries) < limit or not new:
            break
    return items


def _keep_new(page: Iterator[IngestItem], page_number: int, seen: set[str]) -> list[IngestItem]:
    """Drop papers already fetched (boards re-sort while we page) and place malformed entries."""
    kept: list[IngestItem] = []
    for item in page:
        if isinstance(item, Malformed):
            kept.append(Malformed(f"page {page_number} {item.location}", item.reason))
        elif item.arxiv_id in seen:
            continue
        elif isinstance(item, FeaturedRecord):
            # The paper came just before its featured record: both are now known.
            seen.add(item.arxiv_id)
            kept.append(item)
        else:
            kept.append(item)
    return kept
