"""Request dependencies: typed access to what the composition root built (runtime.py).

``create_app`` keeps the process's ``Runtime`` on ``app.state.runtime``; handlers take the
services they need through these functions (FastAPI ``Depends``), never from a global and
never by building one.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from paperboard.community.service import Community
from paperboard.config import Settings
from paperboard.library import Library
from paperboard.runtime import Runtime
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService
from paperboard.storage.database import Database


def runtime_of(app: Any) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def get_runtime(request: Request) -> Runtime:
    return runtime_of(request.app)


def get_db(request: Request) -> Database:
    return runtime_of(request.app).db


def get_settings(request: Request) -> Settings:
    return runtime_of(request.app).settings


def get_keyword_index(request: Request) -> KeywordIndex | None:
    return runtime_of(request.app).keyword_index


def get_search_service(request: Request) -> SearchService:
    """The process's hybrid search (its model loads in the background as the process starts:
    a request that comes first waits for it)."""
    return runtime_of(request.app).search


def get_community(request: Request) -> Community:
    return runtime_of(request.app).community


def get_library(request: Request) -> Library:
    return runtime_of(request.app).library
