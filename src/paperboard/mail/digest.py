"""What a digest holds (pure): the period's board, in board order, narrowed to the topics.

A digest is the board of its period (daily: the latest complete board day; weekly: an ISO
week), ranked exactly as the board page ranks it (``domain.ranking.rank_board``), filtered by
the subscriber's topics, cut to ``DIGEST_SIZE``. Everything here is pure and cached per
period, because a run asks the same question for 100,000 subscribers:

* ``TopicMatcher.prepare(papers)`` runs once per period and indexes the papers;
* ``PreparedTopics.matching(topics)`` answers which papers match, caching per category,
  keyword and interest, so a subscriber costs a few set unions.

``KeywordTopicMatcher`` matches categories and keywords exactly and approximates the
plain-language interest by its content words; ``mail.semantic_topics`` matches the interest
by meaning (the search embedder) and is what digest runs use when a model is available.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from paperboard.domain.links import safe_url
from paperboard.domain.periods import Period, period_containing
from paperboard.domain.tex import tex_plain
from paperboard.domain.topics import Topics
from paperboard.storage.board import BoardEntry

# Papers per digest (the "top N").
DIGEST_SIZE = 10
# The "one-line abstract start": about one line of a mail client's reading pane.
ABSTRACT_START_CHARS = 180
# Authors named before "and N others".
AUTHORS_SHOWN = 3
# The interest approximation: a paper matches when it has at least this share of the
# interest's content words (so "efficient inference for LLMs" needs 2 of its 3 words).
INTEREST_MIN_SHARE = 0.5

DAILY = "daily"
WEEKLY = "weekly"
FREQUENCIES = (DAILY, WEEKLY)
PERIOD_KIND = {DAILY: "day", WEEKLY: "week"}

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    re.split(
        r"\s+",
        "a an and are as at be by for from how in into is it its of on or over that the their "
        "this to towards under using via what when which with without",
    )
)


@dataclass(frozen=True, slots=True)
class DigestPaper:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str  # flattened to one line of plain text (TeX read as pages read it)
    categories: tuple[str, ...]
    upvotes: int
    num_comments: int  # the thread on the paper page the mail links to (local comments)
    code_url: str | None

    @property
    def abstract_start(self) -> str:
        return cut(self.abstract, ABSTRACT_START_CHARS)

    @property
    def authors_line(self) -> str:
        shown = ", ".join(self.authors[:AUTHORS_SHOWN])
        rest = len(self.authors) - AUTHORS_SHOWN
        if rest <= 0:
            return shown
        return f"{shown} and {rest} other{'s' if rest > 1 else ''}"


def flatten(text: str) -> str:
    """Mail shows TeX sources as the pages' plain text (``tex_plain``), on one line."""
    return _SPACES.sub(" ", tex_plain(text)).strip()


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.") + "…"


def digest_paper(entry: BoardEntry) -> DigestPaper:
    paper = entry.paper
    return DigestPaper(
        arxiv_id=paper.arxiv_id,
        title=flatten(paper.title),
        authors=tuple(paper.authors),
        abstract=flatten(paper.abstract),
        categories=tuple(paper.categories),
        upvotes=entry.upvotes,
        # The paper page's thread: comments counted on Hugging Face are not there to read.
        num_comments=entry.local_comments,
        code_url=safe_url(paper.code_urls[0]) if paper.code_urls else None,
    )


# --- periods -----------------------------------------------------------------------------------


def period_for_date(frequency: str, day: date) -> Period:
    """``--date``: the board day itself, or the ISO week that contains it."""
    return period_containing(PERIOD_KIND[frequency], day)


def last_complete_week(today: date) -> Period:
    """A weekly digest sent during a week covers the week before (the last complete one)."""
    return period_containing("week", today - timedelta(days=today.weekday() + 1))


def outbox_period_key(period: Period) -> str:
    """How the outbox names a period: ``2026-11-20`` (daily) or ``2026-W47`` (weekly)."""
    return period.key


# --- topic matching ----------------------------------------------------------------------------


class PreparedTopics(Protocol):
    def matching(self, topics: Topics) -> Collection[int] | None:
        """Indexes of the papers that match ``topics``; None when the topics narrow nothing."""
        ...


