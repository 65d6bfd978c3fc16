"""``paperboard worker``: the schedule that runs beside the web processes.

Jobs (names and cadence in jobs/schedule.py), run by one worker at a time however many
run, on one machine or many, through leases in the ``jobs`` table:

- ``sync-hf``, ``sync-arxiv``: recent Hugging Face and arXiv papers, hourly (jobs.sync);
- ``digests``: enqueue due digests and deliver the outbox (jobs.digests), when SMTP is set;
- ``embed``: embed the papers that have no vector yet, every minute (jobs.embed). This one is
  shared: every worker runs it, and they divide the backlog by claiming batches.

Besides, each process keeps its own files in step: the keyword index next to SQLite
(``start_index_upkeep``) is local to the machine, so it is not a shared job. ``serve`` runs
the ``embed`` job too (``start_embedding``): with workers or ``paperboard embed`` beside it,
they share the backlog and never embed the same papers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from rich.table import Table

from paperboard.ingest.http import HttpFetcher
from paperboard.jobs.digests import Schedule as DigestSchedule
from paperboard.jobs.digests import tick
from paperboard.jobs.embed import backfill
from paperboard.jobs.schedule import (
    DIGESTS,
    EMBED,
    EMBED_INTERVAL_S,
    SYNC_ARXIV,
    SYNC_HF,
    SYNC_INTERVAL_S,
    SYNC_RETRY_S,
    Clock,
    Job,
    JobContext,
    JobInterrupted,
    Scheduler,
    every,
    next_digest_due,
)
from paperboard.jobs.sync import recent_sources, sync_source
from paperboard.mail.compose import MailConfig
from paperboard.mail.digest import TopicMatcher
from paperboard.mail.sender import MailSender
from paperboard.runtime import EmbeddingBackfill, Runtime
from paperboard.search.embedder import Embedder
from paperboard.search.keyword import sync as sync_index
from paperboard.search.vectors import VectorIndex
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import jobs as job_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

# While a worker runs, the keyword index also picks up papers ingested by other processes.
INDEX_SYNC_INTERVAL_S = 60.0
# Which recent source (jobs.sync.recent_sources) each sync job fetches.
SYNC_SOURCES = {SYNC_HF: "hf-daily", SYNC_ARXIV: "arxiv"}
# How long a stopping process waits for its embedder (it stops after the slice in the model)
# and its keyword index upkeep (after the round under way).
SHUTDOWN_WAIT_S = 60.0


@dataclass
class BackgroundJobs:
    """The threads of a process's background work and the event that stops them."""

    stop: threading.Event = field(default_factory=threading.Event)
    # Threads to wait for when stopping. Exiting while the embedder ran aborted the process:
    # onnxruntime's native threads outlived the interpreter ("terminate called without an
    # active exception"); the index upkeep writes the files the runtime then closes. The
    # syncs (HTTP with retries, idempotent upserts) are not waited for.
    must_finish: list[threading.Thread] = field(default_factory=list)

    def shut_down(self, timeout_s: float = SHUTDOWN_WAIT_S) -> None:
        """Stop the jobs and wait for those that must finish."""
        self.stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self.must_finish:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", thread.name, timeout_s)


# --- the jobs ---------------------------------------------------------------------------------


def sync_job(runtime: Runtime, name: str) -> Job:
    """Fetch one source's recent papers. A failure (offline, the source down) is recorded and
    tried again after ``SYNC_RETRY_S``; loading is an idempotent upsert either way."""
    kind = SYNC_SOURCES[name]

    def run(_context: JobContext) -> None:
        (spec,) = [spec for spec in recent_sources(runtime) if spec.kind == kind]
        fetcher = HttpFetcher()
        try:
            sync_source(runtime, spec, fetcher)
        finally:
            fetcher.close()

    return Job(name, run, every(SYNC_INTERVAL_S), retry_after_s=SYNC_RETRY_S)


def embed_job(db: Database, embedder: Embedder, vector_index: VectorIndex | None) -> Job:
    """Embed every paper that is missing a vector (or whose text changed) and that no other
    process is embedding, then return. Every worker runs it (a shared job).

    Counting what is pending scans every paper, so a round first checks (by index look-ups)
    whether any paper changed since this process last found nothing to do anywhere; while
    other processes hold claims it looks again each round, to take over those of one that died.
    """
    seen: dict[str, tuple[object, ...]] = {}

    def run(context: JobContext) -> None:
        with db.read() as connection:
            version = tuple(embedding_store.papers_version(connection))
        if seen.get("version") == version:
            if vector_index is not None:
                vector_index.sync()  # vectors another worker stored
            return
        report = backfill(db, embedder, vector_index=vector_index, stop=context.stop)
        if report.embedded:
            log.info("embedded %d papers (%.1f/s)", report.embedded, report.rate)
        if report.stopped:
            raise JobInterrupted  # the worker is stopping: nothing to record
        if not report.claimed_elsewhere:
            seen["version"] = version

    return Job(EMBED, run, every(EMBED_INTERVAL_S), shared=True)


