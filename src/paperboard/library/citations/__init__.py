"""Reference-manager formats: BibTeX (bibtexparser), RIS (rispy) and CSL-JSON, each a module
with ``write(citations) -> str`` and ``read(text) -> Read``; the rules they share (matching,
TeX in titles, keys) are pure, in domain/citations.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from paperboard.domain.citations import Citation, ReadEntry


@dataclass(frozen=True, slots=True)
class Unread:
    """Part of a file a reader could not read: where, and why, for the import's report."""

    where: str  # "line 12", "entry 3"
    reason: str


@dataclass
class Read:
    entries: list[ReadEntry] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)


class UnreadableFile(ValueError):
    """Nothing in the file could be read as this format."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    extension: str
    write: Callable[[Sequence[Citation]], str]
    read: Callable[[str], Read]
