"""Ingest as the CLI and the worker run it: load records, keep the keyword index in step."""

from __future__ import annotations

import time
from collections.abc import Iterable

from paperboard.domain.paper import IngestItem
from paperboard.ingest.loader import DEFAULT_BATCH_SIZE, LoadReport, ProgressCallback, load
from paperboard.search.keyword import KeywordIndex, sync
from paperboard.storage.database import Database

# tantivy commits are costly (~0.6 s: segment files, fsync): commit the index at most this
# often during a long ingest, and at its end. Uncommitted work is redone by the next sync.
INDEX_COMMIT_INTERVAL_S = 30.0


def ingest(
    db: object,
    items: Iterable[IngestItem],
    *,
    keyword_index: KeywordIndex | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> LoadReport:
    """Load ``items``; after each committed batch the keyword index (if any) catches up."""
    assert isinstance(db, Database)
    last_commit = time.monotonic()

    def after_flush() -> None:
        nonlocal last_commit
        if keyword_index is None:
            return
        due = time.monotonic() - last_commit >= INDEX_COMMIT_INTERVAL_S
        sync(db, keyword_index, commit=due)
        if due:
            last_commit = time.monotonic()

    try:
        return load(db, items, batch_size=batch_size, progress=progress, after_flush=after_flush)
    finally:
        if keyword_index is not None:
            keyword_index.commit()
