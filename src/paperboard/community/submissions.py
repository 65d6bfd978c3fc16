"""Submitting a paper to today's board by arXiv id or URL (the page and ``POST /api/papers/index``).

A paper not in the store is looked up through the arXiv API source (ingest/arxiv_api.py) and
loaded like any ingest (ingest/service.py: the keyword index catches up). Only recent papers
can be submitted (``window``, by default first published in the last 14 days, as Hugging
Face's daily papers); curators may feature any paper. A paper already on a board is not
featured again: the answer is its existing entry.

Look-ups never run on the caller's thread: arXiv takes one request per 3 s from us and may not
answer for a minute, and a web process has only a few request threads. ``submit`` and
``feature`` answer at once, with the ``Submission`` or, when arXiv must be asked, a
``PendingLookup``: the look-up runs on a small pool of its own (``LOOKUP_WORKERS``, at most
``MAX_PENDING_LOOKUPS`` queued or running, one per paper), and stores the paper it finds; the
caller waits for it without holding a thread, for at most ``wait_s``, then calls ``finish``
(the database only). A caller that gives up leaves the look-up running: trying again later
finds the paper stored.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, timedelta

from paperboard.community.accounts import Client, account
from paperboard.community.context import Context
from paperboard.community.errors import Forbidden, InvalidInput, NotFound, SourceUnavailable
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import PaperRecord
from paperboard.ingest import arxiv_api
from paperboard.ingest.calls import OutsideCalls
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import Fetcher, FetchError
from paperboard.ingest.service import ingest
from paperboard.search.keyword import KeywordIndex
from paperboard.storage import listing
from paperboard.storage import papers as paper_store
from paperboard.storage import submissions as store
from paperboard.storage.listing import ListedPaper
from paperboard.storage.users import User

DEFAULT_WINDOW = timedelta(days=14)
MAX_INPUT_CHARS = 300
# arXiv takes one request at a time from us (HttpFetcher spaces them 3 s apart): more threads
# would only wait on its lock.
LOOKUP_WORKERS = 1
# Look-ups queued or running at most; past that a submission of an unknown paper is refused
# at once (503 with Retry-After) instead of queueing behind an arXiv that may not answer.
MAX_PENDING_LOOKUPS = 8
# How long a person is kept waiting for a look-up (a slow arXiv answers in a few seconds).
LOOKUP_WAIT_S = 15.0
# What the 503 advises: a look-up that outlasted the wait has usually ended by then.
LOOKUP_RETRY_AFTER_S = 30


@dataclass(frozen=True, slots=True)
class Submission:
    paper: ListedPaper  # with its (first) board entry
    created: bool  # False: it was already on a board, and that entry is the answer
    day: date  # the board it is on


@dataclass(frozen=True, slots=True)
class PendingLookup:
    """A submission waiting for arXiv: ``lookup`` ends once the paper is stored (or with
    ``NotFound``/``SourceUnavailable``); then ``finish`` completes the submission (quickly: the
    database only). ``wait_s``: how long the person who submitted should be kept waiting."""

    arxiv_id: str
    lookup: Future[None]
    finish: Callable[[], Submission]
    wait_s: float


class Submissions:
    def __init__(
        self,
        context: Context,
        *,
        fetcher: Callable[[], Fetcher],
        arxiv_api_url: str,
        window: timedelta = DEFAULT_WINDOW,
        keyword_index: KeywordIndex | None = None,
        lookup_wait_s: float = LOOKUP_WAIT_S,
        max_pending_lookups: int = MAX_PENDING_LOOKUPS,
    ) -> None:
        self.context = context
        self.fetcher = fetcher
        self.arxiv_api_url = arxiv_api_url
        self.window = window
        self.keyword_index = keyword_index
        self.lookup_wait_s = lookup_wait_s
        self._lookups: OutsideCalls[None] = OutsideCalls(
            "arxiv-lookup", workers=LOOKUP_WORKERS, max_pending=max_pending_lookups
        )

    def submit(self, user: User, text: str, *, client: Client) -> Submission | PendingLookup:
        arxiv_id = parse_input(text)
        self.context.limiter.hit(
            ("submit_per_account", account(user)), ("submit_per_ip", client.who)
        )
        return self._feature(user, arxiv_id, store.SUBMISSION, check_window=True)

    def feature(self, user: User, arxiv_id: str) -> Submission | PendingLookup:
        """A curator puts a paper on today's board, whatever its age."""
        if not user.is_curator:
            raise Forbidden("Only curators can feature papers.")
        return self._feature(user, parse_input(arxiv_id), store.CURATOR, check_window=False)

    def close(self) -> None:
        self._lookups.close()

    def _feature(
        self, user: User, arxiv_id: str, source: str, *, check_window: bool
    ) -> Submission | PendingLookup:
        now = self.context.clock()
        with self.context.db.read() as connection:
            paper = paper_store.get_record(connection, arxiv_id)
        if paper is None:
            return self._look_up(user, arxiv_id, source, check_window=check_window)
        with self.context.db.write() as connection:
            paper_id = paper_store.ids_for(connection, [arxiv_id])[arxiv_id]
            first_day = store.first_entry_day(connection, paper_id)
            if first_day is not None and source == store.SUBMISSION:
                created, day = False, first_day
            else:
                if check_window:
                    self._check_window(paper)
                day = now.date()
                created = store.add_entry(
                    connection,
                    paper_id=paper_id,
                    day=day,
                    by=user.username,
                    by_fullname=user.name,
                    source=source,
                    now=now,
                )
            listed = listing.by_arxiv_id(connection, arxiv_id)
        assert listed is not None
        return Submission(listed, created, day)

    def _check_window(self, paper: PaperRecord) -> None:
        published = paper.published_at
        days = self.window.days
        if published is None or published < self.context.clock() - self.window:
            when = f" was first published on {published:%Y-%m-%d}:" if published else ":"
            raise InvalidInput(
                f"{paper.arxiv_id}{when} only papers first published in the last {days} "
                "days can be submitted.",
                field="arxiv_id",
            )

    def _look_up(
        self, user: User, arxiv_id: str, source: str, *, check_window: bool
    ) -> PendingLookup:
        lookup = self._lookups.start(arxiv_id, lambda: self._fetch_and_store(arxiv_id))
        if lookup is None:
            raise SourceUnavailable(
                "Too many papers are being looked up on arXiv right now; try again in a minute.",
                retry_after_s=LOOKUP_RETRY_AFTER_S,
            )

        def finish() -> Submission:
            lookup.result()  # its NotFound or SourceUnavailable, if that is how it ended
            step = self._feature(user, arxiv_id, source, check_window=check_window)
            if isinstance(step, PendingLookup):  # stored, then deleted at once: no answer
                raise SourceUnavailable(f"{arxiv_id} could not be stored; try again.")
            return step

        return PendingLookup(arxiv_id, lookup, finish, self.lookup_wait_s)

    def _fetch_and_store(self, arxiv_id: str) -> None:
        """On the look-up pool: the paper from arXiv, stored as any ingest stores it. The
        submission then goes on as for a stored paper (one outside the window is refused
        there), and a submission that stopped waiting finds it stored when tried again."""
        paper = self._fetch(arxiv_id)
        ingest(self.context.db, [paper], keyword_index=self.keyword_index)

    def _fetch(self, arxiv_id: str) -> PaperRecord:
        try:
            items = list(
                arxiv_api.fetch(self.fetcher(), base_url=self.arxiv_api_url, id_list=[arxiv_id])
            )
        except (FetchError, SourceError) as exc:
            raise SourceUnavailable(
                f"arXiv could not be reached to look up {arxiv_id}; try again later ({exc})."
            ) from None
        for item in items:
            if isinstance(item, PaperRecord) and item.arxiv_id == arxiv_id:
                return item
        raise NotFound(f"arXiv has no paper {arxiv_id}.")


def parse_input(text: str) -> str:
    """The canonical id in what someone typed: an id, ``arXiv:`` label or arXiv/HF URL."""
    text = text.strip()
    if not text:
        raise InvalidInput("Give an arXiv id (2401.01234) or URL.", field="arxiv_id")
    try:
        if len(text) > MAX_INPUT_CHARS:
            raise InvalidArxivId(text[:40])
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        raise InvalidInput(
            "That is not an arXiv id or URL (for example 2401.01234 or "
            "https://arxiv.org/abs/2401.01234).",
            field="arxiv_id",
        ) from None
