"""Shared fixtures: data paths, a local HTTP server, fresh databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.httpserver import LocalServer, serve

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
FIXTURES = SHARED_DATA / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"recorded responses not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with serve() as server:
        yield server
