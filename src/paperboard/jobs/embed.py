"""The embedding backfill: embed every paper whose vector is missing or stale, in batches
claimed under leases in the database, so any number of processes share the backlog.

Each round walks the backlog in value order (storage/embedding_claims.py: featured papers,
then the newest, then the long tail). A batch is claimed (a short write), embedded (the
claims renewed meanwhile), and its vectors stored and its claims deleted in one transaction:
two processes never embed the same paper, and a kill (even -9) loses at most the batch in
flight, which another process takes over once its lease has passed (at once on the same
machine: jobs/holders.py). Running again picks up exactly what is left, since the backlog is
read from the database, not from a checkpoint. Called by ``paperboard embed`` and by the
``embed`` job of ``serve`` and ``worker`` (jobs/worker.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from paperboard.jobs.holders import is_dead_here, new_holder
from paperboard.search.embedder import Embedder, EmbedderError, paper_text
from paperboard.search.vectors import VectorIndex
from paperboard.storage import embedding_claims as claims
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.embeddings import PendingPaper

log = logging.getLogger(__name__)

# Papers per transaction: large enough for length bucketing to pad little, small enough that
# a kill loses a few seconds of work (~256 abstracts take ~10 s on two cores).
DEFAULT_BATCH = 256
# A claimed batch goes through the model in slices of this many texts (at least one model
# batch), and a stopping process (Ctrl-C on serve) stops between two: a slice takes a second
# or two on one core, a whole batch ten or more.
EMBED_SLICE = 32
# The HNSW file is saved this often during a long run (saving a million vectors takes seconds).
INDEX_SAVE_INTERVAL_S = 120.0
# A claimed batch is renewed while it is embedded, so the lease need not cover a whole batch:
# it is how long a batch of a process that died on another machine waits to be taken over.
CLAIM_LEASE_S = 60.0
# Renewals per lease period: two can fail (a database blip) before the claims lapse.
RENEWALS_PER_LEASE = 3

Progress = Callable[[int, int], None]  # (embedded so far, total pending at start)


class BackfillStopped(Exception):
    """The process is stopping: the batch in the model was given back unfinished."""


@dataclass
class EmbedReport:
    embedded: int = 0
    pending_at_start: int = 0
    seconds: float = 0.0
    indexed: int = 0
    stopped: bool = False
    # Papers of this process's batches that another process took over (their lease passed
    # while they were embedded here): that process stores them.
    taken_over: int = 0
    # Live claims of other processes when this one found nothing left to claim: work that is
    # still being done elsewhere.
    claimed_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Backlog:
    """How far embedding with one model has come (``paperboard stats``, ``/metrics``)."""

    papers: int
    embedded: int  # papers with a vector of the model for their current text
    pending: int  # papers still to embed, including those in flight
    in_flight: int  # papers claimed by a live embedding process right now

    @property
    def share_embedded(self) -> float:
        return self.embedded / self.papers if self.papers else 1.0


def backlog(db: Database, model: str) -> Backlog:
    """The progress figures of embedding with ``model`` (counting scans every paper)."""
    with db.read() as connection:
        total = paper_store.count(connection)
        pending = embedding_store.count_pending(connection, model)
        in_flight = claims.count_live(connection, _now())
    return Backlog(total, total - pending, pending, in_flight)


def backfill(
    db: Database,
    embedder: Embedder,
    *,
    vector_index: VectorIndex | None = None,
    batch_size: int = DEFAULT_BATCH,
    limit: int | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    lease_s: float = CLAIM_LEASE_S,
) -> EmbedReport:
    """Embed pending papers (all, or at most ``limit``) that no other process is embedding;
    keep ``vector_index`` in step. Returns when nothing is left to claim."""
    started = time.monotonic()
    holder = new_holder()
    _take_over_dead_holders(db)
    with db.read() as connection:
        total = embedding_store.count_pending(connection, embedder.name)
    if limit is not None:
        total = min(total, limit)
    report = EmbedReport(pending_at_start=total)
    cursor = claims.BacklogCursor()
    walks, claimed_this_walk = 1, 0
    last_save = time.monotonic()
    while limit is None or report.embedded < limit:
        if stop is not None and stop.is_set():
            report.stopped = True
            break
        wanted = batch_size if limit is None else min(batch_size, limit - report.embedded)
        with db.write() as connection:
            batch, cursor = claims.claim(
                connection, embedder.name, holder, _now(), lease_s, wanted, cursor
            )
        if not batch and cursor.done:
            # The walk's end. Claims it passed may have lapsed since (a process died): walk
            # again from the top while that finds work.
            if (claimed_this_walk or walks == 1) and _claims_to_take_over(db):
                cursor, walks, claimed_this_walk = claims.BacklogCursor(), walks + 1, 0
                continue
            break
        claimed_this_walk += len(batch)
        try:
            stored = _embed_and_store(db, embedder, holder, batch, lease_s, stop)
        except BackfillStopped:
            report.stopped = True
            break
        report.embedded += stored
        report.taken_over += len(batch) - stored
        if progress is not None and stored:
            progress(report.embedded, total)
        if vector_index is not None and time.monotonic() - last_save >= INDEX_SAVE_INTERVAL_S:
            report.indexed += vector_index.sync()
            last_save = time.monotonic()
    if not report.stopped:
        with db.read() as connection:
            report.claimed_elsewhere = claims.count_live(connection, _now())
    if vector_index is not None:
        report.indexed += vector_index.sync()
    report.seconds = time.monotonic() - started
    return report


def _embed_and_store(
    db: Database,
    embedder: Embedder,
    holder: str,
    batch: Sequence[PendingPaper],
    lease_s: float,
    stop: threading.Event | None,
) -> int:
    """Embed a claimed batch and store it with its claims released; how many were stored.
    On any failure, or a stop (BackfillStopped), the claims are given back at once, so no one
    waits for their lease."""
    ids = [paper.id for paper in batch]
    try:
        with _claims_renewed(db, holder, ids, lease_s):
            texts = [paper_text(p.title, p.abstract) for p in batch]
            vectors = _embed_in_slices(embedder, texts, stop)
    except BaseException:
        # Best effort: if the database is gone too, the claims lapse with their lease.
        with contextlib.suppress(Exception), db.write() as connection:
            claims.release(connection, holder, ids)
        raise
    with db.write() as connection:
        held = claims.release(connection, holder, ids)
        rows = [
            (paper.id, paper.content_hash, vector)
            for paper, vector in zip(batch, vectors, strict=True)
            if paper.id in held
        ]
        # The time is taken inside the write lock: on SQLite vectors are then stored in
        # created_at order, which is how the vector index file catches up.
        embedding_store.store(connection, embedder.name, rows, _now())
    return len(rows)


def _embed_in_slices(
    embedder: Embedder, texts: list[str], stop: threading.Event | None
) -> np.ndarray:
    """``embedder.embed(texts)``, a slice at a time, raising BackfillStopped between two
    slices once ``stop`` is set. Several slices are cut in length order, so that each pads
    little, as one call's length bucketing would."""
    # On a GPU one model batch is hundreds of texts and takes a fraction of a second: a slice
    # never cuts one.
    size = max(EMBED_SLICE, getattr(embedder, "batch_size", 0))
    order = list(range(len(texts)))
    if len(texts) > size:
        order.sort(key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), embedder.dim), np.float32)
    for start in range(0, len(order), size):
        if stop is not None and stop.is_set():
            raise BackfillStopped
        chosen = order[start : start + size]
        vectors[chosen] = embedder.embed([texts[i] for i in chosen])
    return vectors


