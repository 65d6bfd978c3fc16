"""The search data derived from the papers: the keyword index, the embeddings, the vector
index, and the temporary files a killed save of an index leaves behind."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from paperboard.jobs.embed import backfill
from paperboard.ops.check.base import (
    CheckContext,
    Finding,
    RepairError,
    migration_ddl,
    plural,
    postgres_index_problem,
    repair_postgres_index,
    some_ids,
)
from paperboard.search import keyword
from paperboard.search.embedder import Embedder, EmbedderError
from paperboard.search.vectors import HnswFileIndex
from paperboard.search.vectors import index_path as vector_index_path
from paperboard.storage import consistency

log = logging.getLogger(__name__)

# A temporary file older than this belongs to a save that died (saves take seconds).
STALE_TEMPORARY = timedelta(minutes=10)
# A vector file missing more than this share of its keys is rebuilt rather than patched.
REBUILD_SHARE = 0.5
# PostgreSQL's derived indexes, with the migration that creates each (its DDL is reused).
POSTGRES_KEYWORD_INDEX = "ix_papers_search_vector"
POSTGRES_VECTOR_INDEX = "ix_embeddings_vector_hnsw"


# --- the keyword index ---------------------------------------------------------------------------


class KeywordIndexCheck:
    """tantivy (SQLite): one document per paper, no stale or duplicate documents, the
    watermark not past the database and nothing changed after it. PostgreSQL: the generated
    tsvector column and its GIN index exist and are valid."""

    name = "keyword index"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.keyword_index is None:
            return self._inspect_postgres(ctx)
        index = ctx.keyword_index
        with ctx.db.read() as connection:
            db_ids = consistency.paper_ids(connection)
            newest = consistency.max_modified_at(connection)
            watermark = index.committed_watermark
            lagging = consistency.count_modified_after(connection, watermark)
        indexed = np.asarray(index.indexed_ids(), np.int64)
        unique = np.unique(indexed)
        missing = np.setdiff1d(db_ids, unique, assume_unique=True)
        stale = np.setdiff1d(unique, db_ids, assume_unique=True)
        duplicated = (
            unique[np.bincount(np.searchsorted(unique, indexed)) > 1] if len(unique) else unique
        )
        finding = Finding(
            summary=f"{plural(len(unique), 'paper')} indexed, watermark {_moment(watermark)}",
            data={
                "missing": missing,
                "stale": stale,
                "duplicated": duplicated,
                "max_indexed": int(unique[-1]) if len(unique) else 0,
            },
        )
        if len(missing):
            finding.problems.append(
                f"{plural(len(missing), 'paper')} not indexed{some_ids(missing)}"
            )
        if len(stale):
            finding.problems.append(
                f"{plural(len(stale), 'indexed id')} not in the database{some_ids(stale)}"
            )
        if len(duplicated):
            finding.problems.append(
                f"{plural(len(duplicated), 'paper')} indexed more than once{some_ids(duplicated)}"
            )
        if watermark is not None and newest is not None and watermark > newest:
            finding.problems.append(
                f"the watermark ({_moment(watermark)}) is past the newest change in the "
                f"database ({_moment(newest)}): was the database restored from a backup?"
            )
            finding.data["rebuild"] = True
        elif watermark is not None and newest is None:
            finding.problems.append("the index has a watermark but the database has no papers")
            finding.data["rebuild"] = True
        if lagging and len(db_ids):
            finding.problems.append(
                f"{plural(lagging, 'paper')} changed after the watermark (not synced yet)"
            )
        if len(unique) and index.recorded_max_id < finding.data["max_indexed"]:
            finding.problems.append(
                f"the sidecar's highest id ({index.recorded_max_id}) is below the highest "
                f"indexed id ({finding.data['max_indexed']}): re-adding would duplicate"
            )
        # Papers affected; the lagging ones are mostly the missing ones again.
        finding.count = max(len(missing) + len(stale) + len(duplicated), lagging)
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        index = ctx.keyword_index
        if index is None:
            self._repair_postgres(ctx, finding)
            return
        if finding.data.get("rebuild"):
            keyword.rebuild(ctx.db, index)
        else:
            keyword.sync(ctx.db, index)  # whatever changed after the watermark
        again = self.inspect(ctx)
        data = again.data
        if not again.problems:
            return
        targets = np.union1d(data["missing"], data["duplicated"])
        done = keyword.reindex(
            ctx.db,
            index,
            (int(i) for i in targets),
            remove=(int(i) for i in data["stale"]),
            max_id=data["max_indexed"],
        )
        if not done:
            raise RepairError(
                "another process (serve, worker, ingest?) holds the keyword index: stop it "
                "or run the repair again later"
            )

    # PostgreSQL: the index is a generated column, so a paper cannot lack it; what can go
    # wrong is the schema (a dropped index, an interrupted REINDEX CONCURRENTLY).
    def _inspect_postgres(self, ctx: CheckContext) -> Finding:
        with ctx.db.read() as connection:
            generated = consistency.postgres_generated_column(connection, "papers", "search_vector")
            nulls = consistency.count_null_search_vectors(connection) if generated else 0
        finding = Finding(summary="tsvector column generated by PostgreSQL, GIN index valid")
        if not generated:
            finding.problems.append("papers.search_vector is not a generated tsvector column")
            finding.data["column"] = True
        if nulls:
            finding.problems.append(f"{plural(nulls, 'paper')} without a search vector")
            finding.repairable = False  # cannot happen with the generated column: look closer
        problem = postgres_index_problem(ctx, POSTGRES_KEYWORD_INDEX)
        if problem:
            finding.problems.append(problem)
        finding.count = len(finding.problems)
        return finding

    def _repair_postgres(self, ctx: CheckContext, finding: Finding) -> None:
        column, create_index = migration_ddl("0001_papers", "POSTGRES_FTS")
        if finding.data.get("column"):
            with ctx.db.write() as connection:
                consistency.recreate_search_vector(connection, column)
        repair_postgres_index(ctx, POSTGRES_KEYWORD_INDEX, create_index)


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "none"


# --- embeddings ----------------------------------------------------------------------------------


class EmbeddingsCheck:
    """Every paper has a vector of the configured embedder for its present text."""

    name = "embeddings"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.semantic_off:
            return Finding(summary="semantic search off (PAPERBOARD_EMBEDDER=off)", off=True)
        try:
            embedder = ctx.embedder()
        except EmbedderError as exc:
            return Finding(
                problems=[f"the embedder cannot be loaded: {exc}"], count=1, repairable=False
            )
        with ctx.db.read() as connection:
            counts = consistency.embedding_counts(connection, embedder.name, embedder.dim)
        finding = Finding(
            summary=f"{plural(counts.current, 'paper')} embedded with {embedder.name}",
            data={"counts": counts},
        )
        if counts.missing:
            finding.problems.append(f"{plural(counts.missing, 'paper')} without an embedding")
        if counts.stale:
            finding.problems.append(
                f"{plural(counts.stale, 'embedding')} of an older text of the paper"
            )
        if counts.other_model:
            finding.problems.append(
                f"{plural(counts.other_model, 'paper')} embedded with another model only"
            )
        if counts.wrong_dim:
            finding.problems.append(
                f"{plural(counts.wrong_dim, 'vector')} of {embedder.name} with a dimension "
                f"other than {embedder.dim}"
            )
        finding.count = counts.missing + counts.stale + counts.other_model + counts.wrong_dim
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        embedder = ctx.embedder()
        if finding.data["counts"].wrong_dim:
            with ctx.db.write() as connection:
                consistency.delete_wrong_dim(connection, embedder.name, embedder.dim)
        # The vector index is brought in step by the next check (its own repair).
        report = backfill(ctx.db, embedder)
        log.info("embedded %d papers (%.1f/s)", report.embedded, report.rate)


# --- the vector index ----------------------------------------------------------------------------


class VectorIndexCheck:
    """The HNSW file (SQLite) holds exactly the keys of the papers embedded with the
    configured model, is of that model and dimension, and nothing was stored after its
    watermark. PostgreSQL: pgvector's HNSW index exists and is valid."""

    name = "vector index"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.semantic_off:
            return Finding(summary="semantic search off (PAPERBOARD_EMBEDDER=off)", off=True)
        if not ctx.db.is_sqlite:
            problem = postgres_index_problem(ctx, POSTGRES_VECTOR_INDEX)
            if problem:
                return Finding(problems=[problem], count=1)
            return Finding(summary="pgvector HNSW index valid (kept by PostgreSQL)")
        try:
            embedder = ctx.embedder()
        except EmbedderError as exc:
            return Finding(
                problems=[f"the embedder cannot be loaded: {exc}"], count=1, repairable=False
            )
        index = _open_vector_file(ctx, embedder)
        state = index.file_state()
        watermark = (
            _decode_watermark(state.get("watermark")) if index.load_problem is None else None
        )
        with ctx.db.read() as connection:
            embedded = consistency.embedded_ids(connection, embedder.name)
            if watermark is None:
                unsynced = len(embedded)
            else:
                unsynced = consistency.count_created_after(connection, embedder.name, watermark)
        keys = np.unique(index.keys())
        missing = np.setdiff1d(embedded, keys, assume_unique=True)
        stale = np.setdiff1d(keys, embedded, assume_unique=True)
        finding = Finding(
            summary=f"{plural(len(keys), 'vector')} of {embedder.name} ({embedder.dim} "
            f"dimensions) in {index.path.name}",
            data={"missing": missing, "stale": stale, "rebuild": index.load_problem is not None},
        )
        if not index.path.exists():
            if len(embedded):
                finding.problems.append(f"{index.path.name} does not exist")
            else:
                finding.summary = "no vectors yet"
        elif index.load_problem is not None:
            finding.problems.append(f"{index.path.name}: {index.load_problem}")
        if len(missing):
            finding.problems.append(
                f"{plural(len(missing), 'embedded paper')} missing{some_ids(missing)}"
            )
        if len(stale):
            finding.problems.append(
                f"{plural(len(stale), 'key')} of papers without a {embedder.name} vector"
                f"{some_ids(stale)}"
            )
        if unsynced and index.path.exists() and index.load_problem is None:
            finding.problems.append(
                f"{plural(unsynced, 'vector')} stored after the file was saved (not synced yet)"
            )
        finding.count = max(len(missing), unsynced) + len(stale)
        if len(embedded) and len(missing) > REBUILD_SHARE * len(embedded):
            finding.data["rebuild"] = True
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        if not ctx.db.is_sqlite:
            create = migration_ddl("0003_embeddings", "POSTGRES_HNSW")
            repair_postgres_index(ctx, POSTGRES_VECTOR_INDEX, create)
            return
        embedder = ctx.embedder()
        index = _open_vector_file(ctx, embedder)
        if finding.data["rebuild"] or index.load_problem is not None:
            index.rebuild()
            return
        index.sync(save=False)  # what was stored after the watermark, re-embedded vectors too
        with ctx.db.read() as connection:
            embedded = consistency.embedded_ids(connection, embedder.name)
            keys = np.unique(index.keys())
            missing = np.setdiff1d(embedded, keys, assume_unique=True)
            stale = np.setdiff1d(keys, embedded, assume_unique=True)
            rows = []
            for start in range(0, len(missing), consistency.MAX_IN_LIST):
                chunk = [int(i) for i in missing[start : start + consistency.MAX_IN_LIST]]
                rows += consistency.stored_vectors(connection, embedder.name, chunk)
        index.reconcile([int(i) for i in stale], rows)
        index.save(force=True)


