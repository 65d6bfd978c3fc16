"""The embedding backfill: embed every paper whose vector is missing or stale, in batches.

Each batch is embedded and then committed in one transaction, so a kill (even -9) loses at
most the batch in flight; running again picks up exactly what is left (the pending query
looks at the database, not at a checkpoint). Called by ``paperboard embed`` and, after each
ingest, by ``serve``/``worker`` (``start_embedding_thread``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from paperboard.search.embedder import Embedder, EmbedderError, paper_text
from paperboard.search.vectors import VectorIndex
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

# Papers per transaction: large enough for length bucketing to pad little, small enough that
# a kill loses a few seconds of work (~256 abstracts take ~10 s on two cores).
DEFAULT_BATCH = 256
# The HNSW file is saved this often during a long run (saving a million vectors takes seconds).
INDEX_SAVE_INTERVAL_S = 120.0

Progress = Callable[[int, int], None]  # (embedded so far, total pending at start)


@dataclass
class EmbedReport:
    embedded: int = 0
    pending_at_start: int = 0
    seconds: float = 0.0
    indexed: int = 0
    stopped: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


def backfill(
    db: Database,
    embedder: Embedder,
    *,
    vector_index: VectorIndex | None = None,
    batch_size: int = DEFAULT_BATCH,
    limit: int | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> EmbedReport:
    """Embed pending papers (all, or at most ``limit``); keep ``vector_index`` in step."""
    started = time.monotonic()
    with db.read() as connection:
        total = embedding_store.count_pending(connection, embedder.name)
    if limit is not None:
        total = min(total, limit)
    report = EmbedReport(pending_at_start=total)
    after_id = 0
    last_save = time.monotonic()
    while report.embedded < total:
        if stop is not None and stop.is_set():
            report.stopped = True
            break
        wanted = min(batch_size, total - report.embedded)
        with db.read() as connection:
            batch = embedding_store.pending(connection, embedder.name, after_id, wanted)
        if not batch:
            break
        vectors = embedder.embed([paper_text(p.title, p.abstract) for p in batch])
        rows = [(p.id, p.content_hash, v) for p, v in zip(batch, vectors, strict=True)]
        with db.write() as connection:
            embedding_store.store(connection, embedder.name, rows, datetime.now(UTC))
        after_id = batch[-1].id
        report.embedded += len(batch)
        if progress is not None:
            progress(report.embedded, total)
        if vector_index is not None and time.monotonic() - last_save >= INDEX_SAVE_INTERVAL_S:
            report.indexed += _sync_index(vector_index)
            last_save = time.monotonic()
    if vector_index is not None:
        report.indexed += _sync_index(vector_index)
    report.seconds = time.monotonic() - started
    return report


def _sync_index(vector_index: VectorIndex) -> int:
    return vector_index.sync()


def start_embedding_thread(
    db: Database,
    embedder_factory: Callable[[], Embedder],
    vector_index: VectorIndex | None,
    *,
    interval_s: float = 60.0,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """Backfill now and then every ``interval_s`` in a daemon thread (serve, worker).

    The model is loaded on the first round with work to do, so a server whose papers are all
    embedded never pays for it; failures are logged and retried on the next round.
    """
    stop = stop or threading.Event()
    holder: dict[str, Embedder] = {}

    def run() -> None:
        seen: tuple[object, object] | None = None
        while True:
            try:
                with db.read() as connection:
                    version = tuple(embedding_store.papers_version(connection))
                if version != seen:
                    if "e" not in holder:
                        holder["e"] = embedder_factory()
                    report = backfill(db, holder["e"], vector_index=vector_index, stop=stop)
                    if report.embedded:
                        log.info("embedded %d papers (%.1f/s)", report.embedded, report.rate)
                    if not report.stopped:
                        seen = version
                elif vector_index is not None:
                    vector_index.sync()
            except EmbedderError as exc:  # a missing model will not appear by retrying
                log.warning("semantic search is off: %s", exc)
                return
            except Exception:  # keep serving; the next round retries
                log.exception("embedding backfill failed")
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=run, name="paperboard-embed", daemon=True)
    thread.start()
    return thread