@contextmanager
def _claims_renewed(db: Database, holder: str, ids: list[int], lease_s: float) -> Iterator[None]:
    """Renew ``holder``'s claims on ``ids`` from a thread while the block runs."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(lease_s / RENEWALS_PER_LEASE):
            try:
                with db.write() as connection:
                    claims.renew(connection, holder, ids, _now() + timedelta(seconds=lease_s))
            except Exception:  # the database may be back before the lease runs out
                log.warning("renewing the claims of a batch failed", exc_info=True)

    thread = threading.Thread(target=renew, name="paperboard-embed-claims", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _take_over_dead_holders(db: Database) -> int:
    """Delete the claims of processes on this machine that no longer exist; how many."""
    with db.read() as connection:
        dead = [h.holder for h in claims.holders(connection) if is_dead_here(h.holder)]
    if not dead:
        return 0
    with db.write() as connection:
        dropped = claims.drop_holders(connection, dead)
    log.info("took over %d papers claimed by %d stopped process(es)", dropped, len(dead))
    return dropped


def _claims_to_take_over(db: Database) -> bool:
    dropped = _take_over_dead_holders(db)
    with db.read() as connection:
        return dropped > 0 or claims.count_expired(connection, _now()) > 0


def _now() -> datetime:
    return datetime.now(UTC)


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
                    if not report.stopped and not report.claimed_elsewhere:
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
