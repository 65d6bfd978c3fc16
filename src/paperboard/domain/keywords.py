"""Keyword likeness: BM25 "more like this" of the papers a user kept, over a window of
candidates (pure). With the embedding similarity it measured better than either alone on the
development protocol (bench/recommend_quality.py, docs/benchmarks.md); it is also the
protocol's BM25 baseline, so the baseline and the product share one implementation.

As Lucene's MoreLikeThis does: the kept papers' MLT_TERMS words of highest tf x idf (stop
words aside) become an OR query, scored by BM25 (k1 1.2, b 0.75) over the window. The window's
words are indexed once (:class:`TermIndex`, postings per word) and shared by every user who
asks about that window: tokenizing ~1,700 abstracts costs ~100 ms of Python on this machine,
a query over the index a few milliseconds.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

MLT_TERMS = 25
BM25_K1 = 1.2
BM25_B = 0.75
# The most recent kept papers whose words choose the query terms (tokenizing them is most of
# a query's cost).
KEPT_TEXTS = 50
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


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class KeywordScores:
    """Rows' likeness by words: ``scores`` from 0 to 1 (1 the best row asked about), and
    for a row, the shared words that weigh most (:meth:`terms`, for its reason)."""

    scores: np.ndarray  # (rows,)
    parts: np.ndarray  # (rows, query terms): each term's BM25 share
    query: tuple[str, ...]

    @classmethod
    def none(cls, rows: int) -> KeywordScores:
        return cls(np.zeros(rows), np.zeros((rows, 0)), ())

    def __len__(self) -> int:
        return len(self.scores)

    def terms(self, row: int) -> tuple[str, ...]:
        parts = self.parts[row]
        order = np.argsort(-parts, kind="stable")[:REASON_TERMS]
        return tuple(self.query[column] for column in order if parts[column] > 0)


class TermIndex:
    """The words of a window's texts: for each word, the texts it is in and how often, packed
    in three arrays (compressed columns): ~6 bytes a (word, text) pair, where lists of Python
    ints took ~70 (80 MB for a month of arXiv)."""

    def __init__(self, texts: Iterable[str]) -> None:
        postings: dict[str, tuple[list[int], list[int]]] = {}
        lengths: list[int] = []
        for row, text in enumerate(texts):
            words = tokens(text)
            lengths.append(len(words))
            for word, count in Counter(words).items():
                entry = postings.get(word)
                if entry is None:
                    postings[word] = ([row], [count])
                else:
                    entry[0].append(row)
                    entry[1].append(count)
        self.slot = {word: number for number, word in enumerate(postings)}
        sizes = [len(rows) for rows, _ in postings.values()]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        total = int(self.offsets[-1])
        self.rows = np.fromiter(
            chain.from_iterable(r for r, _ in postings.values()), np.int32, total
        )
        self.counts = np.fromiter(
            chain.from_iterable(c for _, c in postings.values()), np.float32, total
        )
        self.lengths = np.asarray(lengths, np.float64)
        self.size = len(lengths)
        self.average_length = max(1.0, float(self.lengths.mean())) if lengths else 1.0

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, counts) of the texts holding ``word``."""
        number = self.slot.get(word)
        if number is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = self.offsets[number], self.offsets[number + 1]
        return self.rows[start:end], self.counts[start:end]

    def idf(self, word: str) -> float:
        number = self.slot.get(word)
        seen = 0 if number is None else int(self.offsets[number + 1] - self.offsets[number])
        return math.log(1 + (self.size - seen + 0.5) / (seen + 0.5))

    def rows_with_all(self, words: Sequence[str]) -> set[int]:
        """The texts holding every one of ``words`` (empty for no words)."""
        found: set[int] | None = None
        for word in words:
            rows = set(self.postings(word)[0].tolist())
            found = rows if found is None else found & rows
            if not found:
                return set()
        return found or set()

    def nbytes(self) -> int:
        """Roughly what the index holds in memory."""
        words = sum(sys.getsizeof(word) for word in self.slot) + sys.getsizeof(self.slot)
        arrays = self.rows.nbytes + self.counts.nbytes + self.offsets.nbytes
        return words + arrays + self.lengths.nbytes


def query_terms(kept: Sequence[str], index: TermIndex) -> list[str]:
    """The kept texts' MLT_TERMS words of highest tf x idf."""
    kept_counts = Counter(
        word for text in kept[:KEPT_TEXTS] for word in tokens(text) if word not in STOP_WORDS
    )
    return sorted(kept_counts, key=lambda w: (-kept_counts[w] * index.idf(w), w))[:MLT_TERMS]


def more_like_this(
    kept: Sequence[str], index: TermIndex, rows: Sequence[int] | None = None
) -> KeywordScores:
    """The likeness by words of the texts ``rows`` of ``index`` (all by default) to the kept
    texts, relative to the best of them."""
    rows = list(range(index.size)) if rows is None else list(rows)
    terms = query_terms(kept, index) if kept else []
    if not rows or not terms:
        return KeywordScores.none(len(rows))
    norm = BM25_K1 * (1 - BM25_B + BM25_B * index.lengths / index.average_length)
    parts = np.zeros((index.size, len(terms)))
    for column, term in enumerate(terms):
        where, counts = index.postings(term)
        if len(where):
            parts[where, column] = index.idf(term) * counts * (BM25_K1 + 1) / (counts + norm[where])
    chosen = parts[rows]
    scores = chosen.sum(axis=1)
    best = float(scores.max())
    if best <= 0:
        return KeywordScores.none(len(rows))
    return KeywordScores(scores / best, chosen, tuple(terms))
