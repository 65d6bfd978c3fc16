"""Keyword likeness: BM25 "more like this" of the papers a user kept, over a window of
candidates (pure). With the embedding similarity it measured better than either alone on the
development protocol (bench/recommend_quality.py, docs/benchmarks.md); it is also the
protocol's BM25 baseline, so the baseline and the product share one implementation.

As Lucene's MoreLikeThis does: the kept papers' MLT_TERMS words of highest tf x idf (stop
words aside) become an OR query, scored by BM25 (k1 1.2, b 0.75); document frequencies are
counted over the candidates themselves, so no index is needed and any window works.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MLT_TERMS = 25
BM25_K1 = 1.2
BM25_B = 0.75
# A reason names this many of the words a paper shares with the kept ones.
REASON_TERMS = 3
_WORD = re.compile(r"[a-z][a-z0-9-]{2,}")
# Lucene's English stop words and the words nearly every abstract has.
_STOP_WORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with we our us from which can show also using "
    "based propose proposed paper results method methods approach new two while each than "
    "has have been more most other over between both however through via its"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class KeywordMatch:
    score: float  # 0..1: BM25 relative to the best-matching candidate of the window
    terms: tuple[str, ...]  # the shared words that weigh most, most first


NO_MATCH = KeywordMatch(0.0, ())


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def more_like_this(kept: Sequence[str], candidates: Sequence[str]) -> list[KeywordMatch]:
    """Each candidate's likeness to the ``kept`` texts by words (see the module docstring)."""
    documents = [tokens(text) for text in candidates]
    if not kept or not documents:
        return [NO_MATCH] * len(documents)
    count = len(documents)
    frequency = Counter(word for words in documents for word in set(words))
    average_length = max(1.0, sum(map(len, documents)) / count)

    def idf(word: str) -> float:
        seen = frequency.get(word, 0)
        return math.log(1 + (count - seen + 0.5) / (seen + 0.5))

    kept_counts = Counter(w for text in kept for w in tokens(text) if w not in STOP_WORDS)
    terms = sorted(kept_counts, key=lambda w: (-kept_counts[w] * idf(w), w))[:MLT_TERMS]
    weights = {term: idf(term) for term in terms}
    scored: list[tuple[float, tuple[str, ...]]] = []
    for words in documents:
        counts = Counter(words)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(words) / average_length)
        parts = {
            term: weight * counts[term] * (BM25_K1 + 1) / (counts[term] + norm)
            for term, weight in weights.items()
            if counts[term]
        }
        named = sorted(parts, key=lambda t: (-parts[t], t))[:REASON_TERMS]
        scored.append((sum(parts.values()), tuple(named)))
    best = max(score for score, _ in scored)
    if best <= 0:
        return [NO_MATCH] * count
    return [KeywordMatch(score / best, named) for score, named in scored]
