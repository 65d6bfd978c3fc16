"""``/api/papers/{id}/similar``: the nearest neighbours of a paper's embedding, from the
search service (search/similar.py)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.storage import listing
from paperboard.web.api import hf_shapes
from paperboard.web.deps import get_db, get_search_service

router = APIRouter()


class SimilarPaper(BaseModel):
    id: str
    title: str
    summary: str
    publishedAt: str | None = Field(description=hf_shapes.TIME_FORMAT)
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
            "publishedAt": hf_shapes.iso(hit.paper.published_at),
            "similarity": round(hit.score, 4),
        }
        for hit in hits
    ]
    return Response(orjson.dumps(body), media_type="application/json")
