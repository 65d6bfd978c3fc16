"""The one place where ingested records are written: idempotent, batched upserts.

Each batch is one transaction: an interrupted ingest (Ctrl-C, kill -9) leaves whole batches
or nothing, and a rerun completes it because every write is an upsert keyed by arXiv id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from paperboard.domain.merge import merge_paper
from paperboard.domain.paper import FeaturedRecord, IngestItem, Malformed, PaperRecord
from paperboard.storage import board as board_store
from paperboard.storage import featured as featured_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

DEFAULT_BATCH_SIZE = 2000


@dataclass
class LoadReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    featured_new: int = 0
    featured_changed: int = 0
    featured_unchanged: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    # Every item read and committed: set for the last progress call, which a progress
    # printer shows as finished (no "ETA"), not as work under way.
    done: bool = False

    @property
    def papers_seen(self) -> int:
        return self.new + self.changed + self.unchanged

    @property
    def skipped(self) -> int:
        return len(self.malformed)

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "featured_new": self.featured_new,
            "featured_changed": self.featured_changed,
            "featured_unchanged": self.featured_unchanged,
            "skipped": self.skipped,
        }


# Called after each committed batch with (items read so far, report so far), and once at the
# end (``report.done``).
ProgressCallback = Callable[[int, LoadReport], None]


class Loader:
    """Accumulates records and writes them in batches. Use :func:`load` for the common case."""

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        after_flush: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.after_flush = after_flush
        self.batch_size = batch_size
        self.report = LoadReport()
        self._papers: dict[str, PaperRecord] = {}
        self._featured: list[FeaturedRecord] = []

    def add(self, item: IngestItem) -> None:
        if isinstance(item, PaperRecord):
            earlier = self._papers.get(item.arxiv_id)
            self._papers[item.arxiv_id] = merge_paper(earlier, item) if earlier else item
        elif isinstance(item, FeaturedRecord):
            self._featured.append(item)
        else:
            self.report.malformed.append(item)
        if len(self._papers) + len(self._featured) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._papers and not self._featured:
            return
        now = datetime.now(UTC)
        with self.db.write() as connection:
            counts = self._write_papers(connection, now)
            featured_counts = self._write_featured(connection, now)
        # Only count what was committed.
        self.report.new += counts[0]
        self.report.changed += counts[1]
        self.report.unchanged += counts[2]
        self.report.featured_new += featured_counts[0]
        self.report.featured_changed += featured_counts[1]
        self.report.featured_unchanged += featured_counts[2]
        self._papers.clear()
        self._featured.clear()
        if self.after_flush:
            self.after_flush()

    def _write_papers(self, connection: Connection, now: datetime) -> tuple[int, int, int]:
        if not self._papers:
            return (0, 0, 0)
        incoming = self._papers
        stored_hashes = paper_store.hashes_for(connection, list(incoming))
        hashes = {arxiv_id: record.content_hash() for arxiv_id, record in incoming.items()}
        new = [record for arxiv_id, record in incoming.items() if arxiv_id not in stored_hashes]
        # Fast path: a record whose hash equals the stored one changes nothing.
        maybe_changed = [
            arxiv_id
            for arxiv_id, stored_hash in stored_hashes.items()
            if hashes[arxiv_id] != stored_hash
        ]
        changed: list[PaperRecord] = []
        if maybe_changed:
            stored = paper_store.records_for(connection, maybe_changed)
            for arxiv_id in maybe_changed:
                merged = merge_paper(stored[arxiv_id], incoming[arxiv_id])
                if merged.content_hash() != stored_hashes[arxiv_id]:
                    changed.append(merged)
        paper_store.insert_records(connection, new, now, hashes)
        paper_store.update_records(connection, changed, now)
        unchanged = len(incoming) - len(new) - len(changed)
        return (len(new), len(changed), unchanged)

    def _write_featured(self, connection: Connection, now: datetime) -> tuple[int, int, int]:
        if not self._featured:
            return (0, 0, 0)
        paper_ids = paper_store.ids_for(connection, list({f.arxiv_id for f in self._featured}))
        latest: dict[tuple[date, int], FeaturedRecord] = {}
        for record in self._featured:
            paper_id = paper_ids.get(record.arxiv_id)
            if paper_id is None:
                self.report.malformed.append(
                    Malformed(
                        f"featured {record.arxiv_id} on {record.day}",
                        "paper is not in the store (ingest it first)",
                    )
                )
                continue
            latest[(record.day, paper_id)] = record
        stored = featured_store.existing(connection, list(latest))
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        for key, record in latest.items():
            if key not in stored:
                inserts.append(featured_store.row_for(record, key[1], now))
                continue
            row_id, upvotes, comments = stored[key]
            if (upvotes, comments) == (record.upvotes, record.num_comments):
                unchanged += 1
            else:
                updates.append(
                    {
                        "key": row_id,
                        "imported_upvotes": record.upvotes,
                        "imported_comments": record.num_comments,
                    }
                )
        featured_store.insert(connection, inserts)
        featured_store.update_counts(connection, updates)
        if inserts or updates:
            touched = {row["paper_id"] for row in inserts}
            touched |= {key[1] for key, record in latest.items() if key in stored}
            board_store.refresh_counters(connection, sorted(touched))
        return (len(inserts), len(updates), unchanged)


def load(
    db: Database,
    items: Iterable[IngestItem],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    after_flush: Callable[[], None] | None = None,
) -> LoadReport:
    """Upsert every item; malformed ones are counted in the report, the rest is loaded.

    ``after_flush`` runs after each committed batch (the keyword index catches up there).
    """
    loader = Loader(db, batch_size=batch_size, after_flush=after_flush)
    seen = 0
    for item in items:
        loader.add(item)
        seen += 1
        if progress and seen % batch_size == 0:
            progress(seen, loader.report)
    loader.flush()
    loader.report.done = True
    if progress:
        progress(seen, loader.report)
    return loader.report
