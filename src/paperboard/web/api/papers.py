"""The Hugging Face-compatible JSON API (DESIGN.md §3) and the Markdown paper page.

Same paths, parameters and field names as Hugging Face's, so ``huggingface_hub.HfApi(endpoint=
...)`` works against paperboard unchanged (tests/web/test_api_hf_client.py runs the real client).

Handlers are ``async``: a repeated URL is answered from the response cache
(``response_cache.py``) before parameters are even parsed; otherwise the handler validates them
and asks the cache by parsed parameters; only a miss touches the database, in the thread pool.
Responses are pre-serialised with orjson rather than passed through FastAPI's encoder, which
cost 5x the throughput here (DESIGN.md §2); ``response_model`` only documents the shape.

Errors under ``/api/`` are JSON (``{"error": ...}``, see ``errors.py``): 400 for parameters
that are well-typed but meaningless (two periods at once, a bad cursor), 422 for ones FastAPI
rejects (``limit=0``), 404 for unknown papers.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from paperboard import boards
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.periods import InvalidPeriod, Period, parse_day, parse_month, parse_week
from paperboard.reading.markdown import NOT_AN_ID_MARKDOWN, not_found_markdown
from paperboard.search.highlight import prefix_pattern
from paperboard.search.service import SearchRequest
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.storage.listing import ListedPaper, PageKey
from paperboard.web.api import hf_shapes
from paperboard.web.deps import (
    get_db,
    get_keyword_index,
    get_runtime,
    get_search_service,
    get_settings,
)
from paperboard.web.errors import PageError
from paperboard.web.response_cache import CachedRoute, get_response_cache
from paperboard.web.session import MAX_ROW_ID

router = APIRouter(tags=["papers"], route_class=CachedRoute)

JSON = "application/json"
MARKDOWN = "text/markdown; charset=utf-8"


class ApiError(BaseModel):
    error: str


# The body of a 400 (web/errors.py): one sentence saying what to change.
ERROR_400: dict[str, Any] = {"model": ApiError, "description": "Invalid parameters."}


# Hugging Face's bounds: daily papers 1..100 per page, search 1..120 results, queries <= 250.
DAILY_MAX_LIMIT = 100
DAILY_DEFAULT_LIMIT = 50
SEARCH_MAX_LIMIT = 120
SEARCH_DEFAULT_LIMIT = 50
MAX_QUERY_CHARS = 250
PAPERS_MAX_LIMIT = 100
PAPERS_DEFAULT_LIMIT = 50
MAX_PAGE_NUMBER = 10_000  # p beyond this is a mistake or a crawler, not a reader


def _json(body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, media_type=JSON, headers=headers)


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


# --- /api/daily_papers ------------------------------------------------------------------------


def _period(day: str | None, week: str | None, month: str | None) -> Period | None:
    given = (("date", day), ("week", week), ("month", month))
    present = [(name, value) for name, value in given if value is not None]
    if len(present) > 1:
        names = " and ".join(name for name, _ in present)
        raise PageError(400, f"Give at most one of date, week and month (got {names}).")
    if not present:
        return None
    name, value = present[0]
    parse = {"date": parse_day, "week": parse_week, "month": parse_month}[name]
    try:
        return parse(value)
    except InvalidPeriod as exc:
        raise PageError(400, f"Invalid {name}: {exc}.") from None


def _daily_page(
    db: Database, period: Period | None, submitter: str | None, sort: str, p: int, limit: int
) -> tuple[bytes, Period | None, bool]:
    """The page's JSON, the period it shows (the home day when none was given) and whether
    another page follows."""
    if sort == "trending":
        entries = [ranked.entry for ranked in boards.trending(db).entries]
        if submitter is not None:
            entries = [entry for entry in entries if entry.featured_by == submitter]
    else:
        if period is None:
            day = boards.home_day(db)
            if day is None:
                return _dumps([]), None, False
            period = Period("day", day, day)
        entries = boards.board(db, period, submitter=submitter).entries
    page = entries[p * limit : (p + 1) * limit]
    body = _dumps([hf_shapes.daily_item(listing.from_board_entry(entry)) for entry in page])
    return body, period, len(entries) > (p + 1) * limit


_PERIOD_PARAMETER = {"day": "date", "week": "week", "month": "month"}


def _daily_next_url(
    base_url: str, period: Period | None, submitter: str | None, sort: str, p: int, limit: int
) -> str:
    """The next page of the same list. Without a period, the home day it showed is named, so
    the pages stay one board when a new day starts between two requests."""
    params: dict[str, str | int] = {}
    if period is not None and sort != "trending":
        params[_PERIOD_PARAMETER[period.kind]] = period.key
    if submitter is not None:
        params["submitter"] = submitter
    params |= {"sort": sort, "p": p + 1, "limit": limit}
    return f"{base_url}/api/daily_papers?{urlencode(params)}"


@router.get(
    "/api/daily_papers",
    response_model=list[hf_shapes.HfDailyPaper],
    summary="Papers featured on a day, week or month",
    responses={
        200: {"headers": {"Link": {"description": '`<url>; rel="next"` if more.'}}},
        400: ERROR_400,
    },
)
async def daily_papers(
    request: Request,
    day: Annotated[
        str | None,
        Query(
            alias="date",
            max_length=40,
            description="A day, YYYY-MM-DD. Without date, week and month: today's board, or "
            "the latest day that has one.",
            examples=["2026-11-26"],
        ),
    ] = None,
    week: Annotated[
        str | None,
        Query(max_length=40, description="An ISO week, YYYY-Www.", examples=["2026-W48"]),
    ] = None,
    month: Annotated[
        str | None, Query(max_length=40, description="A month, YYYY-MM.", examples=["2026-11"])
    ] = None,
    submitter: Annotated[
        str | None,
        Query(max_length=128, description="Only papers submitted by this username."),
    ] = None,
    sort: Annotated[
        Literal["publishedAt", "trending"],
        Query(
            description="publishedAt (default): the period's board as on its page, most "
            "upvoted first (ties: newest), as Hugging Face orders a day. trending: the "
            "time-decayed trending ranking of the last days (cannot be combined with "
            "date/week/month)."
        ),
    ] = "publishedAt",
    p: Annotated[int, Query(ge=0, le=MAX_PAGE_NUMBER, description="Page number, from 0.")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=DAILY_MAX_LIMIT, description="Papers per page (1-100).")
    ] = DAILY_DEFAULT_LIMIT,
) -> Response:
    """The papers featured in a period, in Hugging Face's `/api/daily_papers` item shape:
    `{paper: {...}, publishedAt, title, summary, thumbnail, numComments, submittedBy,
    isAuthorParticipating}`. An empty list for a period without featured papers. When more
    papers follow, the `Link` header holds the next page's absolute URL (`<...>; rel="next"`);
    `p` and `limit` page the same way."""
    period = _period(day, week, month)
    if sort == "trending" and period is not None:
        raise PageError(
            400, "sort=trending ranks the last days' boards; leave out date, week and month."
        )
    submitter = submitter or None
    db = get_db(request)
    key = ("daily", period, submitter, sort, p, limit)
    body, shown, has_next = await get_response_cache(request).get(
        key, lambda: _daily_page(db, period, submitter, sort, p, limit)
    )
    if not has_next or p == MAX_PAGE_NUMBER:
        return _json(body)
    # Absolute, from PAPERBOARD_BASE_URL, as /api/papers's: never from the Host header.
    base_url = get_settings(request).base_url
    next_url = _daily_next_url(base_url, shown, submitter, sort, p, limit)
    return _json(body, {"Link": f'<{next_url}>; rel="next"'})


# --- /api/papers/search -----------------------------------------------------------------------


def _search_body(request: Request, q: str | None, limit: int) -> bytes:
    db = get_db(request)
    if q is None:
        # huggingface_hub's list_papers() without a query sends no q: list the newest papers.
        with db.read() as connection:
            found = listing.newest_page(connection, None, limit)
        return _dumps([hf_shapes.search_item(listed, None) for listed in found])
    found = hybrid_search(request, q, limit)
    pattern = prefix_pattern(q)
    return _dumps([hf_shapes.search_item(listed, pattern) for listed in found])


def hybrid_search(request: Request, q: str, limit: int) -> list[ListedPaper]:
    """The search page's ranking (keywords and meaning fused) as API rows, best first."""
    db = get_db(request)
    if get_keyword_index(request) is None and db.is_sqlite:
        # SQLite searches through the keyword index; a server started without one cannot.
        raise PageError(503, "Search is not available: this server has no keyword index.")
    result = get_search_service(request).search(SearchRequest(query=q, per_page=limit))
    return [hit.listed for hit in result.hits]


