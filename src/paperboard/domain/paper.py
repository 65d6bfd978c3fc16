"""The records that flow from a source to the store."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import TypeVar

import orjson

from paperboard.domain.arxiv_id import abs_url, pdf_url
from paperboard.domain.tex import detex_accents

_SPACES = re.compile(r"[ \t]+")
_LINE_WRAP = re.compile(r"\s*\n\s*")
# Counts a source gives (versions, upvotes, comments, GitHub stars) go into INTEGER columns, 32
# bits on PostgreSQL, and a paper's featured days are summed into one. No real count comes near
# this; a larger one is a broken record (reported as malformed), not a batch that fails to load.
MAX_COUNT = 10_000_000


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a zone is taken as UTC (arXiv's and Hugging Face's).

    Raises ValueError, which parsers report as a malformed record, where ``astimezone`` would
    raise OverflowError: a time whose UTC equivalent leaves the calendar
    (``0001-01-01T00:00:00+01:00``, ``9999-12-31T23:00:00-05:00``).
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is out of range in UTC") from None


def clean_title(title: str) -> str:
    """Titles arrive wrapped over lines with runs of spaces; store them on one line."""
    return _SPACES.sub(" ", _LINE_WRAP.sub(" ", title)).strip()


def clean_authors(names: list[str]) -> list[str]:
    """One space between words, TeX accents as Unicode, empty names dropped."""
    cleaned = (_SPACES.sub(" ", detex_accents(name)).strip() for name in names)
    return [name for name in cleaned if name]


def clean_abstract(abstract: str) -> str:
    """Keep arXiv's line structure (the page re-flows it) but drop surrounding blank space."""
    return abstract.strip()


def split_authors(authors: str) -> list[str]:
    """Split arXiv's author string ("A, B and C") into names, keeping TeX accents as given."""
    text = _SPACES.sub(" ", _LINE_WRAP.sub(" ", authors)).strip()
    if not text:
        return []
    # Parenthesised affiliations may contain commas and "and": cut them out first.
    if "(" in text:
        text = _without_parentheses(text)
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*", text)
    return clean_authors(parts)


def _without_parentheses(text: str) -> str:
    depth = 0
    kept: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    # An unclosed "(" would swallow every later name: keep the text as it was instead.
    return "".join(kept) if depth == 0 else text


def _utc_iso(moment: datetime | None) -> str | None:
    # The same instant hashes the same whatever offset a source wrote it in.
    return moment.astimezone(UTC).isoformat() if moment else None


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source describes it. ``arxiv_id`` is canonical (no version)."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published_at: datetime | None = None  # first version's date (UTC)
    updated_at: datetime | None = None  # latest version's date (UTC)
    version: int = 1
    announced_on: date | None = None  # the day arXiv listed it (from the RSS listing)
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    report_no: str | None = None
    submitter: str | None = None
    code_urls: list[str] = field(default_factory=list)
    project_page: str | None = None
    # Hugging Face fields (kept when that source provides them).
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    github_stars: int | None = None
    # An image for the paper (Hugging Face's social thumbnail, an http(s) URL), kept to serve
    # in the API's ``thumbnail``.
    thumbnail_url: str | None = None
    # When paperboard first stored it (kept by export/import; not part of the content hash).
    ingested_at: datetime | None = None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def abs_url(self) -> str:
        return abs_url(self.arxiv_id)

    @property
    def pdf_url(self) -> str:
        return pdf_url(self.arxiv_id)

    def __reduce__(self) -> tuple[type[PaperRecord], tuple[object, ...]]:
        # Pickled between the parser process and the writer: positional arguments unpickle
        # several times faster than the default slots state.
        return (PaperRecord, tuple(getattr(self, f.name) for f in fields(self)))

    def content_hash(self) -> str:
        """A digest of everything stored, so that an unchanged re-ingest writes nothing."""
        payload = orjson.dumps(
            [
                self.title,
                self.abstract,
                self.authors,
                self.categories,
                _utc_iso(self.published_at),
                _utc_iso(self.updated_at),
                self.version,
                self.announced_on.isoformat() if self.announced_on else None,
                self.comments,
                self.journal_ref,
                self.doi,
                self.license,
                self.report_no,
                self.submitter,
                self.code_urls,
                self.project_page,
                self.ai_summary,
                self.ai_keywords,
                self.github_stars,
                # Only when present: the hashes of records without one (most papers) stay as
                # they were before the field existed, so no re-ingest rewrites them.
                *([self.thumbnail_url] if self.thumbnail_url else []),
            ]
        )
        return hashlib.blake2b(payload, digest_size=16).hexdigest()


@dataclass(slots=True)
class FeaturedRecord:
    """A paper featured on a day's board (from Hugging Face, a curator or a submitter)."""

    arxiv_id: str
    day: date
    submitted_by: str | None = None  # a username; None for an anonymous import
    submitted_by_fullname: str | None = None
    featured_at: datetime | None = None
    upvotes: int = 0  # upvotes recorded by the source (Hugging Face's count), kept as a base
    num_comments: int = 0
    source: str = "curator"


@dataclass(slots=True)
class Malformed:
    """A record a parser could not read: where it was and why. The rest of the input goes on."""

    location: str  # "line 12", "entry 3", "record oai:arXiv.org:1234.5678"
    reason: str


# What a source yields: a paper, a featured entry, or a report of a malformed record.
IngestItem = PaperRecord | FeaturedRecord | Malformed
_Record = TypeVar("_Record", PaperRecord, FeaturedRecord)


# How JSON writes a NUL (it must escape it). XML cannot carry one at all.
JSON_NUL = b"\\u0000"


def without_nul(record: _Record) -> _Record:
    """``record`` with NUL characters dropped from its text. JSON sources can carry them
    (``"\\u0000"``); PostgreSQL text cannot, and one such field failed a whole load batch
    there. Dropped for SQLite too, so that both store the same. JSON parsers call this only when
    the raw input contains :data:`JSON_NUL`, which keeps bulk ingest at full speed."""
    changes: dict[str, object] = {}
    for name in _FIELD_NAMES[type(record)]:
        value = getattr(record, name)
        if isinstance(value, str):
            if "\x00" in value:
                changes[name] = value.replace("\x00", "")
        elif isinstance(value, list) and any("\x00" in v for v in value):
            changes[name] = [v.replace("\x00", "") for v in value]
    return replace(record, **changes) if changes else record


_FIELD_NAMES = {kind: tuple(f.name for f in fields(kind)) for kind in (PaperRecord, FeaturedRecord)}
