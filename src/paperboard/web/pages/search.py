"""The search page ``/search?q=``: a thin view over the hybrid search service
(search/service.py, built once by the composition root)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.search.highlight import Highlight
from paperboard.search.service import SORTS, SearchRequest
from paperboard.storage import listing
from paperboard.web.deps import get_db, get_search_service
from paperboard.web.errors import PageError
from paperboard.web.pagination import Pager
from paperboard.web.templating import render

router = APIRouter()


PER_PAGE = 20
MAX_PAGE = 50


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(400, f"{name} must be a date written YYYY-MM-DD.") from None


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=4000)] = "",
    sort: str = "relevance",
    cat: Annotated[str, Query(max_length=64)] = "",
    has_code: bool = False,
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """Hybrid search (keywords and meaning) with filters and sorts; an arXiv id goes straight
    to its paper."""
    query = q.strip()
    if sort not in SORTS:
        raise PageError(400, f"sort must be one of {', '.join(SORTS)}.")
    try:
        named = parse_arxiv_id(query) if query else None
    except InvalidArxivId:
        named = None
    db = get_db(request)
    if named is not None:
        with db.read() as connection:
            if listing.by_arxiv_id(connection, named.id) is not None:
                return RedirectResponse(f"/papers/{named.id}", status_code=303)
    result = None
    papers = []
    highlights: dict[str, Highlight] = {}
    if query:
        result = get_search_service(request).search(
            SearchRequest(
                query=query,
                categories=(cat,) if cat else (),
                date_from=_day(date_from, "from"),
                date_to=_day(date_to, "to"),
                has_code=has_code,
                sort=sort,  # type: ignore[arg-type]
                page=page,
                per_page=PER_PAGE,
            )
        )
        papers = [hit.listed for hit in result.hits]
        highlights = {hit.paper.arxiv_id: hit.highlight for hit in result.hits}
    params = {"q": query, "sort": sort, "cat": cat, "has_code": "1" if has_code else ""}
    params |= {"from": date_from or "", "to": date_to or ""}
    pager = Pager(
        page=page, has_next=bool(result and result.has_next), path="/search", params=params
    )
    context = {
        "query": query,
        "params": params,
        "sorts": SORTS,
        "papers": papers,
        "highlights": highlights,
        "result": result,
        "pager": pager,
    }
    return render(request, "search.html", context)
