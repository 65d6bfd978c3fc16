"""Which version of each recent paper a keyword index holds: (id, modified_at) keys in numpy
arrays, for the late-commit rescan and a new process's first sync (search/keyword.py's module
docstring explains both), saved next to the index after each commit."""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moments: Iterable[datetime]) -> np.ndarray:
    return np.fromiter(((m - _EPOCH) // _MICROSECOND for m in moments), np.int64)


class RecentKeys:
    """(paper id, modified_at) of the papers a process indexed lately, in numpy arrays (16
    bytes a paper: a bulk load puts a million keys in the window)."""

    def __init__(self, ids: np.ndarray | None = None, stamps: np.ndarray | None = None) -> None:
        """``ids`` sorted, one each, with their ``stamps`` (as ``save`` writes them)."""
        self._ids = np.empty(0, np.int64) if ids is None else ids
        self._stamps = np.empty(0, np.int64) if stamps is None else stamps
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def copy(self) -> RecentKeys:
        self._merge()
        return RecentKeys(self._ids, self._stamps)  # arrays are replaced, never changed

    def save(self, path: Path) -> None:
        """Write the keys atomically (a reader sees the old file or the new one)."""
        self._merge()
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as stream:
            np.savez(stream, ids=self._ids, stamps=self._stamps)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> RecentKeys:
        """What ``save`` wrote; empty when the file is missing or unreadable (the caller then
        indexes the window again)."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                ids, stamps = saved["ids"], saved["stamps"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning(
                    "keyword index: %s is unreadable (%s); re-reading the window", path, exc
                )
            return cls()
        if ids.dtype != np.int64 or stamps.dtype != np.int64 or ids.shape != stamps.shape:
            log.warning("keyword index: %s is not a key list; re-reading the window", path)
            return cls()
        return cls(ids, stamps)

    def __len__(self) -> int:
        self._merge()
        return len(self._ids)

    def note(self, rows: list[dict[str, Any]]) -> None:
        ids = np.fromiter((row["id"] for row in rows), np.int64, len(rows))
        self._chunks.append((ids, _micros(row["modified_at"] for row in rows)))

    def _merge(self) -> None:
        """One entry per id, sorted by id: the version indexed last wins."""
        if not self._chunks:
            return
        ids = np.concatenate([self._ids, *(c[0] for c in self._chunks)])
        stamps = np.concatenate([self._stamps, *(c[1] for c in self._chunks)])
        self._chunks = []
        # np.unique keeps the first occurrence: reversed, that is the latest one noted.
        unique, first = np.unique(ids[::-1], return_index=True)
        self._ids, self._stamps = unique, stamps[::-1][first]

    def forget_before(self, moment: datetime) -> None:
        self._merge()
        keep = self._stamps >= (moment - _EPOCH) // _MICROSECOND
        self._ids, self._stamps = self._ids[keep], self._stamps[keep]

    def unseen_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Those of ``rows`` (with id and modified_at) not noted at their modified_at."""
        unseen = set(self.unseen([(row["modified_at"], row["id"]) for row in rows]))
        return [row for row in rows if row["id"] in unseen]

    def unseen(self, keys: list[tuple[datetime, int]]) -> list[int]:
        """The ids of ``keys`` ((modified_at, id)) not noted at that very modified_at."""
        self._merge()
        ids = np.fromiter((paper_id for _, paper_id in keys), np.int64, len(keys))
        stamps = _micros(moment for moment, _ in keys)
        if len(self._ids) == 0:
            return ids.tolist()
        at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        seen = (self._ids[at] == ids) & (self._stamps[at] == stamps)
        return ids[~seen].tolist()
