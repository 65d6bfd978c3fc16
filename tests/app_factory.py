"""The one way tests make a paperboard web app: a ``Runtime`` (runtime.py, the composition root)
over the test's database, with the test's own services where it needs them, then
``create_app``. Every app and site fixture goes through ``make_app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from paperboard.config import Settings
from paperboard.ingest.http import Fetcher, StaticFetcher
from paperboard.mail.sender import MailSender
from paperboard.runtime import build_runtime
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from paperboard.web import create_app
from paperboard.web.response_cache import ResponseCache


def make_app(
    settings: Settings,
    db: Database,
    keyword_index: KeywordIndex | None = None,
    *,
    search: SearchService | None = None,
    mail_sender: MailSender | None = None,
    cache: bool = True,
    full_text_fetcher: Fetcher | None = None,
    **community_options: Any,
) -> FastAPI:
    """``community_options`` go to ``Community`` (fast password hashing, a clock, limits, an
    offline arXiv); ``cache=False``: every response reflects the last write (the response
    cache has its own tests). Full texts come from ``full_text_fetcher``; by default there are
    none (an offline arXiv: a test never reaches the network)."""
    runtime = build_runtime(
        settings,
        db,
        keyword_index,
        search=search,
        mail_sender=mail_sender,
        community_options=community_options,
        full_text_fetcher=full_text_fetcher or StaticFetcher({}),
    )
    app = create_app(runtime)
    if not cache:
        app.state.response_cache = ResponseCache(lambda: None, ttl=0)
    return app
