"""The composition root: settings -> database, keyword index. Built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from paperboard.config import Settings, load_settings
from paperboard.search.keyword import KeywordIndex, open_index
from paperboard.storage.database import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    # A tantivy index in the data dir, derived from the database (SQLite, or PostgreSQL: then
    # each machine keeps its own, synced through the same watermark); None when keyword search
    # is PostgreSQL's tsvector column (PAPERBOARD_KEYWORD_INDEX=postgres).
    keyword_index: KeywordIndex | None

    def close(self) -> None:
        if self.keyword_index is not None:
            self.keyword_index.close()
        self.db.dispose()


def open_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    # tsvector ranking over every match costs seconds at a million papers, and a bounded
    # candidate set costs relevance; tantivy answers in milliseconds (docs/scaling.md).
    use_tantivy = db.is_sqlite or settings.uses_tantivy
    index = open_index(settings.data_dir) if use_tantivy else None
    return Runtime(settings=settings, db=db, keyword_index=index)
