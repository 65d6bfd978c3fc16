"""Recent windows of papers as "for you" scores them, built once per process and shared by
every user who asks about the same days: the words of their texts (domain/keywords.TermIndex)
and their vectors as one unit-length matrix.

Per request, reading and decoding ~1,700 vectors and tokenizing as many abstracts cost more
than everything else together (bench/recommend_latency.py). An entry is used while the window
still holds the same papers (a fingerprint of their ids) and for at most TTL_S, so a paper
embedded or edited since is seen within minutes; at most ENTRIES windows are kept (measured on
the sample: a week, 1,747 papers, 4.1 MiB of words and 2.6 MiB of vectors; a month, 8,476
papers, 13.7 and 12.4 MiB).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from paperboard.domain.keywords import TermIndex

ENTRIES = 4
TTL_S = 600.0


@dataclass(frozen=True)
class IndexedWindow:
    index: TermIndex
    row_of: dict[int, int]  # paper id -> its row in the index and the matrix
    # The embedding model most of the window's vectors are of (None: nothing embedded), and
    # the vectors of that model, unit length, a zero row for a paper without one.
    model: str | None
    matrix: np.ndarray
    fingerprint: int
    built_at: float


class WindowIndexes:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[tuple[date, date], IndexedWindow] = OrderedDict()
        self._lock = threading.Lock()
        self.monotonic = monotonic

    def get(
        self,
        window: tuple[date, date],
        paper_ids: Sequence[int],
        texts_of: Callable[[Sequence[int]], dict[int, str]],
        vectors_of: Callable[[Sequence[int]], Mapping[int, tuple[str, Any]]],
    ) -> IndexedWindow:
        """The window of the papers ``paper_ids``, read with ``texts_of`` and ``vectors_of``
        unless a fresh one of the same papers is at hand."""
        fingerprint = hash(tuple(paper_ids))
        now = self.monotonic()
        with self._lock:
            entry = self._entries.get(window)
            if (
                entry is not None
                and entry.fingerprint == fingerprint
                and now - entry.built_at <= TTL_S
            ):
                self._entries.move_to_end(window)
                return entry
        # Built outside the lock: two requests may both build it, and neither waits.
        texts = texts_of(paper_ids)
        model, matrix = vector_matrix(paper_ids, vectors_of(paper_ids))
        entry = IndexedWindow(
            index=TermIndex(texts.get(paper_id, "") for paper_id in paper_ids),
            row_of={paper_id: row for row, paper_id in enumerate(paper_ids)},
            model=model,
            matrix=matrix,
            fingerprint=fingerprint,
            built_at=now,
        )
        with self._lock:
            self._entries[window] = entry
            self._entries.move_to_end(window)
            while len(self._entries) > ENTRIES:
                self._entries.popitem(last=False)
        return entry


def vector_matrix(
    paper_ids: Sequence[int], vectors: Mapping[int, tuple[str, Any]]
) -> tuple[str | None, np.ndarray]:
    """(model, matrix): the vectors of the most common model, one unit row per paper (zero
    for a paper without one: only vectors of one model compare)."""
    counts = Counter(model for model, _ in vectors.values())
    if not counts:
        return None, np.zeros((len(paper_ids), 1), np.float32)
    model = counts.most_common(1)[0][0]
    dim = next(len(vector) for name, vector in vectors.values() if name == model)
    matrix = np.zeros((len(paper_ids), dim), np.float32)
    for row, paper_id in enumerate(paper_ids):
        found = vectors.get(paper_id)
        if found is not None and found[0] == model and len(found[1]) == dim:
            matrix[row] = found[1]
    return model, unit_rows(matrix)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)
