"""``?page=N`` pagination shared by listing pages: parsing, bounds, and the prev/next links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from paperboard.web.errors import PageError

PER_PAGE = 30
# Listings page with OFFSET, whose cost grows with the offset; 1,000 pages (30,000 papers) is
# far more than anyone clicks through, and search is the way into the rest.
MAX_PAGE = 1000


def parse_page(raw: str | None, *, max_page: int = MAX_PAGE) -> int:
    """The page number in ``?page=``: 1 when absent; :class:`PageError` (400) when unusable."""
    if raw is None or raw == "":
        return 1
    text = raw.strip()
    # ASCII digits only: isdecimal() alone rejects signs and "1e3" but accepts "٣" (Arabic-Indic
    # three), which int() would read. The length check keeps int() cheap on huge input.
    if not (text.isascii() and text.isdecimal()) or len(text) > 9 or not 1 <= int(text) <= max_page:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise PageError(
            400,
            f"“{shown}” is not a page number here: pages go from 1 to {max_page:,}.",
            title="No such page",
        )
    return int(text)


def page_offset(page: int) -> int:
    return (page - 1) * PER_PAGE


@dataclass(frozen=True, slots=True)
class Pager:
    """Where the current page sits, and the links to its neighbours (None when there is none).
    One pager serves every listing and the search page: ``params`` are kept in its links (the
    query and filters of a search); empty ones are left out."""

    page: int
    has_next: bool
    path: str  # the listing's own path
    params: Mapping[str, str] = field(default_factory=dict)

    def url(self, page: int) -> str:
        # Page 1 has no page parameter, so each listing has one canonical first-page URL.
        kept = {k: v for k, v in self.params.items() if v}
        if page > 1:
            kept["page"] = str(page)
        return f"{self.path}?{urlencode(kept)}" if kept else self.path

    @property
    def prev_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.has_next else None
