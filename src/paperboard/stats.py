"""What ``paperboard stats`` reports."""

from __future__ import annotations

from typing import Any

from paperboard.runtime import Runtime
from paperboard.storage import featured as featured_store
from paperboard.storage import migrate
from paperboard.storage import papers as paper_store


def collect_stats(runtime: Runtime) -> dict[str, Any]:
    with runtime.db.read() as connection:
        result: dict[str, Any] = {
            "papers": paper_store.count(connection),
            "featured": featured_store.count(connection),
            "featured_days": featured_store.days_count(connection),
        }
    result["database"] = runtime.db.dialect
    result["schema_revision"] = migrate.current_revision(runtime.db.engine)
    if runtime.keyword_index is not None:
        result["keyword_indexed"] = runtime.keyword_index.num_docs()
    return result
