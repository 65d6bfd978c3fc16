"""Search-related SQL: fetching hits by id, PostgreSQL's full-text search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    type_coerce,
)

from paperboard.domain.stopwords import content_words
from paperboard.storage.schema import papers

# PostgreSQL ranks only this many of the newest matches: ts_rank over every match of a
# common word costs seconds at a million papers (DESIGN.md §4); the search issue replaces it.
POSTGRES_CANDIDATES = 2000
MAX_IN_LIST = 1000
_WORD = re.compile(r"\w+", re.UNICODE)


# --- hybrid search (search/service.py) -----------------------------------------------------------

_TS_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # tsquery's parser splits on "_" itself


@dataclass(frozen=True, slots=True)
class Filters:
    """What a result must satisfy, whichever engine found it."""

    categories: tuple[str, ...] = ()  # any of them
    authors: tuple[str, ...] = ()  # each (case-insensitive substring of the author list)
    date_from: date | None = None  # published on or after (UTC day)
    date_to: date | None = None  # published on or before (UTC day)
    has_code: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.categories or self.authors or self.date_from or self.date_to or self.has_code
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    upvotes: int
    published_at: datetime | None


def _conditions(filters: Filters) -> list[Any]:
    conditions: list[Any] = []
    if filters.categories:
        padded = literal(" ") + papers.c.categories + literal(" ")
        conditions.append(or_(*(padded.like(f"% {c} %") for c in filters.categories)))
    for author in filters.authors:
        name = " ".join(_WORD.findall(author)).lower()
        if name:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            text_authors = func.lower(type_coerce(papers.c.authors, Text))
            conditions.append(text_authors.like(f"%{escaped}%", escape="\\"))
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, tzinfo=UTC)
        conditions.append(papers.c.published_at >= start)
    if filters.date_to and filters.date_to < date.max:
        # date.max (to=9999-12-31) has no next day (OverflowError: a 500) and bounds nothing.
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        conditions.append(papers.c.published_at < end)
    if filters.has_code:
        conditions.append(type_coerce(papers.c.code_urls, Text) != "[]")
    return conditions


def filter_candidates(connection: Connection, ids: list[int], filters: Filters) -> list[Candidate]:
    """Those of ``ids`` that pass ``filters``, in the order of ``ids``."""
    found: dict[int, Candidate] = {}
    for start in range(0, len(ids), MAX_IN_LIST):
        chunk = ids[start : start + MAX_IN_LIST]
        query = select(papers.c.id, papers.c.upvotes, papers.c.published_at).where(
            papers.c.id.in_(chunk), *_conditions(filters)
        )
        found.update((row.id, Candidate(*row)) for row in connection.execute(query))
    return [found[i] for i in ids if i in found]


def filtered_listing(
    connection: Connection, filters: Filters, sort: str, limit: int
) -> list[Candidate]:
    """Papers passing ``filters`` (a query with no words): newest or most upvoted first."""
    order = (
        [papers.c.upvotes.desc(), papers.c.published_at.desc().nulls_last()]
        if sort == "upvotes"
        else [papers.c.published_at.desc().nulls_last()]
    )
    query = (
        select(papers.c.id, papers.c.upvotes, papers.c.published_at)
        .where(*_conditions(filters))
        .order_by(*order, papers.c.id.desc())
        .limit(limit)
    )
    return [Candidate(*row) for row in connection.execute(query)]


def postgres_keyword_ids(
    connection: Connection,
    words: list[str],
    phrases: list[list[str]],
    filters: Filters,
    limit: int,
) -> list[tuple[int, float]]:
    """(id, ts_rank) best first: any of ``words``, every phrase, and the filters."""
    # Stopwords dropped as 'english' would drop them (domain/stopwords.py), without its notice.
    word_terms = content_words([w for word in words for w in _TS_WORD.findall(word)])[:64]
    phrase_terms = [
        " <-> ".join(terms)
        for terms in ([t for w in phrase for t in _TS_WORD.findall(w)] for phrase in phrases)
        if terms
    ]
    if not word_terms and not phrase_terms:
        return []
    # Built from plain words only: user text never reaches the tsquery parser as syntax.
    # Authors are indexed unstemmed ('simple'), titles and abstracts stemmed ('english'): free
    # words are asked both ways, so that "Jones" finds an author and "models" finds "model".
    tsquery: Any = None
    if word_terms:
        any_word = " | ".join(word_terms)
        tsquery = func.to_tsquery("english", any_word).op("||")(func.to_tsquery("simple", any_word))
    if phrase_terms:
        every_phrase = func.to_tsquery("english", " & ".join(f"({p})" for p in phrase_terms))
        tsquery = every_phrase if tsquery is None else tsquery.op("&&")(every_phrase)
    vector = literal_column("search_vector")
    candidates = (
        select(papers.c.id, vector.label("sv"))
        .where(vector.op("@@")(tsquery), *_conditions(filters))
        .order_by(papers.c.published_at.desc().nulls_last())
        .limit(POSTGRES_CANDIDATES)
        .subquery()
    )
    score = func.ts_rank(candidates.c.sv, tsquery)
    ranked = select(candidates.c.id, score).order_by(score.desc()).limit(limit)
    return [(paper_id, float(rank)) for paper_id, rank in connection.execute(ranked)]


# --- keeping a tantivy index in step (search/keyword.py) ---------------------------------------


def modified_keys_since(
    connection: Connection,
    since: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[datetime, int]]:
    """(modified_at, id) of the papers modified at or after ``since``, in that order, after
    the key ``after``: the keyword index's late-commit rescan. Both columns are in
    ix_papers_modified_at, so this reads the index only, never the papers' texts."""
    query = select(papers.c.modified_at, papers.c.id).where(papers.c.modified_at >= since)
    if after is not None:
        # A row comparison: PostgreSQL and SQLite both turn it into one range on the index.
        # Typed literal: the column's type stores UTC moments differently per backend.
        moment, last_id = after
        key = tuple_(literal(moment, type_=papers.c.modified_at.type), literal(last_id))
        query = query.where(tuple_(papers.c.modified_at, papers.c.id) > key)
    query = query.order_by(papers.c.modified_at, papers.c.id).limit(limit)
    return [(moment, paper_id) for moment, paper_id in connection.execute(query)]
