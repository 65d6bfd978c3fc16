"""The keyword index: a tantivy index in the data dir, derived from the database.

The database (SQLite, or PostgreSQL shared by many web nodes, each with its own index) is the
source of truth. The index remembers (in a small sidecar file, written after each tantivy
commit) the ``modified_at`` of the newest paper it holds; ``sync`` indexes everything modified
since then. So a crash between a database commit and an index commit loses nothing: the next
``sync`` (at every ingest, every ``serve`` start and every minute while serving) catches up,
and re-indexing a paper is idempotent (delete by id, then add).

Late commits. ``modified_at`` is the writer's clock when its batch began, not the moment the
batch became visible: two writers (two ingests; on PostgreSQL any number of machines) can
commit out of that order, and a sync that has read past a timestamp would never look behind it
again. So ``sync`` also re-reads, at most every ``RESCAN_INTERVAL`` and at a process's first
sync, the keys (id, modified_at) of every paper modified within ``LATE_COMMIT_WINDOW`` before
the newest one indexed, and indexes those it has not indexed at that version. A paper whose
batch committed less than ``LATE_COMMIT_WINDOW - RESCAN_INTERVAL`` after its timestamp (minus
the clock skew between machines) is never skipped; ``paperboard check`` finds and repairs any
paper a slower commit made the index miss.

What "indexed at that version" means survives the process: after each commit the keys of the
window's papers go to a second sidecar (``INDEXED_KEYS_FILE``), so a new process (each ingest,
each ``serve`` start) indexes only the papers that changed or committed late. It once
re-indexed the whole window instead: 27 s for 20 papers ingested minutes after a bulk load.
Without that file (a crash before it was written) the window is indexed again: slower, never
wrong.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy

from paperboard.domain.stopwords import STOPWORDS, content_words
from paperboard.search.indexed_keys import RecentKeys
from paperboard.search.query import ParsedQuery
from paperboard.storage import consistency
from paperboard.storage import papers as paper_store
from paperboard.storage import search as search_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SYNC_FILE = "paperboard-sync.json"
# (id, modified_at) of the committed papers of the late-commit window (module docstring).
INDEXED_KEYS_FILE = "paperboard-sync-keys.npz"
WRITER_HEAP_BYTES = 256 * 1024 * 1024
SYNC_BATCH = 5000
# How late a batch may commit after its modified_at and still be found (module docstring):
# a batch waits at most ~30 s for SQLite's write lock or for a pooled PostgreSQL connection, and
# each statement at most 30 s (storage/engine.py); minutes more cover slow machines and skew.
LATE_COMMIT_WINDOW = timedelta(minutes=5)
# How often ``sync`` re-reads that window. Keys only (an index-only scan): a quiet database has
# a few rows in it, a bulk load at 5,000 papers/s 1.5M keys (~16 bytes each in memory).
RESCAN_INTERVAL = timedelta(seconds=30)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class IndexDoc:
    id: int
    title: str
    abstract: str
    authors: str  # names in any text form (the loader passes the stored JSON list)
    categories: list[str]


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    # One combined title+abstract field scored best on real queries here (DESIGN.md §4).
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("authors", stored=False, tokenizer_name="default")
    builder.add_text_field("category", stored=False, tokenizer_name="raw")
    return builder.build()


class KeywordIndex:
    """A tantivy index directory. One writer at a time across processes (tantivy's lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._sync_file = path / SYNC_FILE
        self._keys_file = path / INDEXED_KEYS_FILE
        state = self._read_state()
        if state.get("schema") not in (None, SCHEMA_VERSION):
            log.warning("keyword index %s has an old schema: rebuilding", path)
            self._wipe()
            state = {}
        self.index = tantivy.Index(_schema(), path=str(path), reuse=True)
        # Ids only grow: a paper with an id above every id ever indexed needs no delete first.
        self._max_id: int = int(state.get("max_id") or 0)
        self._writer: Any = None
        self._lock = threading.Lock()
        # Newest modified_at added but not yet committed (commits are costly: batch them).
        self._pending: datetime | None = None
        # The exact (modified_at, id) key this process indexed last: later syncs start after it.
        self._cursor: tuple[datetime, int] | None = None
        # What this process indexed lately, for the late-commit rescan (module docstring).
        self._recent = RecentKeys()
        self._last_rescan: datetime | None = None

    # --- state ----------------------------------------------------------------------------
    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._sync_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _write_state(self, watermark: datetime | None) -> None:
        temporary = self._sync_file.with_suffix(".tmp")
        state = {
            "schema": SCHEMA_VERSION,
            "watermark": watermark.isoformat() if watermark else None,
            "max_id": self._max_id,
        }
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self._sync_file)

    @property
    def committed_watermark(self) -> datetime | None:
        value = self._read_state().get("watermark")
        return datetime.fromisoformat(value) if value else None

    @property
    def watermark(self) -> datetime | None:
        """Everything modified before this is in the index (committed or pending)."""
        return self._pending or self.committed_watermark

    def _wipe(self) -> None:
        for child in self.path.iterdir():
            if child.is_file():
                child.unlink()

    # --- writing --------------------------------------------------------------------------
    def _writer_or_none(self) -> Any:
        if self._writer is None:
            try:
                self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError as exc:  # another process holds the index lock
                # Normal when serve and a worker share a machine: the holder keeps the index in
                # step (it syncs from the database), so this is no cause for a warning.
                log.debug("keyword index is busy (%s); it will catch up on the next sync", exc)
                return None
        return self._writer

    def add(self, docs: Iterable[IndexDoc]) -> None:
        writer = self._writer_or_none()
        if writer is None:
            return
        for doc in docs:
            if doc.id <= self._max_id:
                writer.delete_documents_by_term("id", doc.id)
            else:
                self._max_id = doc.id
            writer.add_document(
                tantivy.Document(
                    id=doc.id,
                    text=f"{doc.title}\n{doc.abstract}",
                    authors=doc.authors,
                    category=doc.categories,
                )
            )

    def commit(self) -> None:
        if self._writer is None or self._pending is None:
            return
        # max_id is recorded before the commit (a too-high max_id only costs needless deletes
        # later), the watermark after it (a too-low watermark only costs re-indexing): a crash
        # between the two can neither duplicate nor lose a paper.
        self._write_state(self.committed_watermark)
        self._writer.commit()
        self._record_commit(self._pending)

    def _record_commit(self, watermark: datetime | None) -> None:
        """After a tantivy commit: the watermark, then the versions of the window below it
        (written after the commit, the file never names a version the index lacks)."""
        self._write_state(watermark)
        if watermark is not None:
            self._recent.forget_before(watermark - LATE_COMMIT_WINDOW)
            self._recent.save(self._keys_file)
        self._pending = None

    def close(self) -> None:
        """Release the writer (and with it the lock) so another process can index."""
        if self._writer is not None:
            self.commit()
            self._writer.wait_merging_threads()
            self._writer = None

    def clear(self) -> None:
        writer = self._writer_or_none()
        if writer is not None:
            writer.delete_all_documents()
            writer.commit()
            self._max_id = 0
            self._write_state(None)
            self._keys_file.unlink(missing_ok=True)
            self._pending = None
            self._cursor = None
            self._recent = RecentKeys()
            self._last_rescan = None

    def replace(self, remove: Iterable[int], docs: Iterable[IndexDoc], *, max_id: int = 0) -> bool:
        """Delete every document of ``remove`` and of ``docs``' ids, add ``docs`` once each,
        and commit: the repair of ``paperboard check`` (missing, stale or duplicated papers).
        ``max_id``: the highest id found in the index, in case the sidecar lost track of it
        (``add`` relies on it to delete before re-adding). False when another process holds
        the index."""
        writer = self._writer_or_none()
        if writer is None:
            return False
        docs = list(docs)
        with self._lock:
            self._max_id = max(self._max_id, max_id)
            for paper_id in [*remove, *(doc.id for doc in docs)]:
                writer.delete_documents_by_term("id", paper_id)
            self.add(docs)
            # As in commit(): max_id recorded before the tantivy commit, the watermark after.
            watermark = self.committed_watermark
            self._write_state(watermark)
            writer.commit()
            self._record_commit(self._pending or watermark)
        return True

    @property
    def recorded_max_id(self) -> int:
        """The highest paper id the sidecar says was ever added."""
        return self._max_id

    # --- reading --------------------------------------------------------------------------
    def indexed_ids(self) -> list[int]:
        """The paper id of every document in the index (a paper indexed twice appears twice)."""
        self.index.reload()
        searcher = self.index.searcher()
        if searcher.num_docs == 0:
            return []
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
        # The fast field is read column-wise: no stored document is loaded.
        return list(searcher.fast_field_values("id", [address for _, address in hits]))

    def num_docs(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    def search(self, text: str, limit: int = 20) -> list[tuple[int, float]]:
        """(paper id, score) best first, for any user text (never raises on syntax)."""
        words = content_words([word.lower() for word in _WORD.findall(text)])[:64]
        if not words:
            return []
        query = self.index.parse_query(" ".join(words), ["text", "authors"])
        self.index.reload()
        searcher = self.index.searcher()
        hits = searcher.search(query, limit).hits
        return [(searcher.doc(address)["id"][0], score) for score, address in hits]

    def search_parsed(self, parsed: ParsedQuery, limit: int = 20) -> list[tuple[int, float]]:
        """(paper id, score) for a parsed query: free words ranked (OR), phrases, authors and
        categories required. The query string is built from ``\\w+`` words and checked
        category names only, so user text never reaches tantivy's parser as syntax."""
        query_text = keyword_query(parsed)
        if not query_text:
            return []
        query = self.index.parse_query(query_text, ["text", "authors"])
        self.index.reload()
        searcher = self.index.searcher()
        hits = searcher.search(query, limit).hits
        return [(searcher.doc(address)["id"][0], score) for score, address in hits]


MAX_WORD_CHARS = 64  # tantivy drops longer tokens anyway; a 4,000-letter "word" matches nothing


def keyword_query(parsed: ParsedQuery) -> str:
    """tantivy query syntax for ``parsed`` (empty when there is nothing to search for).
    Free words that are stopwords are left out (domain/stopwords.py), as PostgreSQL's
    ``english`` tsquery leaves them out; a phrase keeps them (they place its other words) unless
    it has nothing else. ``author:`` names are matched as typed ("Hou In")."""
    parts = [word[:MAX_WORD_CHARS] for word in content_words(parsed.words)]
    parts += [
        '+"' + " ".join(w[:MAX_WORD_CHARS] for w in phrase) + '"'
        for phrase in parsed.phrases
        if not STOPWORDS.issuperset(phrase)
    ]
    for author in parsed.authors:
        words = [w.lower()[:MAX_WORD_CHARS] for w in _WORD.findall(author)]
        if words:
            parts.append('+authors:"' + " ".join(words) + '"')
    if parsed.categories:
        # Category names were checked against [A-Za-z.-] by the parser; quotes keep the dot.
        parts.append("+(" + " ".join(f'category:"{c}"' for c in parsed.categories) + ")")
    return " ".join(parts)


def _docs(rows: list[dict[str, Any]]) -> list[IndexDoc]:
    return [
        IndexDoc(
            id=row["id"],
            title=row["title"],
            abstract=row["abstract"],
            authors=row["authors_text"],
            categories=row["categories"].split(),
        )
        for row in rows
    ]


def sync(
    db: Database,
    index: KeywordIndex,
    *,
    commit: bool = True,
    now: datetime | None = None,
) -> int:
    """Index every paper modified since the index's watermark, and every late commit found by
    the rescan when one is due; returns how many papers were (re)indexed. ``now`` is the
    clock the rescan interval is measured with (tests pass their own)."""
    now = now or datetime.now(UTC)
    with index._lock:
        after = index._cursor
        first = after is None
        since = index.committed_watermark if first else None
        # A new process: the versions the committed index holds (the papers modified at the
        # watermark itself are read again below; these are not indexed twice).
        known = RecentKeys.load(index._keys_file) if first and since is not None else None
        if known is not None:
            index._recent = known.copy()
        indexed = 0
        newest: datetime | None = index.watermark
        while True:
            with db.read() as connection:
                rows = paper_store.modified_since(connection, since, after, SYNC_BATCH)
            if not rows:
                break
            fresh = known.unseen_rows(rows) if known is not None else rows
            if fresh:
                index.add(_docs(fresh))
                if index._writer is None:
                    return 0  # busy; someone else is indexing
                index._recent.note(fresh)
                indexed += len(fresh)
            last = rows[-1]
            after = index._cursor = (last["modified_at"], last["id"])
            newest = last["modified_at"] if newest is None else max(newest, last["modified_at"])
        if first and since is None:
            index._last_rescan = now  # the pass above read every paper
        elif newest is not None and (
            index._last_rescan is None or now - index._last_rescan >= RESCAN_INTERVAL
        ):
            late = _rescan(db, index, newest - LATE_COMMIT_WINDOW)
            if late < 0:
                return 0  # busy
            indexed += late
            index._last_rescan = now
        if indexed:
            index._pending = newest
        if commit:
            index.commit()
    return indexed


def _rescan(db: Database, index: KeywordIndex, since: datetime) -> int:
    """Index the papers modified at or after ``since`` that this process has not indexed at
    their present version (late commits); -1 when the index is busy."""
    index._recent.forget_before(since)
    found = 0
    after: tuple[datetime, int] | None = None
    while True:
        with db.read() as connection:
            keys = search_store.modified_keys_since(connection, since, after, SYNC_BATCH)
        if not keys:
            return found
        unseen = index._recent.unseen(keys)
        if unseen:
            with db.read() as connection:
                rows = consistency.index_rows(connection, unseen)
            index.add(_docs(rows))
            if index._writer is None:
                return -1
            index._recent.note(rows)
            found += len(rows)
            log.info("keyword index: %d late-committed papers indexed", len(rows))
        after = keys[-1]
        if len(keys) < SYNC_BATCH:
            return found


def rebuild(db: Database, index: KeywordIndex) -> int:
    """Drop and re-create the index from the database."""
    index.clear()
    return sync(db, index)


def index_path(data_dir: Path) -> Path:
    return data_dir / "keyword-index"


def open_index(data_dir: Path) -> KeywordIndex:
    return KeywordIndex(index_path(data_dir))


def reindex(
    db: Database,
    index: KeywordIndex,
    ids: Iterable[int],
    *,
    remove: Iterable[int] = (),
    max_id: int = 0,
) -> bool:
    """Re-add the papers ``ids`` (each once) and drop the documents of ``remove``, in one
    commit (``KeywordIndex.replace``); False when another process holds the index."""
    wanted = sorted(set(ids))
    rows: list[dict[str, Any]] = []
    with db.read() as connection:
        for start in range(0, len(wanted), SYNC_BATCH):
            rows += consistency.index_rows(connection, wanted[start : start + SYNC_BATCH])
    return index.replace(remove, _docs(rows), max_id=max_id)
