"""Ingest as the CLI and the worker run it: load records, keep the keyword index in step."""

from __future__ import annotations

from collections.abc import Iterable

from paperboard.domain.paper import IngestItem
from paperboard.ingest.loader import DEFAULT_BATCH_SIZE, LoadReport, ProgressCallback, load
from paperboard.search.keyword import KeywordIndex, sync

# tantivy commits are costly (segment files, fsync): commit the index every this many batches.
INDEX_COMMIT_EVERY_BATCHES = 10


def ingest(
    db: object,
    items: Iterable[IngestItem],
    *,
    keyword_index: KeywordIndex | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> LoadReport:
    """Load ``items``; after each committed batch the keyword index (if any) catches up."""
    from paperboard.storage.database import Database

    assert isinstance(db, Database)
    batches = 0

    def after_flush() -> None:
        nonlocal batches
        batches += 1
        if keyword_index is not None:
            sync(db, keyword_index, commit=batches % INDEX_COMMIT_EVERY_BATCHES == 0)

    try:
        return load(db, items, batch_size=batch_size, progress=progress, after_flush=after_flush)
    finally:
        if keyword_index is not None:
            keyword_index.commit()
