"""The search page ``/search?q=`` and ``/api/papers/{id}/similar``: thin views over the hybrid
search service (search/service.py), which one process opens once and keeps on app.state."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
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


class SimilarPaper(BaseModel):
    id: str
    title: str
    summary: str
    publishedAt: str | None
    similarity: float


class NotFound(BaseModel):
    error: str


@router.get(
    "/api/papers/{arxiv_id:path}/similar",
    response_model=list[SimilarPaper],
    responses={404: {"model": NotFound, "description": "Not an arXiv id, or not stored."}},
    summary="Similar papers",
    description="Nearest neighbours of the paper's embedding (itself excluded), best first. "
    "Empty until the paper has been embedded.",
    tags=["papers"],
)
def similar_papers(
    request: Request, arxiv_id: str, limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> Response:
    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        return Response(b'{"error":"not an arXiv id"}', 404, media_type="application/json")
    db = get_db(request)
    with db.read() as connection:
        found = listing.by_arxiv_id(connection, canonical)
    if found is None:
        return Response(b'{"error":"paper not found"}', 404, media_type="application/json")
    hits = get_search_service(request).similar(found.paper_id, limit)
    body = [
        {
            "id": hit.paper.arxiv_id,
            "title": hit.paper.title,
            "summary": hit.paper.abstract,
            "publishedAt": hit.paper.published_at.isoformat() if hit.paper.published_at else None,
            "similarity": round(hit.score, 4),
        }
        for hit in hits
    ]
    return Response(orjson.dumps(body), media_type="application/json")
