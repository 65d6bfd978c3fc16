"""``paperboard worker``: the schedule that runs beside the web processes.

- recent arXiv and Hugging Face papers every ``SYNC_INTERVAL`` (jobs.sync);
- the keyword index kept in step (jobs.sync), new papers embedded (jobs.embed);
- digests sent when due (jobs.digests), when SMTP is configured.

On the embedded default run one worker (or let ``serve`` do the sync); several workers on
PostgreSQL coordinate through the outbox's leases for digests, while syncs are idempotent
upserts, so a duplicate run costs requests but never duplicates data.
"""

from __future__ import annotations

import logging
import threading

from paperboard.jobs.sync import start_background_sync, sync_recent
from paperboard.runtime import Runtime

log = logging.getLogger(__name__)

# arXiv announces once a day and Hugging Face's board fills through the day: hourly is plenty.
SYNC_INTERVAL_S = 3600.0


def start_periodic_sync(runtime: Runtime, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(SYNC_INTERVAL_S):
            try:
                sync_recent(runtime)
            except Exception:  # the next round retries
                log.exception("periodic sync failed")

    thread = threading.Thread(target=loop, name="paperboard-periodic-sync", daemon=True)
    thread.start()
    return thread


def start_digests(runtime: Runtime, stop: threading.Event) -> threading.Thread | None:
    from paperboard.jobs.digests import start_digest_worker
    from paperboard.mail.smtp import SmtpSender

    settings = runtime.settings
    if settings.smtp_url is None:
        log.info("digests are off: PAPERBOARD_SMTP_URL is not set")
        return None
    sender = SmtpSender.from_url(settings.smtp_url.reveal())
    return start_digest_worker(runtime.db, sender, settings, stop=stop)


def start_embedding(runtime: Runtime) -> None:
    """Embed new papers in the background (serve and worker); a missing model only turns
    semantic search off, with one warning."""
    from paperboard.jobs.embed import start_embedding_thread
    from paperboard.search.embedder import EmbedderError, load_embedder
    from paperboard.search.vectors import open_vector_index

    try:
        embedder = load_embedder(threads=1)  # one core: the other serves requests
    except EmbedderError as exc:
        log.warning("semantic search is off: %s", exc)
        return
    index = open_vector_index(runtime.db, runtime.settings.data_dir, embedder.name, embedder.dim)
    start_embedding_thread(runtime.db, lambda: embedder, index)


def run_worker(runtime: Runtime, *, embed: bool = True) -> threading.Event:
    """Start every scheduled job in daemon threads; set the returned event to stop them."""
    stop = threading.Event()
    start_background_sync(runtime)
    start_periodic_sync(runtime, stop)
    start_digests(runtime, stop)
    if embed:
        start_embedding(runtime)
    return stop
