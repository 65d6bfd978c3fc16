"""The Reader (reading/service.py): full texts fetched from a local server replaying a recorded
arXiv HTML page (never the network), converted, stored, and served from the database after."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from paperboard.ingest.http import HttpFetcher
from paperboard.ingest.loader import load
from paperboard.reading.service import Reader
from paperboard.storage.database import Database
from paperboard.storage.schema import papers
from tests.community_site import paper
from tests.httpserver import LocalServer, Reply, Request

RECORDED = (Path(__file__).parent.parent / "recorded" / "arxiv_html_2401.00001v2.html").read_bytes()
BASE = "https://papers.example.org"


@pytest.fixture
def store(db: Database) -> Database:
    load(db, [paper("2401.00001", title="Speculative Decoding"), paper("2401.00002")])
    return db


def arxiv(server: LocalServer) -> None:
    """arXiv's behaviour: /html/ID redirects to the latest version; no rendering is a 404."""
    server.route(
        "/html/2401.00001", Reply(301, b"", "text/html", {"Location": "/html/2401.00001v2"})
    )
    server.route("/html/2401.00001v2", Reply(200, RECORDED, "text/html; charset=utf-8"))
    server.route("/html/2401.00002", Reply(404, b"No HTML for '2401.00002'", "text/html"))


def reader_for(db: Database, html_url: str, **options: object) -> Reader:
    fetcher = HttpFetcher(min_interval_s=0, retries=0, timeout_s=5)
    return Reader(db, base_url=BASE, html_url=html_url, fetcher=lambda: fetcher, **options)  # type: ignore[arg-type]


@pytest.fixture
def reader(store: Database, local_server: LocalServer) -> Iterator[Reader]:
    arxiv(local_server)
    built = reader_for(store, local_server.url("/html"))
    yield built
    built.close()


def read(reader: Reader, arxiv_id: str) -> str:
    found = asyncio.run(reader.read(arxiv_id))
    assert found is not None
    return found.markdown


def test_the_first_read_fetches_converts_and_keeps_the_full_text(
    reader: Reader, local_server: LocalServer
) -> None:
    text = read(reader, "2401.00001")
    assert text.startswith("# Speculative Decoding\n")
    assert "## Abstract\n\nThe abstract of 2401.00001.\n\n## Full text\n\n" in text
    source = local_server.url("/html/2401.00001v2")
    assert f"*Converted to Markdown from arXiv's HTML rendering (<{source}>), fetched " in text
    assert "### 2 Method\n\n#### 2.1 Acceptance rule" in text
    requests = len(local_server.requests)
    assert requests == 2  # the redirect and the page
    # The next read, by this reader or another process's, comes from the database.
    assert read(reader, "2401.00001") == text
    other = reader_for(reader.db, local_server.url("/html"))
    assert read(other, "2401.00001") == text
    assert len(local_server.requests) == requests


def test_no_rendering_is_remembered_and_noted(reader: Reader, local_server: LocalServer) -> None:
    text = read(reader, "2401.00002")
    assert "## Full text\n\n*arXiv has no HTML rendering of this paper" in text
    assert "The PDF: <https://arxiv.org/pdf/2401.00002>.*" in text
    read(reader, "2401.00002")
    assert [r.path for r in local_server.requests] == ["/html/2401.00002"]


def test_a_new_version_is_fetched_again(reader: Reader, local_server: LocalServer) -> None:
    read(reader, "2401.00001")
    with reader.db.write() as connection:
        connection.execute(
            update(papers).where(papers.c.arxiv_id == "2401.00001").values(version=3)
        )
    read(reader, "2401.00001")
    assert [r.path for r in local_server.requests].count("/html/2401.00001") == 2


def test_offline_answers_with_the_abstract_and_waits_before_trying_again(store: Database) -> None:
    # Nothing listens there: the connection is refused.
    offline = reader_for(store, "http://127.0.0.1:9/html")
    text = read(offline, "2401.00001")
    assert "## Abstract" in text
    assert "*The full text could not be fetched from arXiv just now" in text
    failed_at = offline._failed_at
    assert failed_at is not None
    read(offline, "2401.00001")
    assert offline._failed_at == failed_at  # no second try within the back-off
    offline.close()


def test_a_slow_fetch_is_not_waited_for(store: Database, local_server: LocalServer) -> None:
    release = threading.Event()

    def slow(_request: Request) -> Reply:
        release.wait(10)
        return Reply(200, RECORDED, "text/html")

    local_server.route("/html/2401.00001", slow)
    slow_reader = reader_for(store, local_server.url("/html"), wait_s=0.2)
    first = asyncio.run(slow_reader.full_text("2401.00001"))
    assert first.status == "pending"
    assert "being fetched" in (first.note or "")
    # A second reader joins the running fetch rather than starting another.
    again = asyncio.run(slow_reader.full_text("2401.00001"))
    assert again.status == "pending"
    release.set()
    for _ in range(100):
        if not slow_reader._fetches.pending():
            break
        threading.Event().wait(0.05)
    assert asyncio.run(slow_reader.full_text("2401.00001")).status == "ok"
    assert len(local_server.requests) == 1
    slow_reader.close()


def test_full_texts_off(store: Database) -> None:
    off = Reader(store, base_url=BASE, html_url="https://arxiv.org/html", fetcher=None)
    assert "*This server does not fetch full texts" in read(off, "2401.00001")


def test_unknown_papers(reader: Reader) -> None:
    assert asyncio.run(reader.read("2401.09999")) is None
