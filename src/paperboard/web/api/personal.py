"""The personal layer's JSON API beyond collections: follows, "not interested" and the
"for you" recommendations with their reasons (docs/library.md).

Writes need an API token; ``GET /api/recommendations`` also takes the session of a signed-in
visitor (a read, so no CSRF). Handlers parse, make one ``runtime.library`` call, answer JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from paperboard.domain.follows import KINDS, MAX_VALUE_CHARS, Follow
from paperboard.domain.hf_values import iso
from paperboard.library import Library
from paperboard.library.recommend import DEFAULT_LIMIT, MAX_LIMIT, RecommendedPaper
from paperboard.storage.users import User
from paperboard.web.api import hf_shapes
from paperboard.web.deps import get_library
from paperboard.web.session import ApiUser, RowId, TokenOrSession

router = APIRouter(tags=["personal"])

LibraryDep = Annotated[Library, Depends(get_library)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A value that cannot be followed, or a window out of bounds."},
    401: {"description": "No API token (or session), or not a valid one."},
    404: {"description": "No such follow, paper or account."},
    429: {"description": "Rate limited: see the Retry-After header (seconds)."},
}


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status_code, media_type="application/json")


class FollowIn(BaseModel):
    kind: Literal["author", "category", "user", "search"] = Field(
        description=f"One of {', '.join(KINDS)}."
    )
    value: str = Field(
        min_length=1,
        max_length=MAX_VALUE_CHARS,
        description="An author's name as arXiv writes it, a category (cs.CL), a username or "
        "a search query.",
    )


def follow_json(follow: Follow) -> dict[str, Any]:
    return {
        "id": follow.id,
        "kind": follow.kind,
        "value": follow.value,
        "label": follow.label,
        "createdAt": iso(follow.created_at),
    }


def recommended_json(found: RecommendedPaper) -> dict[str, Any]:
    """An ``/api/daily_papers`` item plus the score and the reasons that make it up."""
    return {
        **hf_shapes.daily_item(found.listed),
        "score": round(found.score, 6),
        "reasons": [
            {"signal": reason.signal, "text": reason.text, "weight": round(reason.weight, 6)}
            for reason in found.reasons
        ],
    }


# --- follows -------------------------------------------------------------------------------------


@router.post("/api/follows", status_code=201, summary="Follow something", responses=_ERRORS)
def follow(body: FollowIn, user: ApiUser, library: LibraryDep) -> Response:
    """Following the same thing twice gives the same follow."""
    return _json(follow_json(library.follows.follow(user, body.kind, body.value)), 201)


@router.get("/api/follows", summary="What you follow", responses={401: _ERRORS[401]})
def follows(user: ApiUser, library: LibraryDep) -> Response:
    return _json([follow_json(found) for found in library.follows.follows_of(user)])


@router.delete("/api/follows/{follow_id}", summary="Stop following", responses=_ERRORS)
def unfollow(follow_id: RowId, user: ApiUser, library: LibraryDep) -> Response:
    library.follows.unfollow(user, follow_id)
    return _json({"success": True})


# --- not interested, and "for you" -------------------------------------------------------------


@router.post(
    "/api/papers/{arxiv_id:path}/dismiss",
    summary='"Not interested": never recommend this paper',
    responses=_ERRORS,
)
def dismiss(arxiv_id: str, user: ApiUser, library: LibraryDep) -> Response:
    return _dismissal(library, user, arxiv_id, on=True)


@router.delete(
    "/api/papers/{arxiv_id:path}/dismiss",
    summary="Take a dismissal back",
    responses=_ERRORS,
)
def undismiss(arxiv_id: str, user: ApiUser, library: LibraryDep) -> Response:
    return _dismissal(library, user, arxiv_id, on=False)


def _dismissal(library: Library, user: User, arxiv_id: str, *, on: bool) -> Response:
    """``changed``: false when the paper was dismissed (or not) already."""
    changed = library.recommendations.dismiss(user, arxiv_id, on=on)
    return _json({"arxivId": arxiv_id, "dismissed": on, "changed": changed})


@router.get(
    "/api/recommendations/weights",
    summary="How much each signal counts for you",
    responses={401: _ERRORS[401]},
)
def weights(user: TokenOrSession, library: LibraryDep) -> Response:
    return _json(library.recommendations.weights_of(user).as_dict())


@router.patch(
    "/api/recommendations/weights",
    summary="Weigh signals (0 turns one off)",
    responses=_ERRORS,
)
def set_weights(
    body: Annotated[dict[str, float], Body(max_length=20)], user: ApiUser, library: LibraryDep
) -> Response:
    """Only the signals sent change: ``{"trending": 0, "authors": 2}``; each 0 to 10."""
    return _json(library.recommendations.set_weights(user, body).as_dict())


@router.get(
    "/api/recommendations",
    summary="Papers for you, best first, each with its reasons",
    responses=_ERRORS,
)
def recommendations(
    user: TokenOrSession,
    library: LibraryDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    since: Annotated[date | None, Query(description="YYYY-MM-DD, announced on or after")] = None,
    until: Annotated[date | None, Query(description="YYYY-MM-DD, announced on or before")] = None,
) -> Response:
    """Papers announced in the window (the last 7 days by default, at most 31), never one in
    your collections, upvoted or dismissed. Each item is an ``/api/daily_papers`` item with
    ``reasons``: what each signal added to ``score`` (they sum to it)."""
    found = library.recommendations.recommend(user, since=since, until=until, limit=limit)
    return _json([recommended_json(paper) for paper in found])
