"""Request dependencies: what handlers get from the app that created them (no module globals)."""

from __future__ import annotations

from fastapi import Request

from paperboard.config import Settings
from paperboard.search.keyword import KeywordIndex
from paperboard.storage.database import Database


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_keyword_index(request: Request) -> KeywordIndex | None:
    return request.app.state.keyword_index
