"""One paper in Hugging Face's shapes: ``/api/papers/{id}`` (with its comments on
``?field=comments``) and ``/api/arxiv/{id}/repos`` (the repositories citing it).

As in ``papers.py``: answered from the response cache by URL, then by parsed parameters;
pre-serialised with orjson; 404 (JSON) for an unknown paper or a string that is no arXiv id.
"""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperboard.community.service import Community
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.storage.listing import ListedPaper
from paperboard.web.api import hf_shapes
from paperboard.web.deps import get_community, get_db
from paperboard.web.errors import PageError
from paperboard.web.response_cache import CachedRoute, get_response_cache

router = APIRouter(tags=["papers"], route_class=CachedRoute)
# ``/api/papers/{arxiv_id:path}``: old-style ids (hep-th/9901001) need the path converter, so
# it matches every path under /api/papers/. web/app.py registers it after every other route.
catch_all = APIRouter(tags=["papers"], route_class=CachedRoute)

JSON = "application/json"
_NOT_FOUND = {404: {"description": "Unknown paper, or not an arXiv id."}}


def _canonical(arxiv_id: str) -> str:
    try:
        return parse_arxiv_id(arxiv_id).id
    except InvalidArxivId:
        raise PageError(404, f"Not an arXiv id: {arxiv_id[:80]!r}.") from None


def _stored(db: Database, arxiv_id: str) -> ListedPaper:
    with db.read() as connection:
        listed = listing.by_arxiv_id(connection, arxiv_id)
    if listed is None:
        raise PageError(404, f"Paper {arxiv_id} not found.")
    return listed


def _paper_body(db: Database, community: Community, arxiv_id: str, with_comments: bool) -> bytes:
    listed = _stored(db, arxiv_id)
    if not with_comments:
        return orjson.dumps(hf_shapes.paper_info(listed))
    # As an anonymous reader sees it: the same for everyone, so the cache may keep it.
    thread = community.comments.thread(arxiv_id, None)
    return orjson.dumps(hf_shapes.paper_with_comments(listed, thread))


@catch_all.get(
    "/api/papers/{arxiv_id:path}",
    response_model=hf_shapes.HfPaperDetail,
    summary="One paper, and its comments",
    responses=_NOT_FOUND,
)
async def paper_info(
    request: Request,
    arxiv_id: str,
    field: Annotated[
        Literal["comments"] | None,
        Query(
            description="`comments`: add the paper's comments (`comments`), in the shape of "
            "Hugging Face's discussion comments, oldest first."
        ),
    ] = None,
) -> Response:
    """The paper's fields at the top level (Hugging Face's paper info shape). The id may be
    new-style (`2401.01234`), old-style (`hep-th/9901001`) or versioned (`2401.01234v2`: the
    paper is served under its canonical id). With `?field=comments`, also its comments: a
    flat list, a reply naming its comment in `data.parentCommentId`."""
    canonical = _canonical(arxiv_id)
    db = get_db(request)
    community = get_community(request)
    with_comments = field == "comments"
    body = await get_response_cache(request).get(
        ("paper", canonical, with_comments),
        lambda: _paper_body(db, community, canonical, with_comments),
    )
    return Response(body, media_type=JSON)


def _repos_body(db: Database, arxiv_id: str) -> bytes:
    _stored(db, arxiv_id)
    return orjson.dumps(hf_shapes.EMPTY_REPOS)


@router.get(
    "/api/arxiv/{arxiv_id:path}/repos",
    response_model=hf_shapes.HfRepos,
    summary="Models, datasets and Spaces citing a paper",
    responses=_NOT_FOUND,
)
async def paper_repos(request: Request, arxiv_id: str) -> Response:
    """Hugging Face's list of the repositories that cite a paper: `{models, datasets,
    spaces}`. paperboard hosts no repositories, so the lists are empty for every paper it
    has; a paper it does not have is a 404."""
    canonical = _canonical(arxiv_id)
    db = get_db(request)
    body = await get_response_cache(request).get(
        ("repos", canonical), lambda: _repos_body(db, canonical)
    )
    return Response(body, media_type=JSON)
