"""HTML pages. Each handler parses its input, makes one domain call and renders a template.

Handlers are plain ``def``: the storage layer is synchronous, so FastAPI runs them in its
thread pool instead of blocking the event loop.

Pages change only on an ingest, a featuring or a vote, and a 60-card board costs ~10 ms to
query and render: so a page's HTML is kept by the response cache (``response_cache.py``: per
process, dropped within a second of a data change, at most 10 s old) and a repeat request
costs a dictionary look-up. Only canonical URLs are kept (no query string, or ``?page=N``):
a query string anyone can vary must not fill the cache with 100 kB pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.responses import Response

from paperboard import boards
from paperboard.config import Settings
from paperboard.domain import ranking
from paperboard.domain.arxiv_id import InvalidArxivId, abs_url, parse_arxiv_id
from paperboard.domain.periods import InvalidPeriod, Period, parse_day, parse_month, parse_week
from paperboard.search.results import SearchHit
from paperboard.storage.database import Database
from paperboard.web.deps import get_db, get_search_service, get_settings
from paperboard.web.errors import PageError
from paperboard.web.pages import community
from paperboard.web.pagination import PER_PAGE, Pager, page_offset, parse_page
from paperboard.web.render import boards as boards_view
from paperboard.web.response_cache import CachedRoute
from paperboard.web.session import has_form_token, is_personal
from paperboard.web.templating import render

_CANONICAL_QUERY = re.compile(rb"(?:page=[1-9][0-9]{0,3})?")


# A paper page shows the paper, its votes, comments and board days: all covered by the data
# version, so an anonymous copy stays valid until one of them changes. The ttl bounds what the
# version does not see: similar papers appearing as embeddings are stored, the year shown in
# dates. Board pages keep the cache's short ttl (trending decays, "today" moves).
PAPER_PAGE_TTL_S = 300.0


class _PageRoute(CachedRoute):
    """:class:`CachedRoute` for canonical page URLs; any other query string is built afresh."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if self.name == "paper":
            self.cache_ttl = PAPER_PAGE_TTL_S
        cached = super().get_route_handler()
        uncached = APIRoute.get_route_handler(self)

        async def serve(request: Request) -> Response:
            # A signed-in person's page has their name, votes and form tokens: never cached.
            if is_personal(request):
                return await uncached(request)
            if _CANONICAL_QUERY.fullmatch(request.scope["query_string"]):
                return await cached(request)
            return await uncached(request)

        return serve

    def keeps(self, request: Request) -> bool:
        # An anonymous page with a form (the empty home page's demo button) has the visitor's
        # token in it.
        return not has_form_token(request)


# Pages stay out of /openapi.json, which documents the JSON API for its clients.
router = APIRouter(
    default_response_class=HTMLResponse, include_in_schema=False, route_class=_PageRoute
)
# The paper page, ``/papers/{arxiv_id:path}``: old-style ids (hep-th/9901001) need the path
# converter, so it matches every path under /papers/. web/app.py registers it last.
catch_all = APIRouter(
    default_response_class=HTMLResponse, include_in_schema=False, route_class=_PageRoute
)

# HEAD too: link checkers and uptime monitors use it (the server sends the headers only).
GET_HEAD = ["GET", "HEAD"]

DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# A day has ~30-90 featured papers: one page shows a whole day, and the busiest week's or
# month's top papers. Ranking needs the whole period anyway; the page only cuts the list.
BOARD_PER_PAGE = 60
# Trending shows the head of the list: below it, scores are a week old and near zero.
TRENDING_SHOWN = 50


