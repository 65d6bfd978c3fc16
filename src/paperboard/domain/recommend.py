""" "For you": every candidate paper's score as a sum of named signals, each one a reason the
reader sees with the weight it contributed (pure; bench/recommend_quality.py measures it).

Signals (each weight is the user's to change; 0 turns a signal off):
- ``similar``: likeness to the papers in the user's collections and their upvotes
  (domain/similarity.py), told per collection: "like 3 papers in *Reading list*";
- ``keywords``: the words those papers share with it (domain/keywords.py): "shares words
  with your saved papers: “graph”, “molecular”";
- ``dismissed``: likeness to papers they dismissed, subtracted: "like a paper you dismissed";
- ``authors``, ``categories``, ``users``, ``searches``: what they follow ("by Jane Doe, whom
  you follow", "in cs.CL, which you follow", "upvoted by @ada, whom you follow", "matches
  your saved search “…”");
- ``upvotes`` and ``trending``: the community's signals ("12 upvotes", "trending").
A new user with nothing kept starts from the categories they follow (cold start).

Only ``similar`` and ``keywords`` were weighed by measurement (on the development protocol,
bench/recommend_quality.py: keywords at half the weight of similarity did best); the
sample has no follows, votes or boards, so the others are set by hand so that a followed
author ranks with a close paper, a category with a loosely related one, and the community's
signals break ties rather than lead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from paperboard.domain.keywords import KeywordScores
from paperboard.domain.similarity import CONTENT_MODEL, content_scores, nearest, similarities

# Similarity is counted from this cosine up (MiniLM puts unrelated abstracts at ~0.1-0.3).
SIMILARITY_FLOOR = 0.25
# A kept paper at least this similar is "like" the candidate in its reason's count.
LIKE_THRESHOLD = 0.5
# How many nearest kept papers a reason looks at.
REASON_NEIGHBOURS = 5
# Upvotes count on a log scale up to this many (then the signal is full).
UPVOTES_FULL = 50
# A cross-listed paper counts this much of its primary category's weight.
CROSS_LIST_SHARE = 0.5
MAX_WEIGHT = 10.0
# Similarities below this, and scores of nothing, do not make a paper recommendable.
MIN_SCORE = 1e-6
UPVOTES_GROUP = "your upvotes"


@dataclass(frozen=True, slots=True)
class Weights:
    similar: float = 1.0
    keywords: float = 0.5
    dismissed: float = 1.0
    authors: float = 0.8
    categories: float = 0.3
    users: float = 0.3
    searches: float = 0.4
    upvotes: float = 0.15
    trending: float = 0.15

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], base: Weights | None = None) -> Weights:
        """``base`` (the defaults) with ``values`` applied; ValueError for an unknown name or
        a weight that is not a number from 0 to MAX_WEIGHT."""
        changes: dict[str, float] = {}
        for name, value in values.items():
            if name not in cls.names():
                raise ValueError(f"unknown signal {name!r}; one of {', '.join(cls.names())}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"the weight of {name} is a number")
            if not 0.0 <= float(value) <= MAX_WEIGHT or math.isnan(float(value)):
                raise ValueError(f"the weight of {name} is from 0 to {MAX_WEIGHT:g}")
            changes[name] = float(value)
        return replace(base or cls(), **changes)

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.names()}


@dataclass(frozen=True, slots=True)
class Reason:
    signal: str  # a Weights field name
    text: str  # for people; *...* marks a name (a collection's title) for emphasis
    weight: float  # what it added to the score (negative for dismissed)


@dataclass(frozen=True, slots=True)
class Recommendation:
    paper_id: int
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Profile:
    """What the user kept, rejected and follows."""

    kept: np.ndarray  # (n, dim) unit vectors of papers in collections and upvoted
    kept_groups: Sequence[str]  # per row: the collection's title, or UPVOTES_GROUP
    rejected: np.ndarray  # (m, dim) unit vectors of dismissed papers
    authors: Mapping[str, str] = field(default_factory=dict)  # casefolded -> as followed
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidates:
    """The papers of the window, row for row."""

    paper_ids: Sequence[int]
    vectors: np.ndarray  # (k, dim) unit vectors; rows of papers without one are zero
    authors: Sequence[Sequence[str]]
    categories: Sequence[Sequence[str]]
    upvotes: Sequence[int]
    trending: Sequence[float]  # 0..1, 1 the window's most trending paper
    voters: Sequence[Sequence[str]]  # followed users who upvoted it
    searches: Sequence[Sequence[str]]  # saved searches it matches
    # Likeness by words to the kept papers (empty: none computed, e.g. nothing kept).
    keywords: KeywordScores | None = None


def recommend(
    profile: Profile,
    candidates: Candidates,
    weights: Weights,
    limit: int,
    *,
    model: str = CONTENT_MODEL,
) -> list[Recommendation]:
    """The ``limit`` best candidates with a positive score, best first (ties: the order given,
    which is newest first), each with its reasons, largest first.

    Scores are summed for every candidate (the vector signals as arrays); the reasons, which
    cost a look at each candidate's nearest kept papers, are written for the chosen ones only.
    """
    count = len(candidates.paper_ids)
    if count == 0 or limit <= 0:
        return []
    similar = _similar(profile, candidates, weights, model)
    rejected = _rejected(profile, candidates, weights)
    keywords = _keyword_scores(candidates, weights)
    others: dict[int, list[Reason]] = {}
    followed = np.zeros(count)
    for row in _rows_with_signals(profile, candidates):
        reasons = _followed(profile, candidates, weights, row)
        reasons += _community(candidates, weights, row)
        if reasons:
            others[row] = reasons
            followed[row] = sum(reason.weight for reason in reasons)
    totals = similar + keywords + followed - rejected
    chosen = [row for row in np.lexsort((np.arange(count), -totals)) if totals[row] > MIN_SCORE]
    chosen = chosen[:limit]
    liked = _liked(profile, candidates, similar, chosen)
    found = []
    for row, like_reasons in zip(chosen, liked, strict=True):
        reasons = like_reasons + _keywords(candidates, keywords, row) + others.get(row, [])
        if rejected[row] > 0:
            reasons.append(Reason("dismissed", "like a paper you dismissed", -float(rejected[row])))
        reasons.sort(key=lambda reason: -reason.weight)
        found.append(Recommendation(candidates.paper_ids[row], float(totals[row]), tuple(reasons)))
    return found


def _scaled(similarity: np.ndarray) -> np.ndarray:
    return np.clip((similarity - SIMILARITY_FLOOR) / (1.0 - SIMILARITY_FLOOR), 0.0, 1.0)


def _similar(profile: Profile, candidates: Candidates, weights: Weights, model: str) -> np.ndarray:
    """Each candidate's similarity contribution."""
    if not len(profile.kept) or weights.similar == 0:
        return np.zeros(len(candidates.paper_ids))
    scores = content_scores(model, profile.kept, candidates.vectors, profile.rejected)
    return weights.similar * _scaled(scores)


