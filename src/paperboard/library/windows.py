"""The words of recent windows of papers, indexed once per process and shared by every user
who asks for recommendations over the same days (domain/keywords.TermIndex).

An entry is used while the window still holds the same papers (a fingerprint of their ids)
and for at most TTL_S, so a paper whose text changed is re-read within minutes; at most
ENTRIES windows are kept (a week of arXiv indexes to ~2 MB, a month to ~8 MB).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from paperboard.domain.keywords import TermIndex

ENTRIES = 4
TTL_S = 600.0


@dataclass(frozen=True)
class IndexedWindow:
    index: TermIndex
    row_of: dict[int, int]  # paper id -> its row in the index
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
    ) -> IndexedWindow:
        """The index of the window's papers ``paper_ids``, built with ``texts_of`` unless a
        fresh one of the same papers is at hand."""
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
        entry = IndexedWindow(
            index=TermIndex(texts.get(paper_id, "") for paper_id in paper_ids),
            row_of={paper_id: row for row, paper_id in enumerate(paper_ids)},
            fingerprint=fingerprint,
            built_at=now,
        )
        with self._lock:
            self._entries[window] = entry
            self._entries.move_to_end(window)
            while len(self._entries) > ENTRIES:
                self._entries.popitem(last=False)
        return entry
