"""RIS (rispy): ``TY - GEN`` (Zotero reads it as an article), the title as text, ``DB - arXiv``
and ``AN - arXiv:<id>`` (Zotero's archive and archive location), ``UR``, ``DO``, the abstract,
and the item's note as ``N1``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import rispy

from paperboard.domain.citations import Citation, ReadEntry, field_values, plain_title, split_name
from paperboard.library.citations import Read, Unread, UnreadableFile

NAME = "ris"
# A record starts with a type line; rispy drops a record without an end line unseen, so the
# starts are counted to report what it dropped.
_RECORD_START = re.compile(r"^TY  - ", re.MULTILINE)


def record(citation: Citation) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "type_of_reference": "GEN",
        "title": plain_title(citation.title),
        "authors": [", ".join(filter(None, split_name(name))) for name in citation.authors],
        "abstract": " ".join(citation.abstract.split()),
        "urls": [citation.url],
        "doi": citation.any_doi,
        "name_of_database": "arXiv",
        "accession_number": f"arXiv:{citation.arxiv_id}",
    }
    if citation.published:
        shaped["year"] = str(citation.published.year)
        shaped["date"] = citation.published.strftime("%Y/%m/%d")
    if citation.primary_category:
        shaped["keywords"] = [citation.primary_category]
    if citation.note:
        shaped["notes"] = [" ".join(citation.note.split())]
    return shaped


def write(citations: Sequence[Citation]) -> str:
    return rispy.dumps([record(c) for c in citations])


def read(text: str) -> Read:
    try:
        records = rispy.loads(text, skip_unknown_tags=True)
    except Exception as exc:  # rispy raises bare Exceptions ("Missing end of record tag")
        raise UnreadableFile(f"not RIS: {str(exc)[:200]}") from None
    starts = len(_RECORD_START.findall(text))
    if not starts and text.strip():
        raise UnreadableFile("not RIS: no record starts with a 'TY  - ' line")
    read_entries = Read()
    if starts > len(records):
        missing = starts - len(records)
        read_entries.unread.append(
            Unread("file", f"{missing} record(s) could not be read (no 'ER  - ' line ends them)")
        )
    for position, found in enumerate(records, 1):
        if not isinstance(found, dict):
            read_entries.unread.append(Unread(f"entry {position}", "not a RIS record"))
            continue
        title = found.get("title") or found.get("primary_title")
        notes = found.get("notes")
        read_entries.entries.append(
            ReadEntry(
                position=position,
                key=found.get("id") if isinstance(found.get("id"), str) else None,
                title=title if isinstance(title, str) else None,
                fields=field_values(found),
                note="\n".join(notes) if isinstance(notes, list) and notes else None,
            )
        )
    return read_entries
