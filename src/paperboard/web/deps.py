"""Request dependencies: what handlers get from the app that created them (no module globals)."""

from __future__ import annotations

import threading

from fastapi import Request

from paperboard.config import Settings
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService, open_search_service
from paperboard.storage.database import Database

_search_service_lock = threading.Lock()


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_keyword_index(request: Request) -> KeywordIndex | None:
    return request.app.state.keyword_index


def get_search_service(request: Request) -> SearchService:
    """The app's hybrid search, opened on first use (loading the model takes a moment)."""
    state = request.app.state
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
