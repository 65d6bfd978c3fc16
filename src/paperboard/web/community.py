"""Taking part: the submit page, upvote and comment forms, curators' buttons, profiles, and
the write API (``POST /api/papers/index``, upvotes, comments) authenticated by API tokens.

Handlers parse, make one ``Community`` call and render or redirect. Forms answer with a 303
redirect back to the page (so a reload does not post again); the upvote form answers JSON
when asked for it (``Accept: application/json``, as static/community.js does), so the button
updates in place with JavaScript and still works without.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, RedirectResponse, Response

from paperboard.community.comments import CommentView, view_of
from paperboard.community.errors import InvalidInput, NotFound, NotSignedIn
from paperboard.community.markdown import MAX_COMMENT_CHARS
from paperboard.community.service import Community
from paperboard.storage.comments import CommentRow
from paperboard.storage.users import User
from paperboard.web import hf_shapes
from paperboard.web.auth import (
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
from paperboard.web.boards_view import PaperPage
from paperboard.web.errors import PageError
from paperboard.web.svg import sparkline_svg
from paperboard.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
api_router = APIRouter(tags=["community"])

TextField = Annotated[str, Form(max_length=MAX_COMMENT_CHARS * 2)]
BackField = Annotated[str, Form(max_length=500)]
CommentId = RowId  # at most MAX_ROW_ID: see web/auth.py


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _comment_url(row: CommentRow) -> str:
    return f"/papers/{row.arxiv_id}#comment-{row.id}"


# --- the paper page's community parts (pages.py passes these to paper.html) ---------------------


def paper_context(request: Request, view: PaperPage) -> dict[str, Any]:
    """Comments and the upvote history for the paper page (called by pages.paper)."""
    community = get_community(request)
    viewer = viewer_of(request).user
    discussion = community.discussion(
        view.paper.arxiv_id, viewer, view.paper_id, upvotes=view.upvotes
    )
    history = discussion.vote_history if discussion else []
    return {
        "discussion": discussion,
        # A line needs a start: the first vote's moment at the imported count.
        "vote_chart": sparkline_svg(_chart_points(history)) if history else "",
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
def submit(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    arxiv_id: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    context: dict[str, Any] = {"value": arxiv_id, "window_days": _window(community)}
    try:
        result = community.submissions.submit(user, arxiv_id, client=client_of(request))
    except (InvalidInput, NotFound) as exc:
        context.update(error=exc.message, result=None)
        return render(request, "submit.html", context, status_code=exc.status_code)
    context.update(error=None, result=result, value="")
    return render(request, "submit.html", context, status_code=201 if result.created else 200)


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
    request: Request, comment_id: CommentId, user: SignedIn, community: CommunityDep
) -> Response:
    row = _own_comment(community, user, comment_id)
    context = {"comment": row, "text": row.body, "error": None, "limit": MAX_COMMENT_CHARS}
    return render(request, "comment_edit.html", context)


@router.post("/comments/{comment_id}/edit")
def comment_edit(
    request: Request,
    comment_id: CommentId,
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
    request: Request, comment_id: CommentId, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    row = community.comments.delete(user, comment_id)
    return _redirect(f"/papers/{row.arxiv_id}#comments")


@router.post("/comments/{comment_id}/hide")
def comment_hide(
    request: Request,
    comment_id: CommentId,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    hidden: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    row = community.comments.set_hidden(user, comment_id, hidden == "1")
    return _redirect(_comment_url(row))


# --- curators ----------------------------------------------------------------------------------


@router.post("/papers/{arxiv_id:path}/feature", name="feature_form")
def feature_form(
    request: Request, arxiv_id: str, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    result = community.submissions.feature(user, arxiv_id)
    return _redirect(f"/papers/{result.paper.paper.arxiv_id}")


# --- profiles ----------------------------------------------------------------------------------


@router.get("/u/{username}", name="profile")
def profile(request: Request, username: str, community: CommunityDep) -> Response:
    found = community.profile(username[:64], viewer_of(request).user)
    return render(request, "profile.html", {"profile": found})


# --- the write API -----------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_user(request: Request, community: CommunityDep) -> User:
    """The owner of the request's API token; 401 without a valid one. Cookies are not
    accepted here, so the API needs no CSRF protection."""
    token = _bearer(request)
    if token is None:
        raise NotSignedIn("Send an API token: Authorization: Bearer <token>.")
    user = community.tokens.authenticate(token)
    if user is None:
        raise NotSignedIn("That API token is not valid (revoked, or never issued).")
    return user


def api_viewer(request: Request, community: CommunityDep) -> User | None:
    """The token's owner if a token was sent (a curator sees hidden comments), else None."""
    return api_user(request, community) if _bearer(request) is not None else None


ApiUser = Annotated[User, Depends(api_user)]
ApiViewer = Annotated[User | None, Depends(api_viewer)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API token, or not a valid one."},
    404: {"description": "Unknown paper or comment."},
    429: {"description": "Rate limited: see the Retry-After header (seconds)."},
}
# Operations with a JSON body: FastAPI answers a body it cannot decode (not UTF-8) with 400, and
# the comment calls refuse text that is blank once cleaned (only spaces or NULs) with 400.
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body cannot be read (not UTF-8 JSON), or the text is blank."},
    **_ERRORS,
}


class IndexRequest(BaseModel):
    arxivId: str = Field(
        min_length=1,
        max_length=300,
        description="An arXiv id or URL (2401.01234, arXiv:2401.01234v2, an arxiv.org link).",
    )


class VoteOut(BaseModel):
    arxivId: str
    upvotes: int
    upvoted: bool


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS, description="Markdown.")
    parentId: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ROW_ID,
        description="Reply to this comment (replies are one level deep).",
    )


class CommentEditIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS, description="Markdown.")


class HideIn(BaseModel):
    hidden: bool = True


class CommentAuthor(BaseModel):
    name: str  # the username
    fullname: str


class CommentOut(BaseModel):
    id: int
    paperId: str
    parentId: int | None
    author: CommentAuthor
    createdAt: str
    editedAt: str | None
    state: Literal["visible", "deleted", "hidden"]
    text: str = Field(description="The Markdown as written (empty when removed).")
    html: str = Field(description="The Markdown rendered and sanitised.")
    replies: list[CommentOut] = []


def comment_json(view: CommentView) -> dict[str, Any]:
    return {
        "id": view.id,
        "paperId": view.arxiv_id,
        "parentId": view.parent_id,
        "author": {"name": view.username, "fullname": view.author_name},
        "createdAt": hf_shapes.iso(view.created_at),
        "editedAt": hf_shapes.iso(view.edited_at),
        "state": view.state,
        "text": view.text,
        "html": view.html,
        "replies": [comment_json(reply) for reply in view.replies],
    }


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status_code, media_type="application/json")


@api_router.post(
    "/api/papers/index",
    response_model=hf_shapes.HfDailyPaper,
    status_code=201,
    summary="Submit a paper to today's board",
    responses={
        200: {"description": "Already on a board: the existing entry."},
        400: {"description": "Not an arXiv id, or first published outside the window."},
        503: {"description": "arXiv could not be reached."},
        **_ERRORS,
    },
)
def index_paper(
    request: Request, body: IndexRequest, user: ApiUser, community: CommunityDep
) -> Response:
    """Hugging Face's submit call: the paper (fetched from arXiv if paperboard does not have
    it yet) is featured on today's board with the token's owner as submitter. 201 with the
    new entry, or 200 with the existing one if the paper is already on a board."""
    result = community.submissions.submit(user, body.arxivId, client=client_of(request))
    return _json(hf_shapes.daily_item(result.paper), 201 if result.created else 200)


def _vote(request: Request, arxiv_id: str, on: bool, user: User, community: Community) -> Response:
    state = community.votes.set_vote(user, arxiv_id, on, client=client_of(request))
    return _json({"arxivId": state.arxiv_id, "upvotes": state.upvotes, "upvoted": state.upvoted})


@api_router.post(
    "/api/papers/{arxiv_id:path}/upvote",
    response_model=VoteOut,
    summary="Upvote a paper",
    responses=_ERRORS,
)
def api_upvote(request: Request, arxiv_id: str, user: ApiUser, community: CommunityDep) -> Response:
    """Add the token owner's upvote (once: repeating it changes nothing)."""
    return _vote(request, arxiv_id, True, user, community)


@api_router.delete(
    "/api/papers/{arxiv_id:path}/upvote",
    response_model=VoteOut,
    summary="Withdraw an upvote",
    responses=_ERRORS,
)
def api_unvote(request: Request, arxiv_id: str, user: ApiUser, community: CommunityDep) -> Response:
    """Remove the token owner's upvote (if there was none, nothing changes)."""
    return _vote(request, arxiv_id, False, user, community)


@api_router.get(
    "/api/papers/{arxiv_id:path}/comments",
    response_model=list[CommentOut],
    summary="A paper's comments",
    responses={404: _ERRORS[404]},
)
def api_comments(
    request: Request, arxiv_id: str, viewer: ApiViewer, community: CommunityDep
) -> Response:
    """Top-level comments oldest first, each with its replies. Removed comments appear only
    as placeholders for their replies (``state`` deleted/hidden, no text)."""
    return _json([comment_json(view) for view in community.comments.thread(arxiv_id, viewer)])


@api_router.post(
    "/api/papers/{arxiv_id:path}/comments",
    response_model=CommentOut,
    status_code=201,
    summary="Comment on a paper, or reply",
    responses=_BODY_ERRORS,
)
def api_comment(
    request: Request, arxiv_id: str, body: CommentIn, user: ApiUser, community: CommunityDep
) -> Response:
    row = community.comments.post(
        user, arxiv_id, body.text, parent_id=body.parentId, client=client_of(request)
    )
    return _json(comment_json(view_of(row, user)), 201)


@api_router.patch(
    "/api/comments/{comment_id}",
    response_model=CommentOut,
    summary="Edit your comment",
    responses={403: {"description": "Not your comment."}, **_BODY_ERRORS},
)
def api_edit_comment(
    comment_id: CommentId, body: CommentEditIn, user: ApiUser, community: CommunityDep
) -> Response:
    row = community.comments.edit(user, comment_id, body.text)
    return _json(comment_json(view_of(row, user)))


@api_router.delete(
    "/api/comments/{comment_id}",
    response_model=CommentOut,
    summary="Delete your comment",
    responses={403: {"description": "Not your comment."}, **_ERRORS},
)
def api_delete_comment(comment_id: CommentId, user: ApiUser, community: CommunityDep) -> Response:
    row = community.comments.delete(user, comment_id)
    return _json(comment_json(view_of(row, user)))


@api_router.post(
    "/api/comments/{comment_id}/hide",
    response_model=CommentOut,
    summary="Hide a comment, or show it again (curators)",
    responses={403: {"description": "Not a curator."}, **_BODY_ERRORS},
)
def api_hide_comment(
    comment_id: CommentId, body: HideIn, user: ApiUser, community: CommunityDep
) -> Response:
    row = community.comments.set_hidden(user, comment_id, body.hidden)
    return _json(comment_json(view_of(row, user)))
