"""TeX source (titles, abstracts) read into pieces: runs of text, superscript and subscript.

arXiv metadata is TeX source: "$10^5\\times$ fewer", "40\\%", "\\emph{strictly} weaker". Pages
show it as text a reader can follow without a math engine (no JS, nothing to download): known
macros become Unicode, sub- and superscripts become pieces of their own (or Unicode digits,
"O(n²)"), markup macros keep their text, and anything not understood is kept as written.

Bounded, because one hostile record must not take pages down: the reader follows at most
``MAX_NESTING`` nested groups, arguments and formulas and reads at most ``MAX_TEX_CHARS``
characters; past either, :func:`tex_pieces` gives the source as written. Every character is read
once and every closing delimiter is found through an index, so time is linear in the input.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

from paperboard.domain.tex.accents import detex_accents
from paperboard.domain.tex.symbols import (
    ACCENTS,
    CONTROL_SYMBOLS,
    DOUBLE_STRUCK,
    DROP_ARGUMENT,
    KEEP_ARGUMENT,
    OPERATORS,
    ROOTS,
    SCRIPT_WORDS,
    SUBSCRIPT,
    SUBSCRIPT_CHARS,
    SUPERSCRIPT,
    SUPERSCRIPT_CHARS,
    SWITCHES,
    SYMBOLS,
)

Piece = tuple[str, str]  # (kind, text) with kind "" (text), "sup" or "sub"

# Real abstracts nest a few levels (in the 88,864-paper sample: at most 5); a record nested
# deeper is broken or hostile. 32 levels cost ~160 Python frames, far from the interpreter's
# limit of 1,000 even under a web framework's and a template engine's own frames.
MAX_NESTING = 32
# arXiv caps an abstract at 1,920 characters (the sample's longest title or abstract: 3,488);
# longer text is shown as written rather than read.
MAX_TEX_CHARS = 20_000

# What text with something to render contains (most titles have none of these). Plain
# substring tests: one regex alternation over the whole text was ~10 times slower.
_TEX_MARKS = ("\\", "$", "{", "}", "``", "''", "--")
# Runs of characters with no meaning to TeX in text and in math mode.
_TEXT_RUN = re.compile(r"[^\\$`{}'\-]+")
_MATH_RUN = re.compile(r"[^\\${}^_'~\s]+")
_FLAG = re.compile(r"(?:^|(?<=\s))--(?=[A-Za-z])")  # a command-line flag, not a dash
_NON_SPACE = re.compile(r"\S")


class TexLimitExceeded(ValueError):
    """The source nests deeper than ``MAX_NESTING`` or is longer than ``MAX_TEX_CHARS``."""


class _Delimiters:
    """Where each closing delimiter occurs, found once per text and then looked up.

    Searching the rest of the text for a closing "$" at every opening one was quadratic: an
    abstract of 5,600 unmatched dollars took 11 s.
    """

    def __init__(self, source: str) -> None:
        self._source = source
        self._positions: dict[str, list[int]] = {}

    def next(self, needle: str, start: int) -> int:
        """The first ``needle`` at or after ``start``, or -1.

        A dollar right after a backslash is an escaped one (``\\$``) and never closes math.
        """
        positions = self._positions.get(needle)
        if positions is None:
            positions = self._positions[needle] = self._find_all(needle)
        index = bisect_left(positions, start)
        return positions[index] if index < len(positions) else -1

    def _find_all(self, needle: str) -> list[int]:
        source = self._source
        skip_escaped = needle.startswith("$")
        positions = []
        found = source.find(needle)
        while found >= 0:
            if not (skip_escaped and found > 0 and source[found - 1] == "\\"):
                positions.append(found)
            found = source.find(needle, found + 1)
        return positions


class _TexParser:
    """A forgiving reader of the TeX found in abstracts: any input gives pieces or
    :class:`TexLimitExceeded`, never another error."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.depth = 0
        self.delimiters = _Delimiters(source)

    def parse(self) -> list[Piece]:
        out: list[Piece] = []
        while self.pos < len(self.source):
            self._read_until(out, math=False, stop=None, group=False)
            if self.pos < len(self.source):  # a stray "}": TeX would fail; we drop it
                self.pos += 1
        return out

    def _descend(self) -> None:
        # Every recursion passes through a group, an argument or a formula: counting those
        # bounds the reader's depth. The whole parse is abandoned past the limit.
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise TexLimitExceeded(f"TeX nested deeper than {MAX_NESTING} levels")

    def _read_until(self, out: list[Piece], *, math: bool, stop: str | None, group: bool) -> None:
        """Append pieces until the end, ``stop`` (consumed unless in a group) or a "}"."""
        source = self.source
        while self.pos < len(source):
            if stop is not None and source.startswith(stop, self.pos):
                if not group:
                    self.pos += len(stop)
                return
            run = (_MATH_RUN if math else _TEXT_RUN).match(source, self.pos)
            if run:
                # Plain characters in one step: per-character work made long abstracts slow.
                _emit(out, "", run.group())
                self.pos = run.end()
                continue
            char = source[self.pos]
            if char == "}":
                if group:
                    self.pos += 1
                return
            if char == "{":
                self.pos += 1
                self._descend()
                self._read_until(out, math=math, stop=stop, group=True)
                self.depth -= 1
            elif char == "\\":
                self._macro(out, math=math, stop=stop)
            elif char == "$":
                self._dollar(out)
            elif math:
                self._math_char(out, char, stop)
            else:
                self._text_char(out, char)

    # --- text mode ---

    def _text_char(self, out: list[Piece], char: str) -> None:
        source = self.source
        if char == "`" and source.startswith("``", self.pos):
            _emit(out, "", "“")
            self.pos += 2
        elif char == "'" and source.startswith("''", self.pos):
            _emit(out, "", "”")
            self.pos += 2
        elif char == "-" and source.startswith("---", self.pos):
            _emit(out, "", "—")
            self.pos += 3
        elif (
            char == "-" and source.startswith("--", self.pos) and not _FLAG.match(source, self.pos)
        ):
            _emit(out, "", "–")
            self.pos += 2
        else:
            _emit(out, "", char)
            self.pos += 1

    def _dollar(self, out: list[Piece]) -> None:
        display = self.source.startswith("$$", self.pos)
        delimiter = "$$" if display else "$"
        if not self._math(out, self.pos + len(delimiter), delimiter):
            _emit(out, "", "$")  # an unmatched dollar is a dollar ("costs $5")
            self.pos += 1

    def _math(self, out: list[Piece], start: int, closing: str) -> bool:
        """Read math from ``start`` to ``closing``; False (nothing read) when it never closes."""
        end = self.delimiters.next(closing, start)
        # A search, not a copy of the formula: it stops at the first non-space character.
        if end < 0 or not _NON_SPACE.search(self.source, start, end):
            return False
        self.pos = start
        pieces: list[Piece] = []
        self._descend()
        self._read_until(pieces, math=True, stop=closing, group=False)
        self.depth -= 1
        for kind, text in _strip_pieces(pieces):
            _emit(out, kind, text)
        return True

    # --- math mode ---

    def _math_char(self, out: list[Piece], char: str, stop: str | None) -> None:
        self.pos += 1
        if char in "^_":
            self._script(out, "sup" if char == "^" else "sub", stop)
        elif char == "'":
            _emit(out, "", "′")
        elif char == "~" or char.isspace():
            _space(out)
        else:
            _emit(out, "", char)

    def _script(self, out: list[Piece], kind: str, stop: str | None) -> None:
        text = _plain(self._argument(math=True, stop=stop)).strip()
        if not text:
            return
        if kind == "sup" and text in SCRIPT_WORDS:
            _emit(out, "", SCRIPT_WORDS[text])
        elif kind == "sup" and set(text) <= SUPERSCRIPT_CHARS:
            _emit(out, "", text.translate(SUPERSCRIPT))
        elif kind == "sub" and set(text) <= SUBSCRIPT_CHARS:
            _emit(out, "", text.translate(SUBSCRIPT))
        else:
            _emit(out, kind, text)

    def _argument(self, *, math: bool, stop: str | None) -> list[Piece]:
        """The next argument of a macro or script: a {group}, a macro, or one character."""
        self._descend()
        pieces = self._argument_pieces(math=math, stop=stop)
        self.depth -= 1
        return pieces

    def _argument_pieces(self, *, math: bool, stop: str | None) -> list[Piece]:
        source = self.source
        while self.pos < len(source) and source[self.pos] == " ":
            self.pos += 1
        if self.pos >= len(source) or (stop is not None and source.startswith(stop, self.pos)):
            return []
        pieces: list[Piece] = []
        char = source[self.pos]
        if char == "{":
            self.pos += 1
            self._read_until(pieces, math=math, stop=stop, group=True)
        elif char == "\\":
            self._macro(pieces, math=math, stop=stop)
        elif char == "}":
            return []
        else:
            self.pos += 1
            _emit(pieces, "", "′" if math and char == "'" else char)
        return pieces

    def _optional_argument(self) -> str | None:
        source = self.source
        if self.pos < len(source) and source[self.pos] == "[":
            end = self.delimiters.next("]", self.pos)
            if end > 0:
                value = source[self.pos + 1 : end]
                self.pos = end + 1
                return value
        return None

    # --- macros, in both modes ---

    def _macro(self, out: list[Piece], *, math: bool, stop: str | None) -> None:
        source = self.source
        start = self.pos
        self.pos += 1
        if self.pos >= len(source):
            _emit(out, "", "\\")
            return
        first = source[self.pos]
        if not first.isascii() or not first.isalpha():
            self._control_symbol(out, first, math=math)
            return
        end = self.pos
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        name = source[self.pos : end]
        self.pos = end
        if name in SWITCHES:
            self._skip_spaces()
            if name in ("left", "right", "middle") and source.startswith(".", self.pos):
                self.pos += 1  # \left. is an invisible delimiter
        elif name in SYMBOLS:
            _emit(out, "", SYMBOLS[name])
            if not math and self.source.startswith("{}", self.pos):
                self.pos += 2  # "\LaTeX{} is": the braces only keep the space
        elif name in OPERATORS:
            # TeX sets operator names apart: "n\log n" reads "n log n".
            if out and (out[-1][1][-1:].isalnum() or out[-1][1].endswith(")")):
                _emit(out, "", " ")
            _emit(out, "", name)
            following = source[self.pos : self.pos + 1]
            if following.isalnum() or following in ("{", "\\"):
                _emit(out, "", " ")
        elif name in KEEP_ARGUMENT:
            # \text{...} inside math is prose again, and prose may hold math.
            inner_math = math and not name.startswith("text") and name not in ("mbox", "hbox")
            _extend(out, self._argument(math=inner_math, stop=stop))
        elif name in DROP_ARGUMENT:
            self._optional_argument()
            self._argument(math=math, stop=stop)
        elif name in ACCENTS:
            text = _plain(self._argument(math=math, stop=stop))
            _emit(out, "", text + ACCENTS[name] if len(text) == 1 else text)
        elif name == "mathbb":
            text = _plain(self._argument(math=math, stop=stop))
            _emit(out, "", "".join(DOUBLE_STRUCK.get(char, char) for char in text))
        elif name in ("frac", "dfrac", "tfrac"):
            numerator = self._argument(math=math, stop=stop)
            denominator = self._argument(math=math, stop=stop)
            _extend(out, _operand(numerator, loose=True))
            _emit(out, "", "/")
            _extend(out, _operand(denominator, loose=True))
        elif name == "sqrt":
            index = self._optional_argument()
            radicand = self._argument(math=math, stop=stop)
            _emit(out, "", ROOTS.get((index or "").strip(), "√"))
            _extend(out, _operand(radicand, loose=False))
        elif name in ("href", "textcolor"):
            self._argument(math=math, stop=stop)  # the URL or colour; the text follows
            _extend(out, self._argument(math=math, stop=stop))
        elif name in ("textsuperscript", "textsubscript"):
            text = _plain(self._argument(math=math, stop=stop))
            if text:
                _emit(out, "sup" if name == "textsuperscript" else "sub", text)
        elif name == "footnote":
            text = _plain(self._argument(math=math, stop=stop)).strip()
            if text:
                _emit(out, "", f" ({text})")
        else:
            # A macro we do not know (often the author's own, like \ours): shown as written,
            # which is more honest than guessing.
            _emit(out, "", source[start:end])

    def _control_symbol(self, out: list[Piece], char: str, *, math: bool) -> None:
        if char in "([" and not math:
            closing = "\\)" if char == "(" else "\\]"
            if self._math(out, self.pos + 1, closing):
                return
        self.pos += 1
        if math and char in ",:;> ":
            _space(out)
        elif char in CONTROL_SYMBOLS:
            _emit(out, "", CONTROL_SYMBOLS[char])
        else:
            _emit(out, "", "\\" + char)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos] == " ":
            self.pos += 1


