"""An abstract's paragraphs, and its start cut by the characters a reader sees."""

from __future__ import annotations

import re

from paperboard.domain.tex.parser import Piece, tex_pieces

# A card's abstract start.
EXCERPT_CHARS = 300

_BLANK = re.compile(r"\s+")


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


def cut_words(flat: str, limit: int) -> str:
    """At most ``limit`` characters plus "…", cut at a word boundary so that a card never
    ends inside a word."""
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1]
    space = cut.rfind(" ")
    # One giant "word" (a URL, a formula): cut it rather than show nothing.
    cut = cut[:space] if space > limit // 2 else flat[:limit]
    return cut.rstrip(" ,;:-–—(") + "…"


def excerpt_pieces(text: str | None, limit: int = EXCERPT_CHARS) -> tuple[Piece, ...]:
    """The start of an abstract (re-flowed) as pieces, cut by the characters a reader sees,
    so a card never ends in the middle of "$\\times$" or of a superscript's markup."""
    pieces = tex_pieces(" ".join(reflow(text))) if text else ()
    visible = "".join(piece for _, piece in pieces)
    cut = cut_words(visible, limit)
    if cut == visible:
        return pieces
    remaining = len(cut) - 1  # the characters kept, before the "…"
    kept: list[Piece] = []
    for kind, piece in pieces:
        if remaining <= 0:
            break
        kept.append((kind, piece[:remaining]))
        remaining -= len(piece)
    return (*kept, ("", "…"))
