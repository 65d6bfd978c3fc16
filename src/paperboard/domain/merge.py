"""Merging what two sources say about the same paper (a pure function, table-tested)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime
from typing import TypeVar

from paperboard.domain.paper import PaperRecord

T = TypeVar("T", datetime, date)

# Fields where an empty value means "this source does not know", not "it was removed".
_FILLABLE = tuple(
    f.name
    for f in fields(PaperRecord)
    if f.name not in ("arxiv_id", "version", "published_at", "updated_at", "announced_on")
)


def _earliest(a: T | None, b: T | None) -> T | None:
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def _latest(a: T | None, b: T | None) -> T | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _union_ignoring_case(first: list[str], second: list[str]) -> list[str]:
    # GitHub owner/repo names are case-insensitive: one repository, one link.
    seen: dict[str, str] = {}
    for url in [*first, *second]:
        seen.setdefault(url.lower(), url)
    return list(seen.values())


def merge_paper(stored: PaperRecord, incoming: PaperRecord) -> PaperRecord:
    """The record to store when ``incoming`` arrives for a paper already ``stored``.

    - The newer version wins field by field; an older version never overwrites a newer one.
    - A field one source leaves empty is filled from the other (Hugging Face has no categories,
      arXiv has no AI summary), so sources enrich each other in any order.
    - The first-published date is the earliest ever seen; the last-updated date the latest.
    """
    newer, older = (incoming, stored) if incoming.version >= stored.version else (stored, incoming)
    merged = replace(newer)
    for name in _FILLABLE:
        if _is_empty(getattr(merged, name)) and not _is_empty(getattr(older, name)):
            setattr(merged, name, getattr(older, name))
    merged.code_urls = _union_ignoring_case(newer.code_urls, older.code_urls)
    merged.authors = list(merged.authors)
    merged.categories = list(merged.categories)
    merged.ai_keywords = list(merged.ai_keywords)
    merged.published_at = _earliest(stored.published_at, incoming.published_at)
    merged.updated_at = _latest(stored.updated_at, incoming.updated_at)
    merged.announced_on = _earliest(stored.announced_on, incoming.announced_on)
    merged.ingested_at = stored.ingested_at or incoming.ingested_at
    return merged
