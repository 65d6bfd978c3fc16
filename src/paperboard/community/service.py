"""``Community``: every community service wired to one database, clock, limits and keys.

The composition root (runtime.py) builds one per process, for the web app and the CLI;
tests build their own with cheap password hashing, a fixed clock or tight limits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from paperboard.community.accounts import Accounts
from paperboard.community.addresses import Addresses
from paperboard.community.comments import Comments, Discussion, load_discussion
from paperboard.community.context import Context
from paperboard.community.mailer import AccountMailer
from paperboard.community.passwords import Passwords
from paperboard.community.profiles import Profile, load_profile
from paperboard.community.ratelimit import Limits, RateLimiter
from paperboard.community.submissions import (
    DEFAULT_WINDOW,
    LOOKUP_WAIT_S,
    MAX_PENDING_LOOKUPS,
    Submissions,
)
from paperboard.community.tokens import ApiTokens
from paperboard.community.votes import Votes
from paperboard.config import Settings
from paperboard.ingest.http import Fetcher, HttpFetcher
from paperboard.search.keyword import KeywordIndex
from paperboard.storage.database import Database
from paperboard.storage.secret_key import signing_key
from paperboard.storage.users import User

# A person may be waiting for the answer: one retry, not the ingest's patient four with backoff.
SUBMIT_FETCH_RETRIES = 1
SUBMIT_FETCH_TIMEOUT_S = 20.0


class Community:
    def __init__(
        self,
        db: Database,
        *,
        secret_key: bytes,
        base_url: str,
        arxiv_api_url: str,
        passwords: Passwords | None = None,
        limits: Limits | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        submit_window: timedelta = DEFAULT_WINDOW,
        fetcher: Callable[[], Fetcher] | None = None,
        keyword_index: KeywordIndex | None = None,
        mailer: AccountMailer | None = None,
        lookup_wait_s: float = LOOKUP_WAIT_S,
        max_pending_lookups: int = MAX_PENDING_LOOKUPS,
    ) -> None:
        self.context = Context(
            db=db,
            clock=clock,
            passwords=passwords or Passwords(),
            limiter=RateLimiter(db, limits, clock=clock),
            secret_key=secret_key,
            base_url=base_url,
        )
        self._fetcher: Fetcher | None = None
        self.addresses = Addresses(self.context, mailer)
        self.accounts = Accounts(self.context, mailer, self.addresses)
        self.tokens = ApiTokens(self.context)
        self.votes = Votes(self.context)
        self.comments = Comments(self.context)
        self.submissions = Submissions(
            self.context,
            fetcher=fetcher or self._shared_fetcher,
            arxiv_api_url=arxiv_api_url,
            window=submit_window,
            keyword_index=keyword_index,
            lookup_wait_s=lookup_wait_s,
            max_pending_lookups=max_pending_lookups,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, *, secret_key: bytes | None = None, **options: Any
    ) -> Community:
        """``secret_key`` defaults to the installation's (runtime.py passes the one it read)."""
        options.setdefault("submit_window", timedelta(days=settings.submit_window_days))
        return cls(
            db,
            secret_key=secret_key if secret_key is not None else signing_key(settings),
            base_url=settings.base_url,
            arxiv_api_url=settings.arxiv_api_url,
            **options,
        )

    def _shared_fetcher(self) -> Fetcher:
        # One per process: HttpFetcher spaces requests to arXiv (one per 3 s) across threads.
        if self._fetcher is None:
            self._fetcher = HttpFetcher(
                retries=SUBMIT_FETCH_RETRIES, timeout_s=SUBMIT_FETCH_TIMEOUT_S
            )
        return self._fetcher

    def close(self) -> None:
        """Stop taking arXiv look-ups (running ones finish in the background)."""
        self.submissions.close()

    @property
    def limits(self) -> Limits:
        return self.context.limiter.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self.context.limiter.limits = limits

    def profile(self, username: str, viewer: User | None) -> Profile:
        return load_profile(self.context, username, viewer)

    def discussion(
        self,
        arxiv_id: str,
        viewer: User | None,
        paper_id: int | None = None,
        upvotes: int | None = None,
    ) -> Discussion | None:
        return load_discussion(self.context, arxiv_id, viewer, paper_id, upvotes)
