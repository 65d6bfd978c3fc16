"""``Reader``: a paper as Markdown with its full text, fetched from arXiv once and kept.

The first read of a paper asks arXiv for its HTML rendering, converts it (arxiv_html.py) and
stores the Markdown (storage/fulltext.py); later reads, from any process, take it from the
database. arXiv is asked again only for a newer version of the paper, or after a while when it
had no rendering.

No request waits on arXiv for long (DESIGN.md §2): fetches run in a small pool of their own
threads, one at a time per paper, at most ``max_pending`` queued; a reader waits at most
``wait_s`` for one (asynchronously: no web thread is held) and otherwise gets the abstract with
a note, while the fetch finishes and is stored for the next read. After a failed fetch (offline,
arXiv down) the process does not try again for ``retry_after_failure_s``, so an offline server
answers at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from anyio import to_thread

from paperboard.ingest.calls import OutsideCalls
from paperboard.ingest.http import Fetcher, FetchError
from paperboard.reading.arxiv_html import ConversionError, html_to_markdown
from paperboard.reading.fulltext import FullText, FullTextStatus
from paperboard.reading.markdown import paper_markdown
from paperboard.storage import board as board_store
from paperboard.storage import fulltext as store
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.storage.fulltext import PaperVersion, StoredFullText
from paperboard.storage.listing import ListedPaper

log = logging.getLogger(__name__)

# Two fetches at once: arXiv is asked politely anyway (the fetcher spaces requests), and the
# conversion of a large page takes a core for a second or two.
FETCH_WORKERS = 2
MAX_PENDING = 16
WAIT_S = 8.0
RETRY_AFTER_FAILURE_S = 60.0
# arXiv renders papers as it improves its converter: ask again after this long.
RETRY_MISSING_AFTER = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PaperView:
    """A stored paper with what its Markdown page shows besides the full text."""

    listed: ListedPaper
    featured_days: list[date]


@dataclass(frozen=True, slots=True)
class ReadPaper:
    view: PaperView
    full_text: FullText
    markdown: str


class Reader:
    def __init__(
        self,
        db: Database,
        *,
        base_url: str,
        html_url: str,
        fetcher: Callable[[], Fetcher] | None,
        wait_s: float = WAIT_S,
        workers: int = FETCH_WORKERS,
        max_pending: int = MAX_PENDING,
        retry_after_failure_s: float = RETRY_AFTER_FAILURE_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``fetcher`` None: full texts are off (PAPERBOARD_FULL_TEXT=false); it is called
        once, on the first fetch, so a process that never fetches builds no HTTP client."""
        self.db = db
        self.base_url = base_url
        self.html_url = html_url.rstrip("/")
        self.wait_s = wait_s
        self.retry_after_failure_s = retry_after_failure_s
        self._fetcher_factory = fetcher
        self._fetcher: Fetcher | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._fetches: OutsideCalls[FullText] = OutsideCalls(
            "full-text", workers=workers, max_pending=max_pending
        )
        self._failed_at: float | None = None

    # --- the paper --------------------------------------------------------------------------

    def paper(self, arxiv_id: str) -> PaperView | None:
        """The stored paper (canonical id) and its board days; None when not stored."""
        with self.db.read() as connection:
            listed = listing.by_arxiv_id(connection, arxiv_id)
            if listed is None:
                return None
            days = board_store.featured_days_of(connection, listed.paper_id)
        return PaperView(listed, days)

    async def read(self, arxiv_id: str) -> ReadPaper | None:
        """The paper as Markdown, full text included when there is one (or a note why not)."""
        view = await to_thread.run_sync(self.paper, arxiv_id)
        if view is None:
            return None
        full_text = await self.full_text(arxiv_id)
        text = paper_markdown(view.listed, view.featured_days, self.base_url, full_text)
        return ReadPaper(view, full_text, text)

    # --- the full text -----------------------------------------------------------------------

    async def full_text(self, arxiv_id: str) -> FullText:
        """The stored text if current; else a fetch, waited for at most ``wait_s``."""
        found = await to_thread.run_sync(self._lookup, arxiv_id)
        if found is None:
            return FullText("unavailable")
        cached = _from_store(found.cached)
        if self._is_current(found):
            assert cached is not None
            return cached
        future, status = self._start_fetch(arxiv_id, found)
        if future is None:
            # A stale text (an older version's) is better than none.
            return cached if cached is not None and cached.status == "ok" else FullText(status)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.wait_s)
        except TimeoutError:
            return cached if cached is not None and cached.status == "ok" else FullText("pending")

    def _lookup(self, arxiv_id: str) -> PaperVersion | None:
        with self.db.read() as connection:
            return store.lookup(connection, arxiv_id)

    def _is_current(self, found: PaperVersion) -> bool:
        cached = found.cached
        if cached is None:
            return False
        if cached.status == "missing":
            return self._clock() - cached.fetched_at < RETRY_MISSING_AFTER
        return cached.version >= found.version

    def _start_fetch(
        self, arxiv_id: str, found: PaperVersion
    ) -> tuple[Future[FullText] | None, FullTextStatus]:
        """The fetch of ``arxiv_id`` (joined if running); None and why when none may start."""
        if self._fetcher_factory is None:
            return None, "off"
        running = self._fetches.running(arxiv_id)
        if running is not None:
            return running, "pending"
        recently_failed = (
            self._failed_at is not None
            and time.monotonic() - self._failed_at < self.retry_after_failure_s
        )
        future = (
            None
            if recently_failed
            else self._fetches.start(arxiv_id, lambda: self._fetch(arxiv_id, found))
        )
        return (future, "pending") if future is not None else (None, "unavailable")

    def _fetch(self, arxiv_id: str, found: PaperVersion) -> FullText:
        """In a pool thread: fetch, convert, store. Never raises (a failure is a status)."""
        try:
            return self._fetch_and_store(arxiv_id, found)
        except Exception:  # a reader gets the abstract and a note, never an error page
            log.exception("full text of %s failed", arxiv_id)
            return FullText("unavailable")

    def _fetch_and_store(self, arxiv_id: str, found: PaperVersion) -> FullText:
        url = f"{self.html_url}/{arxiv_id}"
        try:
            response = self._get_fetcher().get(url)
        except FetchError as exc:
            log.warning("full text of %s: %s", arxiv_id, exc)
            self._failed_at = time.monotonic()
            return FullText("unavailable")
        if response.status == 404:
            return self._store(found, self._missing(found, url))
        if response.status != 200:
            log.warning("full text of %s: HTTP %d from %s", arxiv_id, response.status, url)
            self._failed_at = time.monotonic()
            return FullText("unavailable")
        try:
            markdown = html_to_markdown(response.content, response.url)
        except ConversionError as exc:
            log.warning("full text of %s: %s", arxiv_id, exc)
            return self._store(found, self._missing(found, url))
        text = StoredFullText("ok", markdown, found.version, response.url[:300], self._clock())
        return self._store(found, text)

    def _missing(self, found: PaperVersion, url: str) -> StoredFullText:
        return StoredFullText("missing", None, found.version, url, self._clock())

    def _store(self, found: PaperVersion, text: StoredFullText) -> FullText:
        with self.db.write() as connection:
            store.store(connection, found.paper_id, text)
        stored = _from_store(text)
        assert stored is not None
        return stored

    def _get_fetcher(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                assert self._fetcher_factory is not None
                self._fetcher = self._fetcher_factory()
            return self._fetcher

    def close(self) -> None:
        """Stop taking fetches; running ones finish in the background (threads are not
        killed), queued ones are dropped."""
        self._fetches.close()


def _from_store(text: StoredFullText | None) -> FullText | None:
    if text is None:
        return None
    if text.status != "ok":
        return FullText("missing", source_url=text.source_url, fetched_at=text.fetched_at)
    return FullText("ok", text.markdown or "", text.source_url, text.fetched_at)
