""" "For you": the papers announced in a window, best first, each with its reasons; and the
signals only the user gives (dismissals, their weights).

One request reads, in one snapshot: the user's kept papers (collections, then upvotes; the
most recent MAX_KEPT: the model's memory is bounded per user, 768 KB at 384 dimensions), their
dismissals, follows and weights, the window's candidates with their vectors and counters.
Scoring is pure (domain/recommend.py). Nothing is cached between requests, so a save or a
dismissal shows at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import orjson
from sqlalchemy import Connection

from paperboard.community.accounts import account
from paperboard.community.context import Context
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.domain.arxiv_id import InvalidArxivId, canonical_id
from paperboard.domain.follows import Follow
from paperboard.domain.keywords import KEPT_TEXTS, KeywordScores, more_like_this, tokens
from paperboard.domain.ranking import TRENDING_WINDOW, age_hours, trending_score
from paperboard.domain.recommend import (
    UPVOTES_GROUP,
    Candidates,
    Profile,
    Reason,
    Weights,
    recommend,
)
from paperboard.library.windows import IndexedWindow, WindowIndexes, unit_rows
from paperboard.storage import collections as collection_store
from paperboard.storage import follows as follow_store
from paperboard.storage import listing
from paperboard.storage import papers as paper_store
from paperboard.storage import recommendations as store
from paperboard.storage.listing import ListedPaper
from paperboard.storage.recommendations import CandidateRow
from paperboard.storage.users import User

DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 31
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_KEPT = 500
MAX_REJECTED = 200
# A month of arXiv is ~24,000 papers; the window's newest this many are scored.
MAX_CANDIDATES = 30_000


@dataclass(frozen=True, slots=True)
class RecommendedPaper:
    listed: ListedPaper
    score: float
    reasons: tuple[Reason, ...]


def window(today: date, since: date | None, until: date | None) -> tuple[date, date]:
    """[since, until]: the last DEFAULT_WINDOW_DAYS days by default; at most MAX_WINDOW_DAYS."""
    until = until or today
    since = since or until - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if since > until:
        raise InvalidInput("since is after until.", "since")
    if (until - since).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidInput(f"A window has at most {MAX_WINDOW_DAYS} days.", "since")
    return since, until


class Recommendations:
    def __init__(self, context: Context) -> None:
        self.context = context
        # The words of recent windows, shared by every user of this process.
        self.windows = WindowIndexes()

    # --- the user's own signals -----------------------------------------------------------
    def weights_of(self, user: User) -> Weights:
        with self.context.db.read() as connection:
            stored = store.weights_of(connection, user.id)
        # Names a later version dropped are ignored rather than failing every request.
        known = {k: v for k, v in stored.items() if k in Weights.names()}
        return Weights.from_mapping(known)

    def set_weights(self, user: User, values: Mapping[str, object]) -> Weights:
        """Change some weights (0 turns a signal off); the others keep theirs."""
        try:
            weights = Weights.from_mapping(values, self.weights_of(user))
        except ValueError as exc:
            raise InvalidInput(str(exc), "weights") from None
        with self.context.db.write() as connection:
            store.set_weights(connection, user.id, weights.as_dict(), self.context.clock())
        return weights

    def dismiss(self, user: User, arxiv_id: str, *, on: bool = True) -> bool:
        """ "Not interested" (``on``) or taking it back; False when nothing changed."""
        try:
            key = canonical_id(arxiv_id)
        except InvalidArxivId:
            raise NotFound(f"{arxiv_id[:80]!r} is not an arXiv id.") from None
        self.context.limiter.hit(("library_per_account", account(user)))
        with self.context.db.write() as connection:
            paper_id = paper_store.ids_for(connection, [key]).get(key)
            if paper_id is None:
                raise NotFound(f"paperboard has no paper {key}.")
            if on:
                return store.dismiss(connection, user.id, paper_id, self.context.clock())
            return store.undismiss(connection, user.id, paper_id)

    # --- recommending ---------------------------------------------------------------------
    def recommend(
        self,
        user: User,
        *,
        since: date | None = None,
        until: date | None = None,
        limit: int = DEFAULT_LIMIT,
        weights: Weights | None = None,
    ) -> list[RecommendedPaper]:
        """Papers announced in [since, until], best first, each with a non-empty list of
        reasons; never one already in the user's collections, upvoted or dismissed."""
        now = self.context.clock()
        since, until = window(now.date(), since, until)
        limit = max(1, min(limit, MAX_LIMIT))
        weights = weights or self.weights_of(user)
        with self.context.db.shared_reads(), self.context.db.read() as connection:
            profile, candidates = self._inputs(connection, user, since, until, now)
            found = recommend(profile, candidates, weights, limit)
            listed = listing.by_paper_ids(connection, [r.paper_id for r in found])
        by_id = {paper.paper_id: paper for paper in listed}
        return [
            RecommendedPaper(by_id[r.paper_id], r.score, r.reasons)
            for r in found
            if r.paper_id in by_id
        ]

    def _inputs(
        self, connection: Connection, user: User, since: date, until: date, now: datetime
    ) -> tuple[Profile, Candidates]:
        groups, rejected_ids, excluded = self._own_signals(connection, user)
        follows = follow_store.follows_of(connection, user.id)
        searches = [f.value for f in follows if f.kind == "search"]
        window_rows = store.announced_between(connection, since, until, MAX_CANDIDATES)
        rows = [row for row in window_rows if row.paper_id not in excluded]
        candidate_ids = [row.paper_id for row in rows]
        window = None
        if groups or rejected_ids or searches:  # else nothing reads words or vectors
            window = self.windows.get(
                (since, until),
                [row.paper_id for row in window_rows],
                lambda ids: store.texts_of(connection, ids),
                lambda ids: store.vectors_of(connection, ids),
            )
        positions = [window.row_of[paper_id] for paper_id in candidate_ids] if window else []
        own = store.vectors_of(connection, [*groups, *rejected_ids]) if window else {}
        profile = _profile(groups, rejected_ids, own, window, follows)
        keywords: KeywordScores | None = None
        matched: dict[int, list[str]] = {}
        if window is not None:
            if len(profile.kept):
                recent = list(groups)[:KEPT_TEXTS]
                kept_texts = store.texts_of(connection, recent)
                texts = [kept_texts[i] for i in recent if i in kept_texts]
                keywords = more_like_this(texts, window.index, positions)
            for query in searches:
                for row in window.index.rows_with_all(tokens(query)):
                    matched.setdefault(row, []).append(query)
        voters = follow_store.voters_among(
            connection, [f.value for f in follows if f.kind == "user"], candidate_ids
        )
        candidates = Candidates(
            paper_ids=candidate_ids,
            vectors=window.matrix[positions]
            if window is not None
            else np.zeros((len(rows), 1), np.float32),
            authors=_authors(rows, profile.authors),
            categories=[row.categories.split() for row in rows],
            upvotes=[row.upvotes for row in rows],
            trending=self._trending(connection, rows, now),
            voters=[voters.get(paper_id, []) for paper_id in candidate_ids],
            searches=[matched.get(position, []) for position in positions]
            if matched
            else [[] for _ in candidate_ids],
            keywords=keywords,
        )
        return profile, candidates

    def _own_signals(
        self, connection: Connection, user: User
    ) -> tuple[dict[int, str], list[int], set[int]]:
        """The kept papers (id -> collection title, or UPVOTES_GROUP), most recent first;
        the dismissed ones; and every paper never to recommend."""
        saved = collection_store.saved_papers(connection, user.id, MAX_KEPT)
        upvoted = store.upvoted(connection, user.id, MAX_KEPT)
        groups: dict[int, str] = {}
        for paper_id, title in saved:
            groups.setdefault(paper_id, title)
        for paper_id in upvoted:
            if len(groups) < MAX_KEPT:
                groups.setdefault(paper_id, UPVOTES_GROUP)
        rejected_ids = store.dismissed(connection, user.id, MAX_REJECTED)
        excluded = (
            collection_store.saved_paper_ids(connection, user.id)
            | set(upvoted)
            | store.all_dismissed(connection, user.id)
        )
        return groups, rejected_ids, excluded

    def _trending(
        self, connection: Connection, rows: list[CandidateRow], now: datetime
    ) -> list[float]:
        """Each candidate's trending score relative to the window's highest (0 if it was not
        on a board within the trending window)."""
        moments = store.featured_since(connection, now - TRENDING_WINDOW)
        scores = []
        limit_hours = TRENDING_WINDOW.total_seconds() / 3600
        for row in rows:
            moment = moments.get(row.paper_id)
            if moment is None:
                scores.append(0.0)
                continue
            hours = age_hours(moment, now)
            scores.append(trending_score(row.upvotes, hours) if 0 <= hours <= limit_hours else 0.0)
        highest = max(scores, default=0.0)
        return [score / highest if highest else 0.0 for score in scores]