def embed_job_of(db: Database, services: EmbeddingBackfill) -> Job:
    return embed_job(db, services.embedder, services.vector_index)


def digest_job(
    db: Database,
    sender: MailSender,
    config: MailConfig,
    schedule: DigestSchedule,
    *,
    clock: Clock | None = None,
    matcher: TopicMatcher | None = None,
) -> Job:
    """Enqueue the digests that are due and deliver the outbox (jobs.digests.tick).

    The job's lease keeps two workers from running a tick at once; the outbox's own
    per-(subscriber, period) rows and leases still make each digest go out once, even if a
    lease were lost mid-run. ``clock`` is for tests: in production the outbox's leases follow
    the real time through a long run.
    """

    def run(_context: JobContext) -> None:
        now = clock() if clock is not None else None
        tick(db, sender, config, schedule, now=now, matcher=matcher)

    return Job(
        DIGESTS,
        run,
        lambda _due, now: next_digest_due(now, schedule.send_at, schedule.weekly_day),
    )


# --- wiring -------------------------------------------------------------------------------------


def start_index_upkeep(runtime: Runtime, background: BackgroundJobs) -> None:
    """Keep this machine's keyword index (SQLite only) in step with the database."""
    index = runtime.keyword_index
    if index is None:
        return
    stop = background.stop

    def loop() -> None:
        while True:
            try:
                sync_index(runtime.db, index)
            except Exception:  # the next round retries
                log.exception("keyword index sync failed")
            if stop.wait(INDEX_SYNC_INTERVAL_S):
                return

    thread = threading.Thread(target=loop, name="paperboard-index-sync", daemon=True)
    thread.start()
    background.must_finish.append(thread)


def start_embedding(runtime: Runtime, background: BackgroundJobs) -> None:
    """Run the ``embed`` job in the background (serve, worker) until ``background`` shuts
    down; a missing model only turns semantic search off, with one warning."""
    backfill_services = runtime.embedding_backfill
    if backfill_services is not None:
        job = embed_job_of(runtime.db, backfill_services)
        scheduler = Scheduler(runtime.db, [job], stop=background.stop)
        background.must_finish.extend(scheduler.start())


def run_worker(runtime: Runtime, *, embed: bool = True) -> BackgroundJobs:
    """Start the scheduled jobs in daemon threads; ``shut_down()`` the result to stop them."""
    background = BackgroundJobs()
    jobs = [sync_job(runtime, SYNC_HF), sync_job(runtime, SYNC_ARXIV)]
    if embed and (backfill_services := runtime.embedding_backfill) is not None:
        jobs.append(embed_job_of(runtime.db, backfill_services))
    if runtime.mail_sender is None:
        log.info("digests are off: PAPERBOARD_SMTP_URL is not set")
    else:
        schedule = DigestSchedule.from_settings(runtime.settings)
        jobs.append(
            digest_job(
                runtime.db,
                runtime.mail_sender,
                runtime.mail_config,
                schedule,
                matcher=runtime.topic_matcher,
            )
        )
    start_index_upkeep(runtime, background)
    scheduler = Scheduler(runtime.db, jobs, stop=background.stop)
    threads = scheduler.start()  # one per job, in order
    background.must_finish.extend(
        thread for job, thread in zip(jobs, threads, strict=True) if job.name == EMBED
    )
    log.info("worker %s runs: %s", scheduler.holder, ", ".join(job.name for job in jobs))
    return background


# --- status -------------------------------------------------------------------------------------


def jobs_table(db: Database, now: datetime) -> Table:
    """The ``jobs`` table as ``paperboard jobs`` prints it (times in UTC)."""
    with db.read() as connection:
        rows = job_store.list_jobs(connection)
    table = Table(title=f"paperboard jobs at {_when(now)} UTC")
    for column in ("job", "state", "next due", "last started", "last finished", "result", "runs"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if row.holder is None:
            state = "idle"
        elif row.lease_until is not None and row.lease_until >= now:
            state = f"running on {row.holder} (lease until {_when(row.lease_until)})"
        else:  # its worker died: the next worker to look takes it over
            state = f"lease of {row.holder} expired"
        if row.last_ok is None:
            result = "-"
        else:
            result = "ok" if row.last_ok else f"failed: {row.last_error or ''}"
        table.add_row(
            row.name,
            state,
            "now" if row.next_due <= now else _when(row.next_due),
            _when(row.last_started),
            _when(row.last_finished),
            result,
            str(row.runs),
        )
    return table


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"
