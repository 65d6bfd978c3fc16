"""A database with papers, accounts and the library services, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from paperboard.community.passwords import fast_passwords
from paperboard.community.ratelimit import Limits
from paperboard.community.service import Community
from paperboard.ingest.loader import load
from paperboard.library import Library
from paperboard.storage.database import Database
from paperboard.storage.users import User
from tests.community_site import PASSWORD, Clock


@dataclass
class Shelf:
    db: Database
    community: Community
    library: Library
    clock: Clock

    def add(self, *items: Any) -> None:
        load(self.db, list(items))

    def user(self, username: str) -> User:
        return self.community.accounts.create_user(
            username, f"{username.lower()}@example.org", PASSWORD, "user"
        )


def build_shelf(db: Database, **library_options: Any) -> Shelf:
    clock = Clock()
    community = Community(
        db,
        secret_key=b"k" * 32,
        base_url="http://testserver",
        arxiv_api_url="http://127.0.0.1:9/api",
        passwords=fast_passwords(),
        limits=Limits.unlimited(),
        clock=clock,
    )
    return Shelf(db, community, Library(community.context, **library_options), clock)


@pytest.fixture
def shelf(db: Database, tmp_path: Path) -> Iterator[Shelf]:
    yield build_shelf(db)
