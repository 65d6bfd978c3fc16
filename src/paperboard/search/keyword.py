"""The embedded keyword index: a tantivy index in the data dir, derived from the database.

The database is the source of truth. The index remembers (in a small sidecar file, written
after each tantivy commit) the ``modified_at`` of the newest paper it holds; ``sync`` indexes
everything modified since then. So a crash between a database commit and an index commit
loses nothing: the next ``sync`` (at every ingest and every ``serve`` start) catches up, and
re-indexing a paper is idempotent (delete by id, then add).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy

from paperboard.search.query import ParsedQuery
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SYNC_FILE = "paperboard-sync.json"
WRITER_HEAP_BYTES = 256 * 1024 * 1024
SYNC_BATCH = 5000
# Clocks can step back a little between processes; re-reading a second of overlap is cheap.
WATERMARK_OVERLAP = timedelta(seconds=1)
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
                log.warning("keyword index is busy (%s); it will catch up on the next sync", exc)
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
        self._write_state(self._pending)
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
            self._pending = None
            self._cursor = None

    # --- reading --------------------------------------------------------------------------
    def num_docs(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    def search(self, text: str, limit: int = 20) -> list[tuple[int, float]]:
        """(paper id, score) best first, for any user text (never raises on syntax)."""
        words = [word.lower() for word in _WORD.findall(text)][:64]
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
    """tantivy query syntax for ``parsed`` (empty when there is nothing to search for)."""
    parts = [word[:MAX_WORD_CHARS] for word in parsed.words]
    parts += [
        '+"' + " ".join(w[:MAX_WORD_CHARS] for w in phrase) + '"' for phrase in parsed.phrases
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


def sync(db: Database, index: KeywordIndex, *, commit: bool = True) -> int:
    """Index every paper modified since the index's watermark; returns how many."""
    with index._lock:
        after = index._cursor
        since = None if after else index.committed_watermark
        if since is not None:
            since -= WATERMARK_OVERLAP
        indexed = 0
        newest: datetime | None = index.watermark
        while True:
            with db.read() as connection:
                rows = paper_store.modified_since(connection, since, after, SYNC_BATCH)
            if not rows:
                break
            index.add(_docs(rows))
            if index._writer is None:
                return 0  # busy; someone else is indexing
            indexed += len(rows)
            last = rows[-1]
            after = index._cursor = (last["modified_at"], last["id"])
            newest = last["modified_at"] if newest is None else max(newest, last["modified_at"])
        if indexed:
            index._pending = newest
        if commit:
            index.commit()
    return indexed


def rebuild(db: Database, index: KeywordIndex) -> int:
    """Drop and re-create the index from the database."""
    index.clear()
    return sync(db, index)


def index_path(data_dir: Path) -> Path:
    return data_dir / "keyword-index"


def open_index(data_dir: Path) -> KeywordIndex:
    return KeywordIndex(index_path(data_dir))
