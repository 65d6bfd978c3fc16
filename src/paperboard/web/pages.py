"""HTML pages. Each handler parses its input, makes one storage call and renders a template.

Handlers are plain ``def``: the storage layer is synchronous, so FastAPI runs them in its
thread pool instead of blocking the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from paperboard.config import Settings
from paperboard.domain.arxiv_id import InvalidArxivId, abs_url, parse_arxiv_id
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.web.deps import get_db, get_settings
from paperboard.web.errors import PageError
from paperboard.web.pagination import PER_PAGE, Pager, page_offset, parse_page
from paperboard.web.templating import render

# Pages stay out of /openapi.json, which documents the JSON API for its clients.
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

# HEAD too: link checkers and uptime monitors use it (the server sends the headers only).
GET_HEAD = ["GET", "HEAD"]

DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.api_route("/", methods=GET_HEAD, name="newest")
def newest(request: Request, db: DbDep, settings: SettingsDep, page: str | None = None) -> Response:
    """The newest papers in the store, 30 a page."""
    # ``page`` is parsed here rather than typed ``int`` so a bad value gets the designed 400
    # page with a sentence, not a validation error.
    number = parse_page(page)
    with db.read() as connection:
        # One extra row tells whether a next page exists without counting the whole table.
        rows = paper_store.newest(connection, limit=PER_PAGE + 1, offset=page_offset(number))
    if not rows and number > 1:
        raise PageError(404, f"There is no page {number}: the list of papers ends before it.")
    pager = Pager(page=number, has_next=len(rows) > PER_PAGE, path=request.url.path)
    context = {"papers": rows[:PER_PAGE], "pager": pager, "sync_on_start": settings.sync_on_start}
    return render(request, "newest.html", context)


# Registered last among /papers/... routes: the ``path`` converter matches everything below
# /papers/, and old-style ids (hep-th/9901001) need it. Fixed paths such as /papers/trending
# must be added above this one.
@router.api_route("/papers/{arxiv_id:path}", methods=GET_HEAD, name="paper")
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
    with db.read() as connection:
        record = paper_store.get_record(connection, parsed.id)
    if record is None:
        raise PageError(
            404,
            f"paperboard has no paper {parsed.id} (yet).",
            title="Paper not found",
            links=[(f"Look for {parsed.id} on arXiv", abs_url(parsed.id))],
        )
    return render(request, "paper.html", {"paper": record})