class TopicMatcher(Protocol):
    """Matches subscribers' topics against one period's papers (prepared once per period)."""

    def prepare(self, papers: Sequence[DigestPaper]) -> PreparedTopics: ...


def _singular(word: str) -> str:
    # Crude singular forms, applied to both sides of a comparison, so that "LLMs" finds
    # "LLM", "models" finds "model" and "galaxies" finds "galaxy".
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_singular(word) for word in _WORD.findall(text.lower())]


def content_words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in _words(text) if w not in _STOPWORDS and len(w) >= 2))


class PreparedKeywords:
    def __init__(self, papers: Sequence[DigestPaper]) -> None:
        self._texts = [f"{p.title}\n{p.abstract}".lower() for p in papers]
        self._word_sets = [frozenset(_words(text)) for text in self._texts]
        self._by_category: dict[str, set[int]] = {}
        for index, paper in enumerate(papers):
            for category in paper.categories:
                lowered = category.lower()
                self._by_category.setdefault(lowered, set()).add(index)
                # An archive on its own ("math") follows all of its categories.
                self._by_category.setdefault(lowered.split(".")[0], set()).add(index)
        self._keywords: dict[str, frozenset[int]] = {}
        self._interests: dict[str, frozenset[int]] = {}

    def _keyword(self, keyword: str) -> frozenset[int]:
        found = self._keywords.get(keyword)
        if found is None:
            # Whole words or phrases, plural endings allowed: "transformer" finds
            # "Transformers" but "RL" does not find "RLHF" or "control".
            pattern = re.compile(r"(?<![a-z0-9])" + re.escape(keyword) + r"(?:s|es)?(?![a-z0-9])")
            found = frozenset(i for i, text in enumerate(self._texts) if pattern.search(text))
            self._keywords[keyword] = found
        return found

    def _interest(self, interest: str) -> frozenset[int]:
        found = self._interests.get(interest)
        if found is None:
            words = content_words(interest)
            needed = max(1, math.ceil(len(words) * INTEREST_MIN_SHARE))
            found = frozenset(
                i
                for i, paper_words in enumerate(self._word_sets)
                if words and sum(word in paper_words for word in words) >= needed
            )
            self._interests[interest] = found
        return found

    def matching(self, topics: Topics) -> Collection[int] | None:
        if topics.is_empty:
            return None
        matched: set[int] = set()
        for category in topics.categories:
            matched |= self._by_category.get(category.lower(), set())
        for keyword in topics.keywords:
            matched |= self._keyword(keyword)
        if topics.interest:
            matched |= self._interest(topics.interest)
        return matched


class KeywordTopicMatcher:
    """Categories and keywords exactly; the interest approximated by its content words."""

    def prepare(self, papers: Sequence[DigestPaper]) -> PreparedTopics:
        return PreparedKeywords(papers)


# --- selection ---------------------------------------------------------------------------------


class PeriodDigest:
    """One period's papers in board order, and each topic set's selection (cached)."""

    def __init__(
        self,
        frequency: str,
        period: Period,
        papers: Sequence[DigestPaper],
        matcher: TopicMatcher | None = None,
        size: int = DIGEST_SIZE,
    ) -> None:
        self.frequency = frequency
        self.period = period
        self.papers = tuple(papers)
        self.size = size
        self._prepared = (matcher or KeywordTopicMatcher()).prepare(self.papers)
        self._selections: dict[object, tuple[int, ...]] = {}

    @property
    def is_empty(self) -> bool:
        return not self.papers

    def select(self, topics: Topics) -> tuple[int, ...]:
        """Indexes (board order) of the papers this subscriber gets; empty: send nothing."""
        selection = self._selections.get(topics.key)
        if selection is None:
            matched = self._prepared.matching(topics)
            indexes = range(len(self.papers)) if matched is None else sorted(matched)
            selection = tuple(indexes)[: self.size]
            self._selections[topics.key] = selection
        return selection

    def papers_for(self, selection: Sequence[int]) -> list[DigestPaper]:
        return [self.papers[i] for i in selection]
