"""What a reader gets of a paper's full text: the text, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

FullTextStatus = Literal["ok", "missing", "pending", "unavailable", "off"]

# Why there is no full text, a sentence for the reader (the PDF link follows it).
NOTES: dict[FullTextStatus, str] = {
    "missing": "arXiv has no HTML rendering of this paper, so only the abstract is here.",
    "pending": "The full text is being fetched from arXiv; ask again in a minute.",
    "unavailable": "The full text could not be fetched from arXiv just now (offline, or arXiv "
    "did not answer); only the abstract is here. Try again later.",
    "off": "This server does not fetch full texts; only the abstract is here.",
}


@dataclass(frozen=True, slots=True)
class FullText:
    status: FullTextStatus
    markdown: str = ""  # the paper's body as Markdown, when status is "ok"
    source_url: str | None = None  # the HTML page it was converted from
    fetched_at: datetime | None = None

    @property
    def note(self) -> str | None:
        return NOTES.get(self.status)
