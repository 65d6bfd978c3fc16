"""Syncing recent papers from arXiv and Hugging Face (at ``serve`` start, and periodically)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import FetchError, HttpFetcher
from paperboard.ingest.service import ingest
from paperboard.ingest.sources import SourceSpec, open_source
from paperboard.runtime import Runtime
from paperboard.search.keyword import sync as sync_index

log = logging.getLogger(__name__)

# While serving, the keyword index also picks up papers ingested by other processes.
INDEX_SYNC_INTERVAL_S = 60.0


def recent_sources(runtime: Runtime) -> list[SourceSpec]:
    settings = runtime.settings
    today = datetime.now(UTC).date()
    first = today - timedelta(days=settings.sync_days - 1)
    return [
        SourceSpec("hf-daily", date_from=first, date_to=today),
        SourceSpec("arxiv", categories=settings.categories, date_from=first, date_to=today),
    ]


def sync_source(runtime: Runtime, spec: SourceSpec, fetcher: HttpFetcher) -> None:
    """Fetch one source's recent papers; errors propagate (the worker's job records them)."""
    report = ingest(
        runtime.db,
        open_source(spec, runtime.settings, fetcher),
        keyword_index=runtime.keyword_index,
    )
    log.info("sync %s: %s", spec.kind, report.as_dict())


def sync_recent(runtime: Runtime, fetcher: HttpFetcher | None = None) -> None:
    """Fetch recent papers; offline or failing sources are logged, never fatal."""
    fetcher = fetcher or HttpFetcher()
    for spec in recent_sources(runtime):
        try:
            sync_source(runtime, spec, fetcher)
        except (FetchError, SourceError) as exc:
            log.warning("sync %s skipped: %s", spec.kind, exc)


def start_background_sync(runtime: Runtime) -> threading.Thread:
    """Start syncing in a daemon thread; then keep the keyword index in step."""

    def run() -> None:
        if runtime.keyword_index is not None:
            sync_index(runtime.db, runtime.keyword_index)
        sync_recent(runtime)
        stop = threading.Event()
        while not stop.wait(INDEX_SYNC_INTERVAL_S):
            if runtime.keyword_index is not None:
                try:
                    sync_index(runtime.db, runtime.keyword_index)
                except Exception:  # keep serving; the next round retries
                    log.exception("keyword index sync failed")

    thread = threading.Thread(target=run, name="paperboard-sync", daemon=True)
    thread.start()
    return thread
