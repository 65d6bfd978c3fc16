"""Presentation helpers for pages: pure functions, no I/O, no clock (``today`` is a parameter).

Templates call these as Jinja filters (see ``templating.py``); tests pin them with tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from paperboard.domain.tex import detex_accents

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
    return _cut(" ".join(reflow(text)), limit)


def _cut(flat: str, limit: int) -> str:
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


# --- TeX in titles and abstracts --------------------------------------------------------------
# arXiv metadata is TeX source: "$10^5\times$ fewer", "40\%", "\emph{strictly} weaker". Pages
# show it as text a reader can follow without a math engine (no JS, nothing to download): known
# macros become Unicode, sub- and superscripts become <sub>/<sup> (or Unicode digits, "O(n²)"),
# markup macros keep their text, and anything not understood is shown as written. Everything
# is escaped; the only tags in the output are the <sup>/<sub> added here.

Piece = tuple[str, str]  # (kind, text) with kind "" (text), "sup" or "sub"

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "upmu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ",
    "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ",
    "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ",
    "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
_SYMBOLS = {
    **_GREEK,
    # Relations and operators.
    "times": "×", "div": "÷", "pm": "±", "mp": "∓", "cdot": "·", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "•", "odot": "⊙", "oplus": "⊕", "ominus": "⊖", "otimes": "⊗",
    "sim": "∼", "simeq": "≃", "approx": "≈", "cong": "≅", "equiv": "≡", "propto": "∝",
    "neq": "≠", "ne": "≠", "le": "≤", "leq": "≤", "leqslant": "⩽", "ge": "≥", "geq": "≥",
    "geqslant": "⩾", "lesssim": "≲", "gtrsim": "≳", "lessapprox": "⪅", "gtrapprox": "⪆",
    "ll": "≪", "gg": "≫", "lt": "<", "gt": ">", "prec": "≺", "succ": "≻", "preceq": "⪯",
    "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃",
    "supseteq": "⊇", "cup": "∪", "cap": "∩", "setminus": "∖", "emptyset": "∅",
    "varnothing": "∅", "wedge": "∧", "land": "∧", "vee": "∨", "lor": "∨", "neg": "¬",
    "lnot": "¬", "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇", "infty": "∞",
    "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "perp": "⊥", "bot": "⊥", "top": "⊤",
    "parallel": "∥", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "angle": "∠", "triangle": "△", "square": "□", "Box": "□", "bigstar": "★",
    "dagger": "†", "ddagger": "‡", "ell": "ℓ", "hbar": "ℏ", "prime": "′", "Re": "ℜ", "Im": "ℑ",
    "aleph": "ℵ", "wp": "℘", "checkmark": "✓",
    # Arrows.
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "implies": "⟹", "iff": "⟺",
    "mapsto": "↦", "uparrow": "↑", "downarrow": "↓", "longrightarrow": "⟶",
    # Delimiters.
    "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋",
    "lbrace": "{", "rbrace": "}",
    # Dots and text symbols.
    "dots": "…", "ldots": "…", "cdots": "⋯", "dotsc": "…", "vdots": "⋮", "ddots": "⋱",
    "degree": "°", "textdegree": "°", "degr": "°", "arcdeg": "°", "arcsec": "″", "arcmin": "′",
    "AA": "Å", "angstrom": "Å", "S": "§", "P": "¶", "copyright": "©", "textregistered": "®",
    "circledR": "®", "texttrademark": "™", "textemdash": "—", "textendash": "–",
    "textasciitilde": "~", "textasciicircum": "^", "textless": "<", "textgreater": ">",
    "textbackslash": "\\", "textbar": "|", "textmu": "μ", "slash": "/", "sun": "☉",
    "Msun": "M☉", "msun": "M☉", "kms": "km s⁻¹", "LaTeX": "LaTeX", "TeX": "TeX",
    # Shorthands authors define in their papers and forget in the abstract.
    "ie": "i.e.", "eg": "e.g.", "etal": "et al.", "etc": "etc.", "vs": "vs.", "wrt": "w.r.t.",
    # Spacing.
    "quad": " ", "qquad": " ", "space": " ", "enspace": " ", "thinspace": "\u2009",
}  # fmt: skip
# Operator names print as words (upright in TeX).
_OPERATORS = frozenset(
    [
        "log",
        "ln",
        "lg",
        "exp",
        "sin",
        "cos",
        "tan",
        "sec",
        "csc",
        "cot",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "max",
        "min",
        "sup",
        "inf",
        "arg",
        "argmax",
        "argmin",
        "lim",
        "liminf",
        "limsup",
        "det",
        "dim",
        "ker",
        "deg",
        "gcd",
        "Pr",
        "mod",
        "bmod",
    ]
)
# Font and markup macros whose single argument is kept as plain text.
_KEEP_ARGUMENT = frozenset(
    [
        "text",
        "textrm",
        "textbf",
        "textit",
        "textsl",
        "textsf",
        "texttt",
        "textsc",
        "textup",
        "textmd",
        "textnormal",
        "emph",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathscr",
        "mathfrak",
        "mathnormal",
        "boldsymbol",
        "bm",
        "pmb",
        "mbox",
        "hbox",
        "operatorname",
        "underline",
        "uline",
        "overbrace",
        "underbrace",
        "url",
        "enquote",
        "texorpdfstring",
        "mathbin",
        "mathrel",
        "mathop",
        "smash",
        "boxed",
    ]
)
# Arguments that are not prose (citations, labels, colours): dropped.
_DROP_ARGUMENT = frozenset(
    ["cite", "citep", "citet", "citealp", "citeauthor", "ref", "eqref", "label", "color"]
)
# Declarations that change fonts or sizes: no text of their own.
_SWITCHES = frozenset(
    [
        "rm",
        "bf",
        "it",
        "em",
        "sc",
        "tt",
        "sf",
        "sl",
        "cal",
        "bfseries",
        "itshape",
        "ttfamily",
        "scshape",
        "rmfamily",
        "sffamily",
        "mdseries",
        "upshape",
        "normalfont",
        "boldmath",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "scriptscriptstyle",
        "left",
        "right",
        "middle",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "limits",
        "nolimits",
        "tiny",
        "scriptsize",
        "footnotesize",
        "small",
        "normalsize",
        "large",
        "Large",
        "LARGE",
        "huge",
        "Huge",
        "noindent",
        "centering",
        "nonumber",
        "protect",
        "relax",
        "footnotemark",
    ]
)
_ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "tilde": "\u0303", "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308",
    "vec": "\u20d7", "check": "\u030c", "breve": "\u0306", "acute": "\u0301",
    "grave": "\u0300", "mathring": "\u030a",
}  # fmt: skip
_DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_CONTROL_SYMBOLS = {
    "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", "|": "‖",
    ",": "\u2009", ":": " ", ";": " ", ">": " ", " ": " ", "!": "", "-": "", "/": "",
    "\\": " ",
}  # fmt: skip
# Unicode has super- and subscript digits and signs that every font draws; letters (but n, i)
# are patchy, so those go in <sup>/<sub>.
_SUPERSCRIPT = str.maketrans("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPT = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
_SUPERSCRIPT_CHARS = frozenset("0123456789+-−=()ni")
_SUBSCRIPT_CHARS = frozenset("0123456789+-−=()")
_SCRIPT_WORDS = {"∘": "°", "′": "′", "′′": "″", "'": "′", "''": "″"}
# What text with something to render contains (most titles have none of these). Plain
# substring tests: one regex alternation over the whole text was ~10 times slower.
_TEX_MARKS = ("\\", "$", "{", "}", "``", "''", "--")
# Runs of characters with no meaning to TeX in text and in math mode.
_TEXT_RUN = re.compile(r"[^\\$`{}'\-]+")
_MATH_RUN = re.compile(r"[^\\${}^_'~\s]+")
_FLAG = re.compile(r"(?:^|(?<=\s))--(?=[A-Za-z])")  # a command-line flag, not a dash


class _TexParser:
    """A forgiving reader of the TeX found in abstracts: never fails, whatever the input."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def parse(self) -> list[Piece]:
        out: list[Piece] = []
        while self.pos < len(self.source):
            self._read_until(out, math=False, stop=None, group=False)
            if self.pos < len(self.source):  # a stray "}": TeX would fail; we drop it
                self.pos += 1
        return out

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
                self._read_until(out, math=math, stop=stop, group=True)
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
        end = _find_unescaped(self.source, closing, start)
        if end < 0 or not self.source[start:end].strip():
            return False
        self.pos = start
        pieces: list[Piece] = []
        self._read_until(pieces, math=True, stop=closing, group=False)
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
        text = "".join(t for _, t in self._argument(math=True, stop=stop)).strip()
        if not text:
            return
        if kind == "sup" and text in _SCRIPT_WORDS:
            _emit(out, "", _SCRIPT_WORDS[text])
        elif kind == "sup" and set(text) <= _SUPERSCRIPT_CHARS:
            _emit(out, "", text.translate(_SUPERSCRIPT))
        elif kind == "sub" and set(text) <= _SUBSCRIPT_CHARS:
            _emit(out, "", text.translate(_SUBSCRIPT))
        else:
            _emit(out, kind, text)

    def _argument(self, *, math: bool, stop: str | None) -> list[Piece]:
        """The next argument of a macro or script: a {group}, a macro, or one character."""
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
            end = source.find("]", self.pos)
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
        if name in _SWITCHES:
            self._skip_spaces()
            if name in ("left", "right", "middle") and source.startswith(".", self.pos):
                self.pos += 1  # \left. is an invisible delimiter
        elif name in _SYMBOLS:
            _emit(out, "", _SYMBOLS[name])
            if not math and self.source.startswith("{}", self.pos):
                self.pos += 2  # "\LaTeX{} is": the braces only keep the space
        elif name in _OPERATORS:
            # TeX sets operator names apart: "n\log n" reads "n log n".
            if out and (out[-1][1][-1:].isalnum() or out[-1][1].endswith(")")):
                _emit(out, "", " ")
            _emit(out, "", name)
            following = source[self.pos : self.pos + 1]
            if following.isalnum() or following in ("{", "\\"):
                _emit(out, "", " ")
        elif name in _KEEP_ARGUMENT:
            # \text{...} inside math is prose again, and prose may hold math.
            inner_math = math and not name.startswith("text") and name not in ("mbox", "hbox")
            for piece in self._argument(math=inner_math, stop=stop):
                _emit(out, *piece)
        elif name in _DROP_ARGUMENT:
            self._optional_argument()
            self._argument(math=math, stop=stop)
        elif name in _ACCENTS:
            text = _plain(self._argument(math=math, stop=stop))
            _emit(out, "", text + _ACCENTS[name] if len(text) == 1 else text)
        elif name == "mathbb":
            text = _plain(self._argument(math=math, stop=stop))
            _emit(out, "", "".join(_DOUBLE_STRUCK.get(char, char) for char in text))
        elif name in ("frac", "dfrac", "tfrac"):
            numerator = self._argument(math=math, stop=stop)
            denominator = self._argument(math=math, stop=stop)
            _extend(out, _operand(numerator, loose=True))
            _emit(out, "", "/")
            _extend(out, _operand(denominator, loose=True))
        elif name == "sqrt":
            index = self._optional_argument()
            radicand = self._argument(math=math, stop=stop)
            _emit(out, "", {"3": "∛", "4": "∜"}.get((index or "").strip(), "√"))
            _extend(out, _operand(radicand, loose=False))
        elif name in ("href", "textcolor"):
            self._argument(math=math, stop=stop)  # the URL or colour; the text follows
            for piece in self._argument(math=math, stop=stop):
                _emit(out, *piece)
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
        elif char in _CONTROL_SYMBOLS:
            _emit(out, "", _CONTROL_SYMBOLS[char])
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


