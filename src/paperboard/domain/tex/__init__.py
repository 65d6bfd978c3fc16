"""TeX in titles, abstracts and names, read into text for pages, feeds and mail (pure).

One pipeline, a module per job:

  accents.py   accent macros in names and titles (``Bal\\'azs``) -> Unicode (``Balázs``)
  parser.py    TeX source -> pieces: runs of text, superscript and subscript (bounded in
               depth and size); ``tex_plain`` joins them into plain text
  excerpt.py   an abstract's paragraphs (arXiv's hard line breaks) and its start, cut by
               what a reader sees
  symbols.py   the macro tables the parser reads

The web layer turns pieces into escaped HTML (``web/render/format.py``); mail and feeds use
the plain text. docs/tex.md says why this is a hand-written reader and not a library.
"""

from paperboard.domain.tex.accents import detex_accents
from paperboard.domain.tex.excerpt import EXCERPT_CHARS, cut_words, excerpt_pieces, reflow
from paperboard.domain.tex.parser import (
    MAX_NESTING,
    MAX_TEX_CHARS,
    Piece,
    TexLimitExceeded,
    parse_tex,
    tex_pieces,
    tex_plain,
)

__all__ = [
    "EXCERPT_CHARS",
    "MAX_NESTING",
    "MAX_TEX_CHARS",
    "Piece",
    "TexLimitExceeded",
    "cut_words",
    "detex_accents",
    "excerpt_pieces",
    "parse_tex",
    "reflow",
    "tex_pieces",
    "tex_plain",
]
