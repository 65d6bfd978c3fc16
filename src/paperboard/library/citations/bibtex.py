"""BibTeX: arXiv's own entry shape (``@misc`` with ``eprint``, ``archivePrefix``,
``primaryClass``, ``url``), plus ``doi`` and the item's note as ``annote`` (styles do not print
it); read with bibtexparser 2, whose failed blocks are reported, never dropped."""

from __future__ import annotations

from collections.abc import Sequence

import bibtexparser
from bibtexparser.model import Entry, Field

from paperboard.domain.citations import (
    Citation,
    ReadEntry,
    bibtex_name,
    bibtex_title,
    citation_key,
)
from paperboard.library.citations import Read, Unread, UnreadableFile

NAME = "bibtex"


def entry(citation: Citation, key: str) -> Entry:
    values: list[tuple[str, str]] = [
        ("title", bibtex_title(citation.title)),
        ("author", " and ".join(bibtex_name(name) for name in citation.authors)),
    ]
    if citation.published:
        values.append(("year", str(citation.published.year)))
    values += [
        ("eprint", citation.arxiv_id),
        ("archivePrefix", "arXiv"),
    ]
    if citation.primary_category:
        values.append(("primaryClass", citation.primary_category))
    values += [("doi", citation.any_doi), ("url", citation.url)]
    if citation.journal_ref:
        values.append(("journal", _escaped(citation.journal_ref)))
    if citation.note:
        values.append(("annote", _escaped(citation.note)))
    return Entry("misc", key, [Field(name, value) for name, value in values])


def _escaped(text: str) -> str:
    """Free text as a field value: TeX's specials and braces made literal."""
    return bibtex_title(text).replace("{", "").replace("}", "") if text else text


def write(citations: Sequence[Citation]) -> str:
    taken: set[str] = set()
    library = bibtexparser.Library([entry(c, citation_key(c, taken)) for c in citations])
    return bibtexparser.write_string(library)


def read(text: str) -> Read:
    library = bibtexparser.parse_string(text)
    if not library.entries and not library.failed_blocks and text.strip():
        raise UnreadableFile("not BibTeX: no entry (such as @misc{...}) in it")
    read_entries = Read()
    for position, found in enumerate(library.entries, 1):
        fields = {name.lower(): f.value for name, f in found.fields_dict.items()}
        pairs = tuple((name, value) for name, value in fields.items() if isinstance(value, str))
        note = fields.get("annote")
        read_entries.entries.append(
            ReadEntry(
                position=position,
                key=found.key,
                title=fields.get("title") if isinstance(fields.get("title"), str) else None,
                fields=pairs,
                note=note if isinstance(note, str) else None,
            )
        )
    for failed in library.failed_blocks:
        error = getattr(failed, "error", None)
        # BlockAbortedException keeps its sentence in abort_reason; str() of it is empty.
        lines = str(getattr(error, "abort_reason", None) or error or "").strip().splitlines()
        reason = lines[-1].strip()[:200] if lines else "not BibTeX"
        read_entries.unread.append(Unread(f"line {failed.start_line + 1}", reason))
    return read_entries