def _space(out: list[Piece]) -> None:
    # Spaces in math are the author's layout: keep one, so "n \times m" reads well.
    if not out or not out[-1][1].endswith(" "):
        _emit(out, "", " ")


def _emit(out: list[Piece], kind: str, text: str) -> None:
    # Appended as they come (joining strings here would be quadratic); see _merge.
    if text:
        out.append((kind, text))


def _extend(out: list[Piece], pieces: Iterable[Piece]) -> None:
    for kind, text in pieces:
        _emit(out, kind, text)


def _merge(pieces: Iterable[Piece]) -> list[Piece]:
    """Adjacent pieces of one kind joined into one."""
    merged: list[tuple[str, list[str]]] = []
    for kind, text in pieces:
        if merged and merged[-1][0] == kind:
            merged[-1][1].append(text)
        else:
            merged.append((kind, [text]))
    return [(kind, "".join(parts)) for kind, parts in merged]


def _plain(pieces: Iterable[Piece]) -> str:
    return "".join(text for _, text in pieces)


def _operand(pieces: list[Piece], *, loose: bool) -> list[Piece]:
    """A fraction's or root's operand, parenthesised when it is more than one token.

    ``loose``: a run of letters and digits counts as one token ("ds/dt"); otherwise only one
    character (with its scripts) or a number does ("√2", "√d_k", but "√(HSAT)").
    """
    pieces = _strip_pieces(pieces)
    text = _plain(pieces)
    if not text:
        return []
    single = len(pieces[0][1]) == 1 and pieces[0][0] == "" and all(k for k, _ in pieces[1:])
    if single or text.replace(".", "").isdigit() or (loose and text.isalnum()):
        return pieces
    return [("", "("), *pieces, ("", ")")]