def _liked(
    profile: Profile, candidates: Candidates, similar: np.ndarray, rows: list[int]
) -> list[list[Reason]]:
    """The similarity reasons of ``rows``: each one's contribution shared among the
    collections of its nearest kept papers, by their similarity."""
    if not len(profile.kept) or not rows:
        return [[] for _ in rows]
    neighbours = nearest(similarities(profile.kept, candidates.vectors[rows]), REASON_NEIGHBOURS)
    reasons: list[list[Reason]] = []
    for position, row in enumerate(rows):
        if similar[row] <= 0:
            reasons.append([])
            continue
        shares: dict[str, float] = {}
        likes: dict[str, int] = {}
        pairs = zip(neighbours.indexes[position], neighbours.similarities[position], strict=True)
        for index, value in pairs:
            group = profile.kept_groups[int(index)]
            shares[group] = shares.get(group, 0.0) + max(float(value), 0.0)
            likes[group] = likes.get(group, 0) + (value >= LIKE_THRESHOLD)
        total = sum(shares.values()) or 1.0
        reasons.append(
            [
                Reason(
                    "similar",
                    _like_text(max(likes[group], 1), group),
                    float(similar[row]) * share / total,
                )
                for group, share in shares.items()
                if share > 0
            ]
        )
    return reasons


