"""``POST /api/subscriptions``: subscribe an address to a digest (double opt-in), the JSON
twin of the subscribe form (web/pages/subscriptions.py)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from paperboard.domain.addresses import InvalidAddress
from paperboard.domain.topics import (
    InvalidTopics,
    Topics,
    parse_categories,
    parse_interest,
    parse_keywords,
    topics_from_terms,
)
from paperboard.web.errors import PageError
from paperboard.web.pages.subscriptions import NOT_CONFIGURED, Service

log = logging.getLogger(__name__)

router = APIRouter()


class TopicsIn(BaseModel):
    categories: list[str] = Field(default_factory=list, max_length=30)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    interest: str | None = Field(default=None, max_length=300)


class SubscriptionIn(BaseModel):
    email: str = Field(max_length=254)
    frequency: Literal["daily", "weekly"] = "daily"
    # An object, or a flat list in which arXiv categories are told apart from keywords.
    topics: TopicsIn | list[str] | None = None


def _api_topics(topics: TopicsIn | list[str] | None) -> Topics:
    if topics is None:
        return Topics()
    if isinstance(topics, list):
        return topics_from_terms(topics)
    return Topics(
        parse_categories(topics.categories),
        parse_keywords(topics.keywords),
        parse_interest(topics.interest),
    )


@router.post(
    "/api/subscriptions",
    response_class=JSONResponse,
    status_code=202,
    include_in_schema=True,
    tags=["subscriptions"],
    summary="Subscribe an address to the daily or weekly digest (double opt-in)",
    responses={
        # FastAPI's answer to a body it cannot decode (not UTF-8): say so in the schema.
        400: {"description": "The body cannot be read (not UTF-8 JSON)."},
        503: {"description": "Email is not set up here."},
    },
)
def api_subscribe(body: SubscriptionIn, service: Service) -> JSONResponse:
    """Stores the request and emails a confirmation link (in the background: the answer does
    not wait on the mail server); nothing else is sent until it is followed. The answer is the
    same whether or not the address was subscribed already."""
    if not service.available:
        raise PageError(503, NOT_CONFIGURED)
    try:
        topics = _api_topics(body.topics)
        service.request(body.email, body.frequency, topics)
    except InvalidAddress:
        raise PageError(422, "not an email address") from None
    except InvalidTopics as exc:
        raise PageError(422, str(exc)) from None
    return JSONResponse(
        {
            "status": "pending_confirmation",
            "email": body.email.strip().lower(),
            "frequency": body.frequency,
            "topics": topics.as_dict(),
            "detail": "If this address can receive mail, a confirmation link is on its way; "
            "no digest is sent before it is followed.",
        },
        status_code=202,
    )
