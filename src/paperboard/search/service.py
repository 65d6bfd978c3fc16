"""Keyword search over every paper: tantivy on the embedded default, tsvector on PostgreSQL.

The search issue extends this with semantic and hybrid search; callers use ``search_papers``.
"""

from __future__ import annotations

from paperboard.domain.paper import PaperRecord
from paperboard.search.keyword import KeywordIndex
from paperboard.storage import search as search_store
from paperboard.storage.database import Database

MAX_QUERY_CHARS = 4000
MAX_LIMIT = 120


def search_papers(
    db: Database, keyword_index: KeywordIndex | None, query: str, limit: int = 20
) -> list[PaperRecord]:
    """Papers matching ``query`` best first. Any text is safe (it is never parsed as syntax)."""
    query = query[:MAX_QUERY_CHARS]
    limit = max(1, min(limit, MAX_LIMIT))
    with db.read() as connection:
        if keyword_index is not None:
            ids = [paper_id for paper_id, _score in keyword_index.search(query, limit)]
            return search_store.papers_by_ids(connection, ids)
        return search_store.postgres_keyword_search(connection, query, limit)