def _merge(pieces: Iterable[Piece]) -> list[Piece]:
    """Adjacent pieces of one kind joined into one."""
    merged: list[tuple[str, list[str]]] = []
    for kind, text in pieces:
        if merged and merged[-1][0] == kind:
            merged[-1][1].append(text)
        else:
            merged.append((kind, [text]))
    return [(kind, "".join(parts)) for kind, parts in merged]


def _plain(pieces: list[Piece]) -> str:
    return "".join(text for _, text in pieces)


def _extend(out: list[Piece], pieces: Iterable[Piece]) -> None:
    for kind, text in pieces:
        _emit(out, kind, text)


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


def _find_unescaped(source: str, needle: str, start: int) -> int:
    while True:
        found = source.find(needle, start)
        if found <= 0 or source[found - 1] != "\\" or needle.startswith("\\"):
            return found
        start = found + 1


@lru_cache(maxsize=16384)
def tex_pieces(text: str) -> tuple[Piece, ...]:
    """``text`` (TeX source) as runs of plain text, superscript and subscript.

    Cached: the same titles and abstracts are shown on every request for a board.
    """
    if not any(mark in text for mark in _TEX_MARKS):
        return (("", text),) if text else ()
    return tuple(_merge(_TexParser(detex_accents(text)).parse()))


