"""Collections (reading lists) as Hugging Face names them: slugs, themes, limits (pure).

A slug is ``owner/<title as words>-<public id>`` (``alice/reading-list-64f9a55bb3115b4f513ec026``):
the 24 hex digits at the end identify the collection, so a slug written before a title change
still finds it, as on Hugging Face ("the slug got updated but not the trailing ID").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from paperboard.domain.paper import PaperRecord

# Hugging Face's limits where it documents them (description 150, note 500 characters).
MAX_TITLE_CHARS = 100
MAX_DESCRIPTION_CHARS = 150
MAX_NOTE_CHARS = 500
# A reading list, not a mirror of arXiv: keeps a page, an export and a position move bounded.
MAX_ITEMS = 5_000
MAX_COLLECTIONS_PER_OWNER = 500
# Listings show the first few items of each collection, as Hugging Face's does.
LISTED_ITEMS = 4
# Hugging Face's collection themes.
THEMES = ("orange", "blue", "green", "purple", "pink", "indigo")
DEFAULT_THEME = "orange"
PUBLIC_ID_CHARS = 24
MAX_SLUG_WORDS_CHARS = 60

_PUBLIC_ID = re.compile(r"[0-9a-f]{24}")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def title_slug(title: str) -> str:
    """The words of a title as they appear in the slug: ASCII, lower case, hyphens."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _NOT_WORD.sub("-", ascii_text.lower()).strip("-")
    return words[:MAX_SLUG_WORDS_CHARS].rstrip("-") or "collection"


def title_key(title: str) -> str:
    """What makes two titles of one owner the same: case and punctuation aside."""
    return " ".join(title.casefold().split())[:MAX_TITLE_CHARS]


def make_slug(owner: str, title: str, public_id: str) -> str:
    return f"{owner}/{title_slug(title)}-{public_id}"


@dataclass(frozen=True, slots=True)
class SlugParts:
    owner: str
    public_id: str


def parse_slug(slug: str) -> SlugParts | None:
    """``owner`` and the public id of a slug; None for anything that cannot be one. The
    words between them are not checked: they follow the title, which may have changed."""
    owner, separator, rest = slug.strip().partition("/")
    public_id = rest.rsplit("-", 1)[-1]
    if not separator or not owner or not _PUBLIC_ID.fullmatch(public_id):
        return None
    return SlugParts(owner=owner, public_id=public_id)


def clean_text(value: str | None) -> str | None:
    """A title, description or note as stored: runs of spaces on one line kept as typed,
    surrounding blank space dropped; empty means none."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def has_control_characters(text: str) -> bool:
    """True for C0/C1 control characters other than tab and line breaks."""
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


@dataclass(frozen=True, slots=True)
class CollectionItem:
    """A paper in a collection, with what a page or the API shows of it."""

    public_id: str
    paper_id: int
    paper: PaperRecord
    upvotes: int
    position: int
    note: str | None
    added_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    public_id: str
    owner_id: int
    owner: str  # the owner's username
    owner_fullname: str
    title: str
    description: str | None
    private: bool
    theme: str
    position: int
    created_at: datetime
    updated_at: datetime
    item_count: int
    # All items for one collection; the first LISTED_ITEMS in listings.
    items: tuple[CollectionItem, ...] = ()

    @property
    def slug(self) -> str:
        return make_slug(self.owner, self.title, self.public_id)