def _keyword_scores(candidates: Candidates, weights: Weights) -> np.ndarray:
    if candidates.keywords is None or not weights.keywords:
        return np.zeros(len(candidates.paper_ids))
    return weights.keywords * candidates.keywords.scores


def _keywords(candidates: Candidates, contributions: np.ndarray, row: int) -> list[Reason]:
    if contributions[row] <= 0 or candidates.keywords is None:
        return []
    words = ", ".join(f"“{term}”" for term in candidates.keywords.terms(row))
    text = f"shares words with your saved papers: {words}"
    return [Reason("keywords", text, float(contributions[row]))]


def _like_text(count: int, group: str) -> str:
    papers = "a paper" if count == 1 else f"{count} papers"
    if group == UPVOTES_GROUP:
        return f"like {papers} you upvoted"
    return f"like {papers} in *{group}*"


def _rejected(profile: Profile, candidates: Candidates, weights: Weights) -> np.ndarray:
    if not len(profile.rejected) or weights.dismissed == 0:
        return np.zeros(len(candidates.paper_ids))
    closest = similarities(profile.rejected, candidates.vectors).max(axis=1)
    return weights.dismissed * _scaled(closest)


def _rows_with_signals(profile: Profile, candidates: Candidates) -> list[int]:
    """The rows a follow or the community may say something about: most candidates have
    none, and this look costs a fraction of asking each row in full."""
    rows = []
    categories = profile.categories
    authors = profile.authors
    for row in range(len(candidates.paper_ids)):
        if (
            candidates.upvotes[row]
            or candidates.trending[row]
            or candidates.voters[row]
            or candidates.searches[row]
            or (categories and not categories.isdisjoint(candidates.categories[row]))
            or (authors and any(n.casefold() in authors for n in candidates.authors[row]))
        ):
            rows.append(row)
    return rows


def _followed(profile: Profile, candidates: Candidates, weights: Weights, row: int) -> list[Reason]:
    # Most candidates match no follow: each check is skipped when it cannot match.
    reasons = []
    if weights.authors and profile.authors:
        for name in candidates.authors[row]:
            followed = profile.authors.get(name.casefold())
            if followed is not None:
                reasons.append(
                    Reason("authors", f"by {followed}, whom you follow", weights.authors)
                )
    if weights.categories and profile.categories:
        for position, category in enumerate(candidates.categories[row]):
            if category in profile.categories:
                share = 1.0 if position == 0 else CROSS_LIST_SHARE
                text = f"in {category}, which you follow"
                reasons.append(Reason("categories", text, weights.categories * share))
                break
    if weights.users and candidates.voters[row]:
        reasons += [
            Reason("users", f"upvoted by @{voter}, whom you follow", weights.users)
            for voter in candidates.voters[row]
        ]
    if weights.searches and candidates.searches[row]:
        reasons += [
            Reason("searches", f"matches your saved search “{search}”", weights.searches)
            for search in candidates.searches[row]
        ]
    return reasons


def _community(candidates: Candidates, weights: Weights, row: int) -> list[Reason]:
    reasons = []
    upvotes = candidates.upvotes[row]
    if weights.upvotes and upvotes > 0:
        strength = min(1.0, math.log1p(upvotes) / math.log1p(UPVOTES_FULL))
        text = f"{upvotes} upvote{'' if upvotes == 1 else 's'}"
        reasons.append(Reason("upvotes", text, weights.upvotes * strength))
    trending = candidates.trending[row]
    if weights.trending and trending > 0:
        reasons.append(Reason("trending", "trending on the board", weights.trending * trending))
    return reasons
