"""Submitting a paper to today's board by arXiv id or URL (the page and ``POST /api/papers/index``).

A paper not in the store is fetched through the arXiv API source (ingest/arxiv_api.py) and
loaded like any ingest (ingest/service.py: the keyword index catches up). Only recent papers
can be submitted (``window``, by default first published in the last 14 days, as Hugging
Face's daily papers); curators may feature any paper. A paper already on a board is not
featured again: the answer is its existing entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from paperboard.community.accounts import Client, account
from paperboard.community.context import Context
from paperboard.community.errors import Forbidden, InvalidInput, NotFound, SourceUnavailable
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import PaperRecord
from paperboard.ingest import arxiv_api
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


@dataclass(frozen=True, slots=True)
class Submission:
    paper: ListedPaper  # with its (first) board entry
    created: bool  # False: it was already on a board, and that entry is the answer
    day: date  # the board it is on


class Submissions:
    def __init__(
        self,
        context: Context,
        *,
        fetcher: Callable[[], Fetcher],
        arxiv_api_url: str,
        window: timedelta = DEFAULT_WINDOW,
        keyword_index: KeywordIndex | None = None,
    ) -> None:
        self.context = context
        self.fetcher = fetcher
        self.arxiv_api_url = arxiv_api_url
        self.window = window
        self.keyword_index = keyword_index

    def submit(self, user: User, text: str, *, client: Client) -> Submission:
        arxiv_id = parse_input(text)
        self.context.limiter.hit(
            ("submit_per_account", account(user)), ("submit_per_ip", client.who)
        )
        return self._feature(user, arxiv_id, store.SUBMISSION, check_window=True)

    def feature(self, user: User, arxiv_id: str) -> Submission:
        """A curator puts a paper on today's board, whatever its age."""
        if not user.is_curator:
            raise Forbidden("Only curators can feature papers.")
        return self._feature(user, parse_input(arxiv_id), store.CURATOR, check_window=False)

    def _feature(self, user: User, arxiv_id: str, source: str, *, check_window: bool) -> Submission:
        now = self.context.clock()
        with self.context.db.read() as connection:
            paper = paper_store.get_record(connection, arxiv_id)
        if paper is None:
            paper = self._fetch(arxiv_id)
            if check_window:
                self._check_window(paper)
            ingest(self.context.db, [paper], keyword_index=self.keyword_index)
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
