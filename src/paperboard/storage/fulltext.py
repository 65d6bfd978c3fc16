"""Full texts of papers (arXiv's HTML rendering as Markdown), cached by reading/service.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.schema import paper_full_texts, papers


@dataclass(frozen=True, slots=True)
class StoredFullText:
    status: str  # "ok" | "missing"
    markdown: str | None
    version: int  # the paper's version when fetched
    source_url: str
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class PaperVersion:
    """What deciding on a fetch needs: the paper's row, version, and its cached text if any."""

    paper_id: int
    version: int
    cached: StoredFullText | None


def lookup(connection: Connection, arxiv_id: str) -> PaperVersion | None:
    """The paper ``arxiv_id`` (None when not stored) with its cached full text: one query."""
    query = (
        select(
            papers.c.id,
            papers.c.version,
            paper_full_texts.c.status,
            paper_full_texts.c.markdown,
            paper_full_texts.c.version.label("text_version"),
            paper_full_texts.c.source_url,
            paper_full_texts.c.fetched_at,
        )
        .select_from(papers.outerjoin(paper_full_texts))
        .where(papers.c.arxiv_id == arxiv_id)
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    cached = None
    if row.status is not None:
        cached = StoredFullText(
            row.status, row.markdown, row.text_version, row.source_url, row.fetched_at
        )
    return PaperVersion(row.id, row.version or 1, cached)


def store(connection: Connection, paper_id: int, text: StoredFullText) -> None:
    """Insert or replace the paper's full text."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {
        "status": text.status,
        "markdown": text.markdown,
        "version": text.version,
        "source_url": text.source_url,
        "fetched_at": text.fetched_at,
    }
    statement = dialect.insert(paper_full_texts).values(paper_id=paper_id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=["paper_id"], set_=values))
