"""The composition root: every service of a process, built once from settings.

``serve`` (each web process), ``worker``, every CLI command and the tests get their services
from one ``Runtime``; nothing below this module constructs a service of another package, and
no request constructs one. What a service needs is handed to it here.

Cheap services are built when the runtime opens. The two that load the embedding model
(seconds of CPU and ~100 MB) are built once, on first use, under a lock: ``search`` (the
query embedder, one thread) and ``embedding_backfill`` (the batch embedder, more threads, and
its own handle on the vector file, the writer's). A web process starts loading ``search`` in
the background as it starts (``warm_up``), so requests never pay for it; a CLI command that
never searches never loads the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paperboard.community.service import Community
from paperboard.config import Settings, load_settings
from paperboard.ingest.http import Fetcher, HttpFetcher
from paperboard.library import Library
from paperboard.mail.account_mail import AccountMails
from paperboard.mail.compose import Composer, MailConfig
from paperboard.mail.queue import MailQueue
from paperboard.mail.semantic_topics import SemanticTopicMatcher
from paperboard.mail.sender import MailSender
from paperboard.mail.service import Subscriptions
from paperboard.mail.smtp import SmtpSender
from paperboard.reading.arxiv_html import MAX_HTML_BYTES
from paperboard.reading.service import Reader
from paperboard.search.embedder import Embedder, EmbedderError, load_embedder
from paperboard.search.keyword import KeywordIndex, open_index
from paperboard.search.service import SearchService, open_search_service
from paperboard.search.vectors import VectorIndex, open_vector_index
from paperboard.storage.database import Database
from paperboard.storage.secret_key import signing_key

log = logging.getLogger(__name__)

# The background embedding shares the machine with the web processes (PAPERBOARD_EMBEDDER_THREADS
# overrides it).
BACKGROUND_EMBED_THREADS = 1
# A reader waits for a full text (reading/service.py): one try, and not for long.
FULL_TEXT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class EmbeddingBackfill:
    """What the ``embed`` job needs: the batch embedder and the vector index it writes."""

    embedder: Embedder
    vector_index: VectorIndex


@dataclass
class Runtime:
    settings: Settings
    db: Database
    # A tantivy index in the data dir, derived from the database (SQLite, or PostgreSQL: then
    # each machine keeps its own, synced through the same watermark); None when keyword search
    # is PostgreSQL's tsvector column (PAPERBOARD_KEYWORD_INDEX=postgres).
    keyword_index: KeywordIndex | None
    signing_key: bytes
    mail_config: MailConfig
    # None when PAPERBOARD_SMTP_URL is unset: no digests, reset links only from the CLI.
    mail_sender: MailSender | None
    # The mail requests cause (confirmations, resets, address checks), sent by a thread of
    # its own so that no request waits on the mail server; None without a sender.
    mail_queue: MailQueue | None
    community: Community
    # Collections, export/import, follows, dismissals, "for you" (over the community's context).
    library: Library
    # Digest subscriptions: requests, and the links in mails (which work without a sender).
    subscriptions: Subscriptions
    # Interests in digests are matched by meaning with the query embedder (loaded on first use).
    topic_matcher: SemanticTopicMatcher
    # Papers as Markdown with their full texts (fetched from arXiv on first read, then kept).
    reader: Reader
    _search: SearchService | None = None
    _backfill: EmbeddingBackfill | None = None
    _backfill_loaded: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def search(self) -> SearchService:
        """Hybrid search; keyword-only (with one warning) when the model is missing."""
        with self._lock:
            if self._search is None:
                self._search = open_search_service(
                    self.db, self.keyword_index, self.settings.data_dir, spec=self.settings.embedder
                )
            return self._search

    def is_search_open(self) -> bool:
        return self._search is not None

    def query_embedder(self) -> Embedder:
        """The search's embedder (for interests in digests); raises EmbedderError without one."""
        embedder = self.search.embedder
        if embedder is None:
            raise EmbedderError("semantic search is off (see the warning at start-up)")
        return embedder

    @property
    def embedding_backfill(self) -> EmbeddingBackfill | None:
        """The batch embedder and vector index, or None (with one warning) when the model is
        missing or switched off: then this process leaves the ``embed`` job to others."""
        with self._lock:
            if not self._backfill_loaded:
                self._backfill_loaded = True
                self._backfill = self._open_backfill()
            return self._backfill

    def _open_backfill(self) -> EmbeddingBackfill | None:
        settings = self.settings
        threads = settings.embedder_threads or BACKGROUND_EMBED_THREADS
        try:
            embedder = load_embedder(
                settings.embedder, threads=threads, device=settings.embedder_device
            )
        except EmbedderError as exc:
            log.warning("semantic search is off: %s", exc)
            return None
        index = open_vector_index(self.db, settings.data_dir, embedder.name, embedder.dim)
        return EmbeddingBackfill(embedder, index)

    def warm_up(self) -> threading.Thread:
        """Open the search service in the background as a web process starts. Opened on the
        first request instead, every request needing it (search, paper pages' similar papers)
        queued behind the model load: 33 of the first paper-page requests of a wrk run on
        PostgreSQL timed out (bench/pg_load.py)."""

        def run() -> None:
            try:
                _ = self.search
            except Exception:  # the first request that needs it tries again and reports
                log.exception("opening the search service in the background failed")

        thread = threading.Thread(target=run, name="paperboard-search-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Close what the runtime opened. Background jobs that use it must have stopped."""
        if self._backfill is not None:
            self._backfill.vector_index.close()  # saves what the last batches added
        self.reader.close()
        self.community.close()
        if self.mail_queue is not None:
            self.mail_queue.close()
        if self.keyword_index is not None:
            self.keyword_index.close()
        self.db.dispose()


def build_runtime(
    settings: Settings,
    db: Database,
    keyword_index: KeywordIndex | None = None,
    *,
    mail_sender: MailSender | None = None,
    community_options: Mapping[str, Any] | None = None,
    search: SearchService | None = None,
    full_text_fetcher: Fetcher | None = None,
) -> Runtime:
    """The runtime over an open database. Tests pass their own sender (in memory), community
    options (cheap password hashing, a fixed clock, tight limits, an offline arXiv), search
    (a small embedder) or the fetcher of full texts (recorded pages, or none: offline)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = signing_key(settings)
    mail_config = MailConfig.from_settings(settings, key=key)
    if mail_sender is None and settings.smtp_url is not None:
        mail_sender = SmtpSender.from_url(settings.smtp_url.reveal())
    mail_queue = MailQueue(mail_sender) if mail_sender is not None else None
    account_mails = None
    if mail_queue is not None:
        account_mails = AccountMails(mail_queue, Composer(mail_config))
    community = Community.from_settings(
        settings,
        db,
        secret_key=key,
        keyword_index=keyword_index,
        mailer=account_mails,
        **(community_options or {}),
    )
    runtime = Runtime(
        settings=settings,
        db=db,
        keyword_index=keyword_index,
        signing_key=key,
        mail_config=mail_config,
        mail_sender=mail_sender,
        mail_queue=mail_queue,
        community=community,
        library=Library(community.context, search=lambda: runtime.search),
        subscriptions=Subscriptions(db, mail_config, mail_queue),
        topic_matcher=SemanticTopicMatcher(lambda: runtime.query_embedder()),
        reader=Reader(
            db,
            base_url=settings.base_url,
            html_url=settings.arxiv_html_url,
            fetcher=_full_text_fetcher(settings, full_text_fetcher),
        ),
        _search=search,
    )
    return runtime


def _full_text_fetcher(settings: Settings, given: Fetcher | None) -> Callable[[], Fetcher] | None:
    """What fetches arXiv's HTML renderings (built on first use), or None when that is off."""
    if not settings.full_text:
        return None
    if given is not None:
        return lambda: given
    return lambda: HttpFetcher(retries=0, timeout_s=FULL_TEXT_TIMEOUT_S, max_bytes=MAX_HTML_BYTES)


def open_runtime(settings: Settings | None = None) -> Runtime:
    """Settings (from the environment unless given) -> database, indexes, services."""
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    # tsvector ranking over every match costs seconds at a million papers, and a bounded
    # candidate set costs relevance; tantivy answers in milliseconds (docs/scaling.md).
    use_tantivy = db.is_sqlite or settings.uses_tantivy
    index = open_index(settings.data_dir) if use_tantivy else None
    return build_runtime(settings, db, index)