@router.api_route("/", methods=GET_HEAD, name="home")
def home(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Today's board, or the latest day with featured papers; the newest papers before any."""
    day = boards.home_day(db, datetime.now(UTC).date())
    if day is None:
        return _newest_page(request, db, settings, page=1, home=True)
    return _board_page(request, db, Period("day", day, day), page=1, home=True)


@router.api_route("/papers/new", methods=GET_HEAD, name="newest")
def newest(request: Request, db: DbDep, settings: SettingsDep, page: str | None = None) -> Response:
    """Everything in the store, most recently published first, 30 a page."""
    # ``page`` is parsed here rather than typed ``int`` so a bad value gets the designed 400
    # page with a sentence, not a validation error.
    return _newest_page(request, db, settings, page=parse_page(page), home=False)


def _newest_page(
    request: Request, db: Database, settings: Settings, *, page: int, home: bool
) -> Response:
    # One extra row tells whether a next page exists without counting the whole table.
    rows = boards_view.load_newest(db, limit=PER_PAGE + 1, offset=page_offset(page))
    if not rows and page > 1:
        raise PageError(404, f"There is no page {page}: the list of papers ends before it.")
    # The home page's "more" link continues on /papers/new, the listing's own address.
    pager = Pager(page=page, has_next=len(rows) > PER_PAGE, path="/papers/new")
    context = {
        "papers": rows[:PER_PAGE],
        "pager": pager,
        "home": home,
        "sync_on_start": settings.sync_on_start,
    }
    return render(request, "newest.html", context)


@router.api_route("/papers/trending", methods=GET_HEAD, name="trending")
def trending(request: Request, db: DbDep) -> Response:
    """Papers featured in the last days, by the time-decayed score of domain/ranking.py."""
    now = datetime.now(UTC)
    board = boards.trending(db, now)
    context = {
        "entries": board.entries[:TRENDING_SHOWN],
        "total": len(board.entries),
        "reference_time": board.reference_time,
        # On a quiet board the score is computed as of the last featuring (an archive).
        "is_archive": board.reference_time != now,
        "formula": _trending_formula(),
    }
    return render(request, "trending.html", context)


def _trending_formula() -> dict[str, Any]:
    """The constants and a worked example, so the page explains the score it shows."""
    score: Callable[[int, float], float] = ranking.trending_score
    return {
        "vote_offset": ranking.VOTE_OFFSET,
        "vote_exponent": ranking.VOTE_EXPONENT,
        "age_offset": ranking.AGE_OFFSET_HOURS,
        "gravity": ranking.GRAVITY,
        "window_days": ranking.TRENDING_WINDOW.total_seconds() / 86400,
        "examples": [(votes, hours, score(votes, hours)) for votes, hours in _EXAMPLES],
    }


# (upvotes, hours on the board): a fresh paper against an older, more upvoted one.
_EXAMPLES = ((10, 3.0), (10, 24.0), (50, 24.0), (50, 72.0))


@router.api_route("/papers/date/{day}", methods=GET_HEAD, name="day_board")
def day_board(request: Request, day: str, db: DbDep, page: str | None = None) -> Response:
    return _board_page(request, db, _period(parse_day, day, "day"), page=parse_page(page))


@router.api_route("/papers/week/{week}", methods=GET_HEAD, name="week_board")
def week_board(request: Request, week: str, db: DbDep, page: str | None = None) -> Response:
    return _board_page(request, db, _period(parse_week, week, "week"), page=parse_page(page))


@router.api_route("/papers/month/{month}", methods=GET_HEAD, name="month_board")
def month_board(request: Request, month: str, db: DbDep, page: str | None = None) -> Response:
    return _board_page(request, db, _period(parse_month, month, "month"), page=parse_page(page))


_PERIOD_HELP = {
    "day": "a day is written YYYY-MM-DD, as in /papers/date/2024-06-13",
    "week": "a week is an ISO week, YYYY-Www, as in /papers/week/2024-W24",
    "month": "a month is written YYYY-MM, as in /papers/month/2024-06",
}


def _period(parse: Callable[[str], Period], text: str, kind: str) -> Period:
    try:
        return parse(text)
    except InvalidPeriod:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise PageError(
            404,
            f"“{shown}” is not a board: {_PERIOD_HELP[kind]}.",
            title="No such board",
            links=[("Trending papers", "/papers/trending")],
        ) from None


def _board_page(
    request: Request, db: Database, period: Period, *, page: int, home: bool = False
) -> Response:
    board = boards.board(db, period)
    start = (page - 1) * BOARD_PER_PAGE
    if page > 1 and start >= len(board.entries):
        raise PageError(404, f"There is no page {page}: this board ends before it.")
    pager = Pager(
        page=page,
        has_next=len(board.entries) > start + BOARD_PER_PAGE,
        path=boards_view.period_url(period),
    )
    context = {
        "board": board,
        "entries": board.entries[start : start + BOARD_PER_PAGE],
        "nav": boards_view.board_nav(board),
        # Day boards stay at one query batch (the hot page); longer periods get a calendar.
        "calendar": None if period.kind == "day" else boards_view.load_calendar(db, period),
        "pager": pager,
        "home": home,
    }
    return render(request, "board.html", context)


@catch_all.api_route("/papers/{arxiv_id:path}", methods=GET_HEAD, name="paper")
def paper(request: Request, arxiv_id: str, db: DbDep) -> Response:
    """A paper's page; versioned ids, arXiv URLs and ``arXiv:`` labels redirect to its id."""
    try:
        parsed = parse_arxiv_id(arxiv_id)
    except InvalidArxivId:
        raise PageError(
            404, "That is not an arXiv identifier, so there is no paper page for it."
        ) from None
    if parsed.id != arxiv_id:
        # Permanent: paperboard shows the latest version under the canonical id only.
        # A relative Location, so it stays right behind a proxy that rewrites the host.
        target = request.scope.get("root_path", "") + request.app.url_path_for(
            "paper", arxiv_id=parsed.id
        )
        return RedirectResponse(target, status_code=301)
    # One connection for the page's three reads (paper, similar papers, discussion).
    with db.shared_reads():
        view = boards_view.load_paper_page(db, parsed.id)
        if view is None:
            raise PageError(
                404,
                f"paperboard has no paper {parsed.id} (yet).",
                title="Paper not found",
                links=[(f"Look for {parsed.id} on arXiv", abs_url(parsed.id))],
            )
        context = {
            "paper": view.paper,
            "view": view,
            "similar": _similar(request, view.paper_id),
            **community.paper_context(request, view),
        }
    return render(request, "paper.html", context)


SIMILAR_SHOWN = 5


@dataclass(frozen=True, slots=True)
class SimilarView:
    hits: list[SearchHit]
    # Why there are none, when there are none: "off" (no semantic search on this server),
    # "pending" (the paper has no embedding yet) or "none" (no neighbour found).
    missing: Literal["off", "pending", "none"] | None = None


def _similar(request: Request, paper_id: int) -> SimilarView:
    """Nearest papers by meaning; without them, the reason (the page says it, rather than
    leaving the section out while the paper waits for its embedding)."""
    service = get_search_service(request)
    if not service.semantic_available:
        return SimilarView([], "off")
    found = service.similar_papers(paper_id, SIMILAR_SHOWN)
    if found.hits:
        return SimilarView(found.hits)
    return SimilarView([], "none" if found.embedded else "pending")