def _render_pieces(pieces: Iterable[Piece]) -> Markup:
    parts = []
    for kind, text in pieces:
        escaped = escape(text)
        parts.append(Markup(f"<{kind}>{escaped}</{kind}>") if kind else escaped)
    return Markup("").join(parts)


@lru_cache(maxsize=16384)
def render_tex(text: str | None) -> Markup:
    """HTML for TeX source: escaped text, with only the <sup>/<sub> tags added here."""
    if not text:
        return Markup("")
    return _render_pieces(tex_pieces(text))


def tex_plain(text: str | None) -> str:
    """TeX source as plain text (scripts inline), for <meta> descriptions and feeds."""
    return "".join(piece for _, piece in tex_pieces(text)) if text else ""


@lru_cache(maxsize=16384)
def tex_excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> Markup:
    """:func:`excerpt` of an abstract with its TeX rendered: cut by the characters a reader
    sees, so a card never ends in the middle of "$\\times$"."""
    pieces = tex_pieces(" ".join(reflow(text))) if text else ()
    visible = "".join(piece for _, piece in pieces)
    cut = _cut(visible, limit)
    if cut == visible:
        return _render_pieces(pieces)
    remaining = len(cut) - 1  # the characters kept, before the "…"
    kept: list[Piece] = []
    for kind, piece in pieces:
        if remaining <= 0:
            break
        kept.append((kind, piece[:remaining]))
        remaining -= len(piece)
    return _render_pieces([*kept, ("", "…")])


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