def _open_vector_file(ctx: CheckContext, embedder: Embedder) -> HnswFileIndex:
    """The file as a new process would load it, without the catching up such a process does
    next (``open_vector_index`` syncs; the check must see the file as it is)."""
    path = vector_index_path(ctx.data_dir, embedder.name)
    return HnswFileIndex(ctx.db, path, embedder.name, embedder.dim)


def _decode_watermark(value: Any) -> tuple[datetime, int] | None:
    if not value:
        return None
    return datetime.fromisoformat(value[0]), int(value[1])


# --- temporary files -----------------------------------------------------------------------------


class TemporaryFilesCheck:
    """Half-written files left by a process killed while saving an index (a vector file's
    temporary copy is as large as the index)."""

    name = "temporary files"

    def _leftovers(self, ctx: CheckContext) -> list[Path]:
        cutoff = time.time() - STALE_TEMPORARY.total_seconds()
        candidates = [
            *ctx.data_dir.glob("vector-index-*.tmp"),
            # KeywordIndex._write_state's temporary sidecar (tantivy cleans up its own files).
            keyword.index_path(ctx.data_dir) / "paperboard-sync.tmp",
        ]
        found = []
        for path in candidates:
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    found.append(path)
        return sorted(found)

    def inspect(self, ctx: CheckContext) -> Finding:
        leftovers = self._leftovers(ctx)
        if not leftovers:
            return Finding(summary="none left behind")
        size = sum(path.stat().st_size for path in leftovers if path.exists())
        names = ", ".join(path.name for path in leftovers[:3])
        return Finding(
            problems=[
                f"{plural(len(leftovers), 'file')} of a save that died ({names}; {size:,} bytes)"
            ],
            count=len(leftovers),
            data={"paths": leftovers},
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        for path in finding.data["paths"]:
            # A vector file's saver holds "<file>.lock" while it writes the temporary copy.
            lock = path.with_name(path.name.removesuffix(".tmp") + ".lock")
            if path.name.startswith("vector-index-") and lock.exists():
                with lock.open("a") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    try:
                        path.unlink(missing_ok=True)
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
            else:
                path.unlink(missing_ok=True)
