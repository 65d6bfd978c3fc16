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
    # The embedded default keeps a tantivy index next to the SQLite file; on PostgreSQL the
    # keyword index is a tsvector column maintained by the database itself.
    keyword_index: KeywordIndex | None

    def close(self) -> None:
        if self.keyword_index is not None:
            self.keyword_index.close()
        self.db.dispose()


def open_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    index = open_index(settings.data_dir) if db.is_sqlite else None
    return Runtime(settings=settings, db=db, keyword_index=index)