def _strip_pieces(pieces: Iterable[Piece]) -> list[Piece]:
    """Math without the spaces just inside its dollars."""
    pieces = _merge(pieces)
    if pieces and pieces[0][0] == "":
        pieces[0] = ("", pieces[0][1].lstrip())
    if pieces and pieces[-1][0] == "":
        pieces[-1] = ("", pieces[-1][1].rstrip())
    return [piece for piece in pieces if piece[1]]


def parse_tex(text: str) -> list[Piece]:
    """``text`` (TeX source) read into pieces; :class:`TexLimitExceeded` past the limits."""
    if len(text) > MAX_TEX_CHARS:
        raise TexLimitExceeded(f"TeX source longer than {MAX_TEX_CHARS:,} characters")
    return _merge(_TexParser(detex_accents(text)).parse())


@lru_cache(maxsize=16384)
def tex_pieces(text: str) -> tuple[Piece, ...]:
    """``text`` (TeX source) as runs of plain text, superscript and subscript; the source as
    written, in one text piece, when it is past the reader's limits.

    Cached: the same titles and abstracts are shown on every request for a board.
    """
    if not any(mark in text for mark in _TEX_MARKS):
        return (("", text),) if text else ()
    try:
        return tuple(parse_tex(text))
    except TexLimitExceeded:
        return (("", text),)


def tex_plain(text: str | None) -> str:
    """TeX source as plain text (scripts inline), for <meta> descriptions, feeds and mail."""
    return _plain(tex_pieces(text)) if text else ""
