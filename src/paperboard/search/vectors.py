"""Nearest-neighbour search over paper embeddings.

- Embedded default (SQLite): an HNSW index (usearch, float16) in a file next to the database,
  derived from the ``embeddings`` table like the keyword index is from ``papers``: a sidecar
  file remembers the (created_at, paper_id) of the newest vector saved with the file, and
  ``sync`` adds whatever was stored since. A crash between a database commit and a save
  loses nothing (the next sync re-reads it); re-adding a vector is idempotent.
- PostgreSQL: pgvector's HNSW index on ``embeddings.vector``; nothing to keep in step.

Both answer ``search(vector, limit, exclude) -> [(paper_id, cosine similarity)]`` best first.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SYNC_BATCH = 20_000
WATERMARK_OVERLAP = timedelta(seconds=1)
# HNSW parameters: M=16 links per node; ef_construction 128 and ef_search 96 keep recall@10
# above 0.98 at a million vectors (bench/search_latency.py) at well under a millisecond.
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 96


class VectorIndex(Protocol):
    model: str

    def search(
        self, vector: np.ndarray, limit: int, exclude: Sequence[int] = ()
    ) -> list[tuple[int, float]]: ...

    def vector_of(self, paper_id: int) -> np.ndarray | None: ...

    def sync(self) -> int: ...

    def close(self) -> None: ...


def _new_index(dim: int) -> Any:
    # onnxruntime must be loaded before usearch: the other order segfaults on import
    # (usearch 2.26.6 + onnxruntime 1.31.1, seen here), which killed the embedder later.
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index(
        ndim=dim,
        metric="cos",
        dtype="f16",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


class HnswFileIndex:
    """The usearch HNSW index of one model's vectors, kept in ``path`` (plus ``path.json``).

    Every process holds the index in memory and catches up with the database by itself;
    saving is serialised by a lock file, and a save never goes back in time.
    """

    def __init__(self, db: Database, path: Path, model: str, dim: int) -> None:
        self.db = db
        self.path = path
        self.model = model
        self.dim = dim
        self._state_file = path.with_name(path.name + ".json")
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        state = self._read_state()
        self.index = _new_index(dim)
        self._cursor: tuple[datetime, int] | None = None
        # Why the file on disk was not used (``paperboard check`` reports it); None if it was.
        self.load_problem: str | None = None
        if self._state_matches(state) and path.exists():
            try:
                self.index.load(str(path))
                self._cursor = _decode_key(state.get("watermark"))
            except (RuntimeError, ValueError, OSError) as exc:  # a torn or foreign file
                log.warning(
                    "vector index %s unreadable (%s): rebuilding from the database", path, exc
                )
                self.index = _new_index(dim)
                self.load_problem = f"the file is unreadable ({exc})"
        elif path.exists():
            log.warning("vector index %s is of another model or version: rebuilding", path)
            self.load_problem = (
                f"the file holds model {state.get('model')!r} ({state.get('dim')} dimensions, "
                f"schema {state.get('schema')}), not {model!r} ({dim})"
            )
        self._saved_cursor = self._cursor

    # --- state ----------------------------------------------------------------------------
    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _state_matches(self, state: dict[str, Any]) -> bool:
        return (
            state.get("schema") == SCHEMA_VERSION
            and state.get("model") == self.model
            and state.get("dim") == self.dim
        )

    @contextmanager
    def _file_lock(self) -> Any:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def file_state(self) -> dict[str, Any]:
        """The sidecar as saved with the file: schema, model, dim, watermark, count."""
        return self._read_state()

    def save(self, *, force: bool = False) -> None:
        """Write the index and then its watermark, each by atomic rename.

        ``force`` writes even when the watermark did not move: after a rebuild or a repair
        the contents changed below the watermark, which the usual checks cannot see."""
        with self._lock:
            if not force and (self._cursor is None or self._cursor == self._saved_cursor):
                return
            with self._file_lock():
                state = self._read_state()
                on_disk = _decode_key(state.get("watermark"))
                newer_on_disk = (
                    self._state_matches(state)
                    and on_disk is not None
                    and (self._cursor is None or on_disk >= self._cursor)
                )
                if newer_on_disk and not force:
                    return  # another process saved newer work
                temporary = self.path.with_name(self.path.name + ".tmp")
                self.index.save(str(temporary))
                os.replace(temporary, self.path)
                state = {
                    "schema": SCHEMA_VERSION,
                    "model": self.model,
                    "dim": self.dim,
                    "watermark": _encode_key(self._cursor),
                    "count": len(self.index),
                }
                state_temporary = self._state_file.with_suffix(".tmp")
                state_temporary.write_text(json.dumps(state))
                os.replace(state_temporary, self._state_file)
                self._saved_cursor = self._cursor

    # --- keeping in step with the database ------------------------------------------------
    def sync(self, *, save: bool = True) -> int:
        """Add every vector stored since the watermark; returns how many were added."""
        added = 0
        known = self._cursor
        after = None if known is None else (known[0] - WATERMARK_OVERLAP, 0)
        while True:
            with self.db.read() as connection:
                rows = embedding_store.created_since(connection, self.model, after, SYNC_BATCH)
            if not rows:
                break
            last = rows[-1]
            after = (last.created_at, last.paper_id)
            with self._lock:
                # The overlap re-reads vectors from just before the watermark: ones the index
                # already holds are skipped (another writer's late commit is not).
                fresh = [
                    row
                    for row in rows
                    if known is None
                    or (row.created_at, row.paper_id) > known
                    or row.paper_id not in self.index
                ]
                if fresh:
                    self._add(fresh)
                if self._cursor is None or after > self._cursor:
                    self._cursor = after
            added += len(fresh)
            if len(rows) < SYNC_BATCH:
                break
        if save and added:
            self.save()
        return added

    def _add(self, rows: list[embedding_store.StoredVector]) -> None:
        keys = np.fromiter((row.paper_id for row in rows), np.uint64, len(rows))
        vectors = np.stack([row.vector for row in rows]).astype(np.float32)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"stored vectors have {vectors.shape[1]} dimensions, not {self.dim}")
        present = keys[self.index.contains(keys)]
        if len(present):
            self.index.remove(present)  # a re-embedded paper: replace its vector
        self.index.add(keys, vectors)

    def rebuild(self) -> int:
        with self._lock:
            self.index = _new_index(self.dim)
            self._cursor = None
            self._saved_cursor = None
            self.load_problem = None
        added = self.sync(save=False)
        # Forced: a rebuild usually ends at the watermark already on disk, and a plain save
        # would then keep the old file.
        self.save(force=True)
        return added

    def reconcile(self, remove: Sequence[int], rows: list[embedding_store.StoredVector]) -> None:
        """Drop the vectors of ``remove`` and add (or replace) ``rows``, in memory; the repair
        of ``paperboard check``, followed by ``save(force=True)``."""
        with self._lock:
            keys = np.asarray(list(remove), np.uint64)
            if len(keys):
                present = keys[self.index.contains(keys)]
                if len(present):
                    self.index.remove(present)
            if rows:
                self._add(rows)

    def keys(self) -> np.ndarray:
        """The paper ids the index holds (int64, unordered)."""
        with self._lock:
            return np.asarray(self.index.keys, np.int64)

    # --- reading --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index)

    def search(
        self, vector: np.ndarray, limit: int, exclude: Sequence[int] = ()
    ) -> list[tuple[int, float]]:
        if len(self.index) == 0 or limit <= 0:
            return []
        wanted = min(limit + len(exclude), len(self.index))
        with self._lock:
            # ef below k would cut the candidate list: widen it for deep requests.
            self.index.expansion_search = max(EXPANSION_SEARCH, wanted)
            matches = self.index.search(np.asarray(vector, np.float32), wanted)
        skip = set(exclude)
        hits = [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
            if int(key) not in skip
        ]
        return hits[:limit]

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        with self._lock:
            if paper_id not in self.index:
                return None
            return np.asarray(self.index.get(paper_id), np.float32)

    def close(self) -> None:
        self.save()


class PgVectorIndex:
    """pgvector's HNSW index, queried through SQL."""

    def __init__(self, db: Database, model: str) -> None:
        self.db = db
        self.model = model

    def search(
        self, vector: np.ndarray, limit: int, exclude: Sequence[int] = ()
    ) -> list[tuple[int, float]]:
        if limit <= 0:
            return []
        with self.db.read() as connection:
            return embedding_store.postgres_nearest(connection, self.model, vector, limit, exclude)

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        with self.db.read() as connection:
            return embedding_store.vectors_for(connection, self.model, [paper_id]).get(paper_id)

    def sync(self) -> int:
        return 0

    def close(self) -> None:
        pass


def index_path(data_dir: Path, model: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return data_dir / f"vector-index-{safe}.usearch"


def open_vector_index(db: Database, data_dir: Path, model: str, dim: int) -> VectorIndex:
    """The vector index for ``model``: a file next to SQLite, pgvector on PostgreSQL."""
    if db.is_sqlite:
        index = HnswFileIndex(db, index_path(data_dir, model), model, dim)
        index.sync()
        return index
    return PgVectorIndex(db, model)


def _encode_key(key: tuple[datetime, int] | None) -> list[Any] | None:
    return [key[0].isoformat(), key[1]] if key else None


def _decode_key(value: Any) -> tuple[datetime, int] | None:
    if not value:
        return None
    return datetime.fromisoformat(value[0]), int(value[1])
