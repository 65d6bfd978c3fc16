"""Presentation helpers for pages: pure functions, no I/O, no clock (``today`` is a parameter).

Templates call these as Jinja filters (see ``templating.py``); tests pin them with tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

# Templates filter links with it (templating.py); it lives in the domain, for every front-end.
from paperboard.domain.links import safe_url as safe_url
from paperboard.domain.tex import (
    EXCERPT_CHARS,
    Piece,
    cut_words,
    excerpt_pieces,
    reflow,
    tex_pieces,
)

# Month names spelled out here rather than with strftime("%b"), which follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

AUTHORS_SHOWN = 3


def format_date(value: date | datetime | None, today: date) -> str:
    """``Jan 22`` for a date in ``today``'s year, ``Sep 28, 2023`` otherwise (as Hugging Face).

    Datetimes are shown by their own calendar day: the store keeps them in UTC and so does
    ``today`` in the web app, so a paper never jumps a day depending on the server's zone.
    """
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    label = f"{_MONTHS[day.month - 1]} {day.day}"
    return label if day.year == today.year else f"{label}, {day.year}"


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The start of an abstract for a card: re-flowed, at most ``limit`` characters plus "…".

    Cut at a word boundary so the card never ends inside a word.
    """
    return cut_words(" ".join(reflow(text)), limit)


@dataclass(frozen=True, slots=True)
class AuthorsSummary:
    """What a card shows of the author list: "12 authors" and the first few names."""

    count: int
    label: str  # "1 author", "12 authors", "" when none are known
    names: tuple[str, ...]  # the first AUTHORS_SHOWN names
    more: int  # how many are not named on the card


def authors_summary(
    authors: list[str] | tuple[str, ...], shown: int = AUTHORS_SHOWN
) -> AuthorsSummary:
    count = len(authors)
    if count == 0:
        label = ""
    elif count == 1:
        label = "1 author"
    else:
        # Thousands separators: particle-physics collaborations list 3,000 authors.
        label = f"{count:,} authors"
    names = tuple(authors[:shown])
    return AuthorsSummary(count=count, label=label, names=names, more=count - len(names))


def url_label(url: str) -> str:
    """A short label for a link: ``github.com/owner/repo`` for ``https://github.com/owner/repo``."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" if path else host


def doi_url(doi: str | None) -> str | None:
    """The resolver URL of a DOI (arXiv's field sometimes holds several, space separated)."""
    if not doi:
        return None
    first = doi.split()[0]
    # Quoted so that a "#" or "?" inside a DOI stays part of the path.
    return f"https://doi.org/{quote(first, safe='/()')}"


# --- TeX in titles and abstracts --------------------------------------------------------------
# The reading is domain.tex's (pure, bounded); here pieces become HTML. Everything is escaped;
# the only tags in the output are the <sup>/<sub> added here.


def _render_pieces(pieces: Iterable[Piece]) -> Markup:
    parts = []
    for kind, text in pieces:
        escaped = escape(text)
        parts.append(Markup(f"<{kind}>{escaped}</{kind}>") if kind else escaped)
    return Markup("").join(parts)


@lru_cache(maxsize=16384)
def render_tex(text: str | None) -> Markup:
    """HTML for TeX source: escaped text, with only the <sup>/<sub> tags added here."""
    return _render_pieces(tex_pieces(text)) if text else Markup("")


@lru_cache(maxsize=16384)
def tex_excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> Markup:
    """:func:`excerpt` of an abstract with its TeX rendered, cut by what a reader sees."""
    return _render_pieces(excerpt_pieces(text, limit))


# --- numbers on the trending page -------------------------------------------------------------


def format_number(value: float) -> str:
    """A constant as people write it: 1.0 -> "1", 0.8 -> "0.8", 1.8 -> "1.8"."""
    return f"{value:g}"


def format_score(score: float) -> str:
    """A trending score to three significant digits ("0.0123"): enough to compare neighbours."""
    return f"{score:.3g}"


def format_hours(hours: float) -> str:
    """How long a paper has been on the board: "40 min", "5 h", "2 d 3 h"."""
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    whole = int(hours)
    if whole < 24:
        return f"{whole} h"
    days, rest = divmod(whole, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def highlight_spans(text: str | None, spans: Iterable[tuple[int, int]]) -> Markup:
    """``text`` escaped, with the character ranges ``spans`` (sorted, not overlapping: the
    search's matched query words) wrapped in <mark>. Text holding TeX is rendered as TeX
    without marks instead: offsets into the source do not survive rendering."""
    if not text:
        return Markup("")
    if "$" in text or "\\" in text:
        return render_tex(text)
    parts: list[Markup] = []
    position = 0
    for start, end in spans:
        if start < position or end <= start or end > len(text):
            continue  # a span that does not fit this text is ignored, never misplaced
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
