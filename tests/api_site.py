"""A paperboard loaded with real Hugging Face responses, for the API, client and feed tests: a
``Site`` (tests/app_factory.py) over that data.

The three recorded daily boards (2024, 2025 and 2026 schema generations) and the two search
responses go through the real parser and loader; a few hand-made papers add what the
recordings lack: an old-style id, a paper without a date, a title with markup, a curator's
board entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.hf_daily import parse_daily_papers, parse_search_results
from paperboard.ingest.loader import load
from paperboard.search.keyword import KeywordIndex, sync
from paperboard.storage.database import Database
from tests import app_factory
from tests.app_factory import Site
from tests.conftest import FIXTURES

DAILY_FIXTURES = {
    date(2024, 6, 13): "hf_daily_papers_2024-06-13.json",
    date(2025, 7, 22): "hf_daily_papers_2025-07-22.json",
    date(2026, 8, 12): "hf_daily_papers_2026-08-12.json",
}
SEARCH_FIXTURES = {
    "kazakh": "hf_papers_search_q-kazakh.json",
    "llama 3 herd": "hf_papers_search_q-llama-3-herd.json",
}
BASE_URL = "https://papers.example.org"
ENV = {"PAPERBOARD_BASE_URL": BASE_URL}
RECORDINGS = FIXTURES / "hf_daily_papers"

OLD_STYLE = PaperRecord(
    arxiv_id="hep-th/9901001",
    title="Strings on an old-style identifier",
    abstract="An abstract from 1999\nwrapped by arXiv.\n  A second paragraph with $\\times$ TeX.",
    authors=["Ada Lovelace", "Alan Turing"],
    categories=["hep-th"],
    published_at=datetime(1999, 1, 4, 12, 0, tzinfo=UTC),
)
UNDATED = PaperRecord(
    arxiv_id="2501.00001",
    title="A paper without a publication date",
    abstract="Nobody knows when.",
    authors=[],
    categories=["cs.LG"],
)
UNDATED_TOO = PaperRecord(
    arxiv_id="2501.00002",
    title="Another paper without a date",
    abstract="Nor this one.",
    authors=["Grace Hopper"],
    categories=["cs.PL"],
)
MARKUP_DAY = date(2025, 1, 15)
MARKUP = PaperRecord(
    arxiv_id="2501.01234",
    title='<script>alert("x")</script> & Friends: Escaping <b>Markup</b>',
    abstract="Text with <tags>, ampersands & a control\x0bcharacter.",
    authors=["Ä <Evil> Author"],
    categories=["cs.CR"],
    published_at=datetime(2025, 1, 14, 9, 30, tzinfo=UTC),
    code_urls=["https://github.com/example/markup"],
)
MARKUP_FEATURED = FeaturedRecord(
    arxiv_id=MARKUP.arxiv_id,
    day=MARKUP_DAY,
    submitted_by="curator-carol",
    submitted_by_fullname="Carol Curator",
    featured_at=datetime(2025, 1, 15, 8, 0, tzinfo=UTC),
    upvotes=3,
    num_comments=1,
    source="curator",
)
EXTRA_PAPERS = (OLD_STYLE, UNDATED, UNDATED_TOO, MARKUP)


def recorded_daily(day: date) -> list[dict[str, Any]]:
    """Hugging Face's recorded daily board for ``day``, as JSON."""
    return orjson.loads((RECORDINGS / DAILY_FIXTURES[day]).read_bytes())


def recorded_search(query: str) -> list[dict[str, Any]]:
    """Hugging Face's recorded answer to a paper search for ``query``, as JSON."""
    return orjson.loads((RECORDINGS / SEARCH_FIXTURES[query]).read_bytes())


def recorded_store(tmp_path: Path, fixtures_dir: Path) -> tuple[Database, KeywordIndex]:
    """A SQLite database in ``tmp_path`` with the recordings and the extra papers loaded, and
    its keyword index, synced. The caller closes both."""
    hf = fixtures_dir / "hf_daily_papers"
    db = Database(f"sqlite:///{tmp_path / 'paperboard.db'}")
    for day, name in DAILY_FIXTURES.items():
        report = load(db, parse_daily_papers((hf / name).read_bytes(), day=day))
        assert report.skipped == 0, report.malformed
    for name in SEARCH_FIXTURES.values():
        assert load(db, parse_search_results((hf / name).read_bytes())).skipped == 0
    report = load(db, [*EXTRA_PAPERS, MARKUP_FEATURED])
    assert report.skipped == 0, report.malformed
    index = KeywordIndex(tmp_path / "kw")
    sync(db, index)
    return db, index


def build_site(tmp_path: Path, fixtures_dir: Path) -> Site:
    """The recorded store served at ``BASE_URL``, with the response cache on as in production;
    closing the site closes the database and the index."""
    db, index = recorded_store(tmp_path, fixtures_dir)
    site = app_factory.build_site(db, tmp_path, env=ENV, keyword_index=index, cache=True)
    site.closers += [db.dispose, index.close]
    return site
