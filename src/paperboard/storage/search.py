"""Search-related SQL: fetching hits by id, PostgreSQL's full-text search."""

from __future__ import annotations

import re

from sqlalchemy import Connection, func, literal_column, select

from paperboard.domain.paper import PaperRecord
from paperboard.storage.papers import row_to_record
from paperboard.storage.schema import papers

# PostgreSQL ranks only this many of the newest matches: ts_rank over every match of a
# common word costs seconds at a million papers (DESIGN.md §4); the search issue replaces it.
POSTGRES_CANDIDATES = 2000
_WORD = re.compile(r"\w+", re.UNICODE)


def papers_by_ids(connection: Connection, ids: list[int]) -> list[PaperRecord]:
    """Papers in the order of ``ids`` (missing ones skipped)."""
    if not ids:
        return []
    rows = connection.execute(select(papers).where(papers.c.id.in_(ids)))
    by_id = {row.id: row_to_record(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def postgres_keyword_search(connection: Connection, text: str, limit: int) -> list[PaperRecord]:
    words = _WORD.findall(text.lower())[:64]
    if not words:
        return []
    # OR of the words, built from plain words only: user text never reaches the tsquery parser.
    # Authors are indexed unstemmed ('simple'), titles and abstracts stemmed ('english'): ask
    # both ways so that "Jones" finds an author and "models" finds "model".
    terms = " | ".join(words)
    tsquery = func.to_tsquery("english", terms).op("||")(func.to_tsquery("simple", terms))
    vector = literal_column("search_vector")
    candidates = (
        select(papers.c.id, vector.label("sv"))
        .where(vector.op("@@")(tsquery))
        .order_by(papers.c.published_at.desc().nulls_last())
        .limit(POSTGRES_CANDIDATES)
        .subquery()
    )
    ranked = (
        select(candidates.c.id).order_by(func.ts_rank(candidates.c.sv, tsquery).desc()).limit(limit)
    )
    ids = [paper_id for (paper_id,) in connection.execute(ranked)]
    return papers_by_ids(connection, ids)
