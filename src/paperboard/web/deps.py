"""Request dependencies: what handlers get from the app that created them (no module globals)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import FastAPI, Request

from paperboard.config import Settings
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService, open_search_service
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

_search_service_lock = threading.Lock()


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_keyword_index(request: Request) -> KeywordIndex | None:
    return request.app.state.keyword_index


def get_search_service(request: Request) -> SearchService:
    """The app's hybrid search, opened on first use (loading the model takes a moment)."""
    return search_service_of(request.app.state)


def search_service_of(state: Any) -> SearchService:
    """``app.state``'s search service, opened once (concurrent callers wait for it)."""
    service = getattr(state, "search_service", None)
    if service is None:
        with _search_service_lock:
            service = getattr(state, "search_service", None)
            if service is None:
                settings = state.settings
                service = open_search_service(
                    state.db, state.keyword_index, settings.data_dir, spec=settings.embedder
                )
                state.search_service = service
    return service


def warm_up_search(app: FastAPI) -> threading.Thread:
    """Open the search service in the background as a server process starts. Opened on the
    first request instead, every request needing it (search, paper pages' similar papers)
    queued behind the model load: 33 of the first paper-page requests of a wrk run on
    PostgreSQL timed out (bench/pg_load.py)."""

    def run() -> None:
        try:
            search_service_of(app.state)
        except Exception:  # the first request that needs it tries again and reports
            log.exception("opening the search service in the background failed")

    thread = threading.Thread(target=run, name="paperboard-search-warm-up", daemon=True)
    thread.start()
    return thread
