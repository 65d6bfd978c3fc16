"""Taking part: the submit page, upvote and comment forms, curators' buttons, profiles (the
write API is web/api/community.py).

Handlers parse, make one ``Community`` call and render or redirect. Forms answer with a 303
redirect back to the page (so a reload does not post again); the upvote form answers JSON
when asked for it (``Accept: application/json``, as static/community.js does), so the button
updates in place with JavaScript and still works without.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from paperboard.community.errors import (
    CommunityError,
    InvalidInput,
    NotFound,
    SourceUnavailable,
)
from paperboard.community.markdown import MAX_COMMENT_CHARS
from paperboard.community.service import Community
from paperboard.storage.comments import CommentRow
from paperboard.storage.users import User
from paperboard.web.errors import PageError
from paperboard.web.render.boards import PaperPage
from paperboard.web.render.svg import draws_a_line, sparkline_svg
from paperboard.web.session import (
    MAX_ROW_ID,
    CommunityDep,
    Csrf,
    RowId,
    SignedIn,
    client_of,
    get_community,
    safe_next,
    viewer_of,
)
from paperboard.web.submitting import submission
from paperboard.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

ARXIV_UNREACHABLE = (
    "arXiv could not be reached just now to look up this paper. Please submit it again in a minute."
)
TextField = Annotated[str, Form(max_length=MAX_COMMENT_CHARS * 2)]
BackField = Annotated[str, Form(max_length=500)]


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _comment_url(row: CommentRow) -> str:
    return f"/papers/{row.arxiv_id}#comment-{row.id}"


# --- the paper page's community parts (pages/papers.py passes these to paper.html) ----------


def paper_context(request: Request, view: PaperPage) -> dict[str, Any]:
    """Comments and the upvote history for the paper page (called by pages.paper)."""
    community = get_community(request)
    viewer = viewer_of(request).user
    discussion = community.discussion(
        view.paper.arxiv_id, viewer, view.paper_id, upvotes=view.upvotes
    )
    history = discussion.vote_history if discussion else []
    # A line needs a start: the first vote's moment at the imported count.
    points = _chart_points(history) if history else []
    return {
        "discussion": discussion,
        # Until votes came at two moments there is no line, and a lone dot is no chart.
        "vote_chart": sparkline_svg(points) if draws_a_line(points) else "",
        "comment_limit": MAX_COMMENT_CHARS,
    }


def _chart_points(history: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    first_moment, first_count = history[0]
    return [(first_moment, first_count - 1), *history]


# --- submit ------------------------------------------------------------------------------------


@router.get("/papers/submit", name="submit")
def submit_page(request: Request, user: SignedIn, community: CommunityDep) -> Response:
    context = {"value": "", "error": None, "result": None, "window_days": _window(community)}
    return render(request, "submit.html", context)


@router.post("/papers/submit")
async def submit(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    arxiv_id: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Async: a look-up of arXiv is awaited without holding a request thread (submitting.py)."""
    context: dict[str, Any] = {"value": arxiv_id, "window_days": _window(community)}
    client = client_of(request)
    try:
        result = await submission(
            lambda: community.submissions.submit(user, arxiv_id, client=client)
        )
    except CommunityError as exc:
        # Every refusal is shown above the form, which keeps what was typed: submitting
        # again is the retry (an error page in its place lost the form).
        context.update(error=_submit_error(exc), result=None)
        response = await run_in_threadpool(
            render, request, "submit.html", context, status_code=exc.status_code
        )
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    context.update(error=None, result=result, value="")
    status = 201 if result.created else 200
    return await run_in_threadpool(render, request, "submit.html", context, status_code=status)


def _submit_error(exc: CommunityError) -> str:
    """The sentence above the form. What went wrong on the way to arXiv (a refused
    connection, a timeout) is for the log, not for the person submitting."""
    if isinstance(exc, SourceUnavailable):
        log.warning("submit: %s", exc.message)
        return ARXIV_UNREACHABLE
    return exc.message


def _window(community: Community) -> int:
    return community.submissions.window.days


# --- upvotes -----------------------------------------------------------------------------------


@router.post("/papers/{arxiv_id:path}/upvote", name="upvote_form")
def upvote_form(
    request: Request,
    arxiv_id: str,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    action: Annotated[Literal["add", "remove"], Form()] = "add",
    back: BackField = "",
) -> Response:
    state = community.votes.set_vote(user, arxiv_id, action == "add", client=client_of(request))
    if _wants_json(request):
        return JSONResponse(
            {"arxivId": state.arxiv_id, "upvotes": state.upvotes, "upvoted": state.upvoted}
        )
    return _redirect(safe_next(back or f"/papers/{state.arxiv_id}"))


# --- comments ----------------------------------------------------------------------------------


@router.post("/papers/{arxiv_id:path}/comments", name="comment_form")
def comment_form(
    request: Request,
    arxiv_id: str,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    text: TextField = "",
    parent_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    row = community.comments.post(
        user, arxiv_id, text, parent_id=parent_id, client=client_of(request)
    )
    return _redirect(_comment_url(row))


def _own_comment(community: Community, user: User, comment_id: int) -> CommentRow:
    row = community.comments.get(comment_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"No comment {comment_id}.")
    if row.user_id != user.id:
        raise PageError(403, "Only its author can edit a comment.")
    return row


@router.get("/comments/{comment_id}/edit", name="comment_edit")
def comment_edit_page(
    request: Request, comment_id: RowId, user: SignedIn, community: CommunityDep
) -> Response:
    row = _own_comment(community, user, comment_id)
    context = {"comment": row, "text": row.body, "error": None, "limit": MAX_COMMENT_CHARS}
    return render(request, "comment_edit.html", context)


@router.post("/comments/{comment_id}/edit")
def comment_edit(
    request: Request,
    comment_id: RowId,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    text: TextField = "",
) -> Response:
    try:
        row = community.comments.edit(user, comment_id, text)
    except InvalidInput as exc:
        row = _own_comment(community, user, comment_id)
        context = {"comment": row, "text": text, "error": exc.message, "limit": MAX_COMMENT_CHARS}
        return render(request, "comment_edit.html", context, status_code=400)
    return _redirect(_comment_url(row))


@router.post("/comments/{comment_id}/delete")
def comment_delete(
    request: Request, comment_id: RowId, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    row = community.comments.delete(user, comment_id)
    return _redirect(f"/papers/{row.arxiv_id}#comments")


@router.post("/comments/{comment_id}/hide")
def comment_hide(
    request: Request,
    comment_id: RowId,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    hidden: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    row = community.comments.set_hidden(user, comment_id, hidden == "1")
    return _redirect(_comment_url(row))


# --- curators ----------------------------------------------------------------------------------


@router.post("/papers/{arxiv_id:path}/feature", name="feature_form")
async def feature_form(
    request: Request, arxiv_id: str, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    """Async, as ``submit``: featuring a paper paperboard lacks looks it up on arXiv."""
    result = await submission(lambda: community.submissions.feature(user, arxiv_id))
    return _redirect(f"/papers/{result.paper.paper.arxiv_id}")


# --- profiles ----------------------------------------------------------------------------------


@router.get("/u/{username}", name="profile")
def profile(request: Request, username: str, community: CommunityDep) -> Response:
    found = community.profile(username[:64], viewer_of(request).user)
    return render(request, "profile.html", {"profile": found})
