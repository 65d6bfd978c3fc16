"""CSL-JSON (Citation Style Language items, as Zotero and pandoc read them): ``type``
``article`` (CSL's type for preprints), ``number`` the arXiv id, ``publisher``/``archive``
arXiv, ``URL``, ``DOI``, ``issued`` date parts, authors as family/given, the note as
``annote``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from paperboard.domain.citations import (
    Citation,
    ReadEntry,
    citation_key,
    field_values,
    plain_title,
    split_name,
)
from paperboard.library.citations import Read, Unread, UnreadableFile

NAME = "csljson"


def item(citation: Citation, key: str) -> dict[str, Any]:
    authors = []
    for name in citation.authors:
        family, given = split_name(name)
        authors.append({"family": family, "given": given} if given else {"literal": name})
    shaped: dict[str, Any] = {
        "id": key,
        "type": "article",
        "title": plain_title(citation.title),
        "author": authors,
        "abstract": " ".join(citation.abstract.split()),
        "number": citation.arxiv_id,
        "publisher": "arXiv",
        "archive": "arXiv",
        "archive_location": f"arXiv:{citation.arxiv_id}",
        "URL": citation.url,
        "DOI": citation.any_doi,
    }
    if citation.published:
        day = citation.published
        shaped["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if citation.primary_category:
        shaped["keyword"] = citation.primary_category
    if citation.journal_ref:
        shaped["note"] = citation.journal_ref
    if citation.note:
        shaped["annote"] = citation.note
    return shaped


def write(citations: Sequence[Citation]) -> str:
    taken: set[str] = set()
    items = [item(c, citation_key(c, taken)) for c in citations]
    return orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n"


def read(text: str) -> Read:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(f"not JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("items", [data])  # one item, or an object wrapping the list
    if not isinstance(data, list):
        raise UnreadableFile("CSL-JSON is a list of items")
    read_entries = Read()
    for position, found in enumerate(data, 1):
        if not isinstance(found, dict):
            read_entries.unread.append(Unread(f"entry {position}", "not a CSL item (an object)"))
            continue
        title = found.get("title")
        note = found.get("annote")
        key = found.get("id")
        read_entries.entries.append(
            ReadEntry(
                position=position,
                key=str(key) if isinstance(key, str | int) else None,
                title=title if isinstance(title, str) else None,
                fields=field_values(found),
                note=note if isinstance(note, str) else None,
            )
        )
    return read_entries