def _authors(rows: list[CandidateRow], followed: Mapping[str, str]) -> list[list[str]]:
    """The candidates' author lists, decoded only where a followed name occurs in the list's
    text (case aside; domain/recommend.py compares the names exactly): most users follow no
    one, and most papers are by no one followed."""
    if not followed:
        return [[] for _ in rows]
    names = re.compile("|".join(map(re.escape, followed)), re.IGNORECASE)
    return [
        orjson.loads(row.authors_json) if names.search(row.authors_json) else [] for row in rows
    ]


def _profile(
    groups: dict[int, str],
    rejected_ids: list[int],
    vectors: Mapping[int, tuple[str, np.ndarray]],
    window: IndexedWindow | None,
    follows: list[Follow],
) -> Profile:
    """The user's kept and dismissed papers as vectors of the window's model."""
    dim = window.matrix.shape[1] if window is not None else 1
    model = window.model if window is not None else None

    def usable(paper_id: int) -> bool:
        found = vectors.get(paper_id)
        return found is not None and found[0] == model and len(found[1]) == dim

    kept_ids = [i for i in groups if usable(i)]
    rejected = [i for i in rejected_ids if usable(i)]
    empty = np.zeros((0, dim), np.float32)
    return Profile(
        kept=unit_rows(np.stack([vectors[i][1] for i in kept_ids])) if kept_ids else empty,
        kept_groups=[groups[i] for i in kept_ids],
        rejected=unit_rows(np.stack([vectors[i][1] for i in rejected])) if rejected else empty,
        authors={f.value.casefold(): f.value for f in follows if f.kind == "author"},
        categories=frozenset(f.value for f in follows if f.kind == "category"),
    )
