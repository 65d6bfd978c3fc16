"""What ``paperboard stats`` reports: counts of what is stored, and the schema revision."""

from __future__ import annotations

from typing import Any

from paperboard.search.keyword import KeywordIndex
from paperboard.storage import featured as featured_store
from paperboard.storage import migrate
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database


def collect_stats(db: Database, keyword_index: KeywordIndex | None) -> dict[str, Any]:
    with db.read() as connection:
        result: dict[str, Any] = {
            "papers": paper_store.count(connection),
            "featured": featured_store.count(connection),
            "featured_days": featured_store.days_count(connection),
        }
    result["database"] = db.dialect
    result["schema_revision"] = migrate.current_revision(db.engine)
    if keyword_index is not None:
        result["keyword_indexed"] = keyword_index.num_docs()
    return result
