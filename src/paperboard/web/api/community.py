"""The community's JSON write API: ``POST /api/papers/index``, upvotes and comments,
authenticated by API tokens (``Authorization: Bearer``; web/session.py ``ApiUser``).
Handlers parse, make one ``Community`` call and answer JSON."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from paperboard.community.comments import CommentView, view_of
from paperboard.community.markdown import MAX_COMMENT_CHARS
from paperboard.community.service import Community
from paperboard.storage.users import User
from paperboard.web.api import hf_shapes
from paperboard.web.session import (
    MAX_ROW_ID,
    ApiUser,
    ApiViewer,
    CommunityDep,
    RowId,
    client_of,
)
from paperboard.web.submitting import submission

router = APIRouter(tags=["community"])


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


@router.post(
    "/api/papers/index",
    response_model=hf_shapes.HfDailyPaper,
    status_code=201,
    summary="Submit a paper to today's board",
    responses={
        200: {"description": "Already on a board: the existing entry."},
        400: {"description": "Not an arXiv id, or first published outside the window."},
        503: {
            "description": "arXiv could not be reached, has not answered yet, or too many "
            "look-ups wait for it: see the Retry-After header (seconds)."
        },
        **_ERRORS,
    },
)
async def index_paper(
    request: Request, body: IndexRequest, user: ApiUser, community: CommunityDep
) -> Response:
    """Hugging Face's submit call: the paper (fetched from arXiv if paperboard does not have
    it yet) is featured on today's board with the token's owner as submitter. 201 with the
    new entry, or 200 with the existing one if the paper is already on a board. When arXiv
    has not answered within 15 s, or too many look-ups wait for it, 503 with Retry-After (a
    look-up that outlasted the wait goes on: trying again finds the paper)."""
    client = client_of(request)
    result = await submission(
        lambda: community.submissions.submit(user, body.arxivId, client=client)
    )
    return _json(hf_shapes.daily_item(result.paper), 201 if result.created else 200)


def _vote(request: Request, arxiv_id: str, on: bool, user: User, community: Community) -> Response:
    state = community.votes.set_vote(user, arxiv_id, on, client=client_of(request))
    return _json({"arxivId": state.arxiv_id, "upvotes": state.upvotes, "upvoted": state.upvoted})


@router.post(
    "/api/papers/{arxiv_id:path}/upvote",
    response_model=VoteOut,
    summary="Upvote a paper",
    responses=_ERRORS,
)
def api_upvote(request: Request, arxiv_id: str, user: ApiUser, community: CommunityDep) -> Response:
    """Add the token owner's upvote (once: repeating it changes nothing)."""
    return _vote(request, arxiv_id, True, user, community)


@router.delete(
    "/api/papers/{arxiv_id:path}/upvote",
    response_model=VoteOut,
    summary="Withdraw an upvote",
    responses=_ERRORS,
)
def api_unvote(request: Request, arxiv_id: str, user: ApiUser, community: CommunityDep) -> Response:
    """Remove the token owner's upvote (if there was none, nothing changes)."""
    return _vote(request, arxiv_id, False, user, community)


@router.get(
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


@router.post(
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


@router.patch(
    "/api/comments/{comment_id}",
    response_model=CommentOut,
    summary="Edit your comment",
    responses={403: {"description": "Not your comment."}, **_BODY_ERRORS},
)
def api_edit_comment(
    comment_id: RowId, body: CommentEditIn, user: ApiUser, community: CommunityDep
) -> Response:
    row = community.comments.edit(user, comment_id, body.text)
    return _json(comment_json(view_of(row, user)))


@router.delete(
    "/api/comments/{comment_id}",
    response_model=CommentOut,
    summary="Delete your comment",
    responses={403: {"description": "Not your comment."}, **_ERRORS},
)
def api_delete_comment(comment_id: RowId, user: ApiUser, community: CommunityDep) -> Response:
    row = community.comments.delete(user, comment_id)
    return _json(comment_json(view_of(row, user)))


@router.post(
    "/api/comments/{comment_id}/hide",
    response_model=CommentOut,
    summary="Hide a comment, or show it again (curators)",
    responses={403: {"description": "Not a curator."}, **_BODY_ERRORS},
)
def api_hide_comment(
    comment_id: RowId, body: HideIn, user: ApiUser, community: CommunityDep
) -> Response:
    row = community.comments.set_hidden(user, comment_id, body.hidden)
    return _json(comment_json(view_of(row, user)))
