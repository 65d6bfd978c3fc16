"""Keyword likeness (domain/keywords.py) and the per-process index of windows
(library/windows.py)."""

from __future__ import annotations

from datetime import date

import numpy as np

from paperboard.domain.keywords import TermIndex, more_like_this, query_terms, tokens
from paperboard.library.windows import ENTRIES, TTL_S, WindowIndexes

WINDOW = [
    "graph neural networks for molecules",
    "molecules and graph kernels, graph graph",
    "galaxies and stars",
    "a survey of neural networks",
]
KEPT = ["message passing graph networks on molecules", "graph molecules property prediction"]


def test_tokens_drop_short_words_and_numbers() -> None:
    assert tokens("A 3D GNN-based model, v2 of X") == ["gnn-based", "model"]


def test_more_like_this_ranks_by_shared_rare_words() -> None:
    index = TermIndex(WINDOW)
    assert "graph" in query_terms(KEPT, index) and "the" not in query_terms(KEPT, index)
    found = more_like_this(KEPT, index)
    scores = found.scores
    assert scores.max() == 1.0
    assert min(scores[0], scores[1]) > scores[3] > 0
    assert scores[2] == 0 and found.terms(2) == ()
    assert found.terms(1)[0] == "graph"  # three times there
    subset = more_like_this(KEPT, index, [0, 3])
    assert subset.scores[0] == 1.0  # relative to the best of those asked about
    assert list(more_like_this([], index).scores) == [0.0] * 4
    assert len(more_like_this(KEPT, TermIndex([]))) == 0


def test_rows_with_all_words() -> None:
    index = TermIndex(WINDOW)
    assert index.rows_with_all(["graph", "molecules"]) == {0, 1}
    assert index.rows_with_all(["neural", "survey"]) == {3}
    assert index.rows_with_all(["graph", "stars"]) == set()
    assert index.rows_with_all([]) == set()
    assert index.nbytes() > 0


def test_window_indexes_are_shared_fresh_and_bounded() -> None:
    now = [0.0]
    windows = WindowIndexes(monotonic=lambda: now[0])
    reads: list[tuple[int, ...]] = []

    def texts_of(ids):  # type: ignore[no-untyped-def]
        reads.append(tuple(ids))
        return {i: f"paper {i} words" for i in ids}

    def vectors_of(ids):  # type: ignore[no-untyped-def]
        # Paper 2 has a vector of another model, paper 3 none: both get zero rows.
        found = {1: ("m", np.array([3.0, 4.0])), 2: ("old", np.array([1.0]))}
        return {i: found[i] for i in ids if i in found}

    week = (date(2026, 11, 14), date(2026, 11, 20))
    first = windows.get(week, [1, 2], texts_of, vectors_of)
    assert windows.get(week, [1, 2], texts_of, vectors_of) is first and len(reads) == 1
    assert first.row_of == {1: 0, 2: 1}
    assert first.model == "m"
    assert np.allclose(first.matrix, [[0.6, 0.8], [0.0, 0.0]])
    again = windows.get(week, [1, 2, 3], texts_of, vectors_of)
    assert again is not first and again.matrix.shape == (3, 2)  # a new paper: rebuilt
    now[0] += TTL_S + 1
    windows.get(week, [1, 2, 3], texts_of, vectors_of)
    assert len(reads) == 3  # too old: rebuilt
    for day in range(1, ENTRIES + 2):
        windows.get((date(2026, 10, day), date(2026, 10, day)), [day], texts_of, vectors_of)
    assert len(windows._entries) == ENTRIES
    unembedded = windows.get((date(2026, 9, 1), date(2026, 9, 1)), [3], texts_of, vectors_of)
    assert unembedded.model is None and unembedded.matrix.shape == (1, 1)