@router.get(
    "/api/papers/search",
    response_model=list[hf_shapes.HfSearchResult],
    summary="Search papers by keywords and meaning",
)
async def search(
    request: Request,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Any text: what you remember of a paper, keywords or a pasted "
            'abstract; `"a phrase"`, `author:"name"` and `cat:cs.CL` are understood, and '
            "nothing else is query syntax. Without q: the newest papers.",
            examples=["llama 3 herd"],
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=SEARCH_MAX_LIMIT, description="Results (1-120).")
    ] = SEARCH_DEFAULT_LIMIT,
) -> Response:
    """Every stored paper, best match first (keywords and meaning fused, as on /search), in
    the daily-papers item shape plus `highlightedTitle`/`highlightedSummary`: the text cut
    into `{type: "text"|"highlight", text}` segments marking the query's words, as Hugging
    Face's search does."""
    body = await get_response_cache(request).get(
        ("search", q, limit), lambda: _search_body(request, q, limit)
    )
    return _json(body)


# --- /api/papers (all papers, key-set pages) ----------------------------------------------------


def encode_cursor(key: PageKey) -> str:
    """Opaque to clients: base64url of ``[published_at or null, id]``."""
    moment, paper_id = key
    raw = orjson.dumps([moment.isoformat() if moment else None, paper_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


INVALID_CURSOR = "Invalid cursor: use the URL of the previous response's Link header."


def decode_cursor(cursor: str) -> PageKey:
    """The page key a cursor holds, every field checked (type and range): a forged one is a
    400, never a value the database cannot compare (an id past 64 bits: OverflowError)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = orjson.loads(raw)
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise ValueError("shape")
        moment_text, paper_id = decoded
        # bool is an int in Python; ids are positive INTEGER column values (32 bits on
        # PostgreSQL), so nothing larger names a row.
        if isinstance(paper_id, bool) or not isinstance(paper_id, int):
            raise ValueError("id")
        if not 1 <= paper_id <= MAX_ROW_ID:
            raise ValueError("id out of range")
        if moment_text is not None and not isinstance(moment_text, str):
            raise ValueError("moment")
        moment = None if moment_text is None else datetime.fromisoformat(moment_text)
        if moment is not None:
            # astimezone() of a moment at the calendar's edge overflows: a forged cursor.
            utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            moment = utc
    except (binascii.Error, ValueError, TypeError, OverflowError):
        raise PageError(400, INVALID_CURSOR) from None
    return (moment, paper_id)


def _papers_page(db: Database, after: PageKey | None, limit: int) -> tuple[bytes, str | None]:
    with db.read() as connection:
        # One extra row says whether a next page exists, without counting the table.
        found = listing.newest_page(connection, after, limit + 1)
    page = found[:limit]
    next_cursor = encode_cursor(page[-1].key) if len(found) > limit else None
    return _dumps([hf_shapes.paper_info(listed) for listed in page]), next_cursor


def _papers_search(request: Request, search: str, limit: int) -> tuple[bytes, str | None]:
    found = hybrid_search(request, search, limit)
    return _dumps([hf_shapes.paper_info(listed) for listed in found]), None


@router.get(
    "/api/papers",
    response_model=list[hf_shapes.HfPaperInfo],
    summary="List all papers, newest first, page by page",
    responses={
        200: {"headers": {"Link": {"description": '`<url>; rel="next"` if more.'}}},
        400: ERROR_400,
    },
)
async def list_papers(
    request: Request,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where the page starts: taken from the previous page's Link header.",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=PAPERS_MAX_LIMIT, description="Papers per page (1-100).")
    ] = PAPERS_DEFAULT_LIMIT,
    search: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Keywords: the best matches instead of all papers (one page, no Link).",
        ),
    ] = None,
) -> Response:
    """Every paper in the store in `/api/papers/{id}`'s shape, newest publication first.
    When more papers follow, the `Link` header holds the next page's absolute URL
    (`<...>; rel="next"`, as GitHub's API and `huggingface_hub`'s paginate read it)."""
    if search is not None and cursor is not None:
        raise PageError(400, "search returns one page of best matches; it takes no cursor.")
    db = get_db(request)
    cache = get_response_cache(request)
    if search is not None:
        body, next_cursor = await cache.get(
            ("papers-search", search, limit), lambda: _papers_search(request, search, limit)
        )
    else:
        after = decode_cursor(cursor) if cursor is not None else None
        body, next_cursor = await cache.get(
            ("papers", after, limit), lambda: _papers_page(db, after, limit)
        )
    headers = None
    if next_cursor is not None:
        # Absolute, from PAPERBOARD_BASE_URL: never from the request's Host header, which
        # whoever sends the request chooses.
        query = urlencode({"cursor": next_cursor, "limit": limit})
        next_url = f"{get_settings(request).base_url}/api/papers?{query}"
        headers = {"Link": f'<{next_url}>; rel="next"'}
    return _json(body, headers)


# --- /papers/{id}.md -----------------------------------------------------------------------------


@router.get(
    "/papers/{arxiv_id:path}.md",
    tags=["pages"],
    summary="A paper page as Markdown",
    response_class=Response,
    responses={
        200: {"content": {"text/markdown": {}}, "description": "The page as Markdown."},
        404: {"content": {"text/markdown": {}}, "description": "Unknown paper."},
    },
)
async def paper_as_markdown(request: Request, arxiv_id: str) -> Response:
    """Title, links, authors, categories, counts, featured days, the re-flowed abstract and the
    full text (from arXiv's HTML rendering, fetched on first read; without one, a note says
    why) as `text/markdown`, for people and agents that read text (`huggingface_hub`'s
    `read_paper`). The paper page `/papers/{id}` answers the same to `Accept: text/markdown`."""
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        return Response(NOT_AN_ID_MARKDOWN, 404, media_type=MARKDOWN)
    # The route's URL cache keeps an answer for seconds only (response_cache.py): a full text
    # that arrives after a "being fetched" answer shows on a read soon after.
    found = await get_runtime(request).reader.read(canonical)
    if found is None:
        return Response(not_found_markdown(canonical), 404, media_type=MARKDOWN)
    return Response(found.markdown, media_type=MARKDOWN, headers={"Vary": "Accept"})
