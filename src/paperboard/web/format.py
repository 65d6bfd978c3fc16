"""Presentation helpers for pages: pure functions, no I/O, no clock (``today`` is a parameter).

Templates call these as Jinja filters (see ``templating.py``); tests pin them with tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlsplit

# Month names spelled out here rather than with strftime("%b"), which follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BLANK = re.compile(r"\s+")

EXCERPT_CHARS = 300
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


def reflow(text: str | None) -> list[str]:
    """Paragraphs of an abstract with arXiv's hard line breaks joined.

    arXiv wraps abstracts at ~80 columns and starts a new paragraph with an indented line
    ("...settings.\\n  To this end, we..."); other sources use blank lines. Both start a
    paragraph; any other newline is just a wrap and becomes a space. A line ending in a hyphen
    is joined with a space too: in real abstracts that is mostly a suspended compound
    ("open-\\nand closed-source"), rarely a word split by its author.
    """
    if not text:
        return []
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        starts_paragraph = not stripped or line[:1].isspace()
        if starts_paragraph and current:
            paragraphs.append(" ".join(current))
            current = []
        if stripped:
            current.append(_BLANK.sub(" ", stripped))
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The start of an abstract for a card: re-flowed, at most ``limit`` characters plus "…".

    Cut at a word boundary so the card never ends inside a word.
    """
    flat = " ".join(reflow(text))
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1]
    space = cut.rfind(" ")
    # One giant "word" (a URL, a formula): cut it rather than show nothing.
    cut = cut[:space] if space > limit // 2 else flat[:limit]
    return cut.rstrip(" ,;:-–—(") + "…"


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


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None.

    Links come from imported data (abstracts, Hugging Face JSON); a ``javascript:`` URL must
    never become an ``href``.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


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
