"""Follows: an author (by name as arXiv writes it), a category, a user (their public upvotes)
or a saved search; each is a feed (pure: kinds, values, labels)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from paperboard.domain.paper import clean_authors
from paperboard.domain.topics import is_category, normalize_category

KINDS = ("author", "category", "user", "search")
MAX_VALUE_CHARS = 300
MAX_FOLLOWS = 200


class InvalidFollow(ValueError):
    """A kind or value that cannot be followed; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    kind: str
    value: str  # the author's name, the category, the username key, the query
    created_at: datetime

    @property
    def label(self) -> str:
        """How pages and reasons name it: ``Jane Doe``, ``cs.CL``, ``@alice``, ``“query”``."""
        if self.kind == "user":
            return f"@{self.value}"
        if self.kind == "search":
            return f"“{self.value}”"
        return self.value


def follow_value(kind: str, value: str) -> str:
    """``value`` as stored for ``kind``: an author's name with TeX accents as Unicode and one
    space between words (as ingest stores names), a category as arXiv writes it, a username
    in lower case, a query with its spaces collapsed. Raises InvalidFollow."""
    if kind not in KINDS:
        raise InvalidFollow(f"One follows an {', a '.join(KINDS[:-1])} or a {KINDS[-1]}.")
    if not isinstance(value, str) or any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidFollow("That value cannot be followed.")
    if kind == "author":
        names = clean_authors([value])
        cleaned = names[0] if names else ""
    elif kind == "category":
        if not is_category(value):
            raise InvalidFollow(f"{value[:80]!r} is not an arXiv category (such as cs.CL).")
        cleaned = normalize_category(value)
    elif kind == "user":
        cleaned = value.strip().lstrip("@").lower()
    else:
        cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_VALUE_CHARS:
        raise InvalidFollow(f"A followed {kind} has 1 to {MAX_VALUE_CHARS} characters.")
    return cleaned


def same_author(name: str, other: str) -> bool:
    """Names as arXiv writes them, case aside (``Jane DOE`` in one listing, ``Jane Doe``
    in another)."""
    return name.casefold() == other.casefold()
