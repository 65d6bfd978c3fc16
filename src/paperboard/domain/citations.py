"""Reference-manager entries for arXiv papers (pure): what an export writes, how an imported
entry is matched to a paper, and TeX in a BibTeX title kept valid.

Matching an imported entry, most certain first: an arXiv id in an ``eprint``-like field, an
arXiv URL, arXiv's DOI (``10.48550/arXiv.<id>``), ``arXiv:<id>`` in free text (Google Scholar
writes ``journal = {arXiv preprint arXiv:1706.03762}``); then the exact title, compared as
:func:`title_key` reads it (TeX as text, case and punctuation aside).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from paperboard.domain.arxiv_id import InvalidArxivId, abs_url, parse_arxiv_id
from paperboard.domain.tex import TexLimitExceeded, tex_plain

ARXIV_DOI_PREFIX = "10.48550/arXiv."

# Fields whose whole value is an identifier (BibTeX's eprint, biblatex's eprint with
# eprinttype, and fields other tools write), read only as an arXiv id.
ID_FIELDS = ("eprint", "arxivid", "arxiv_id", "arxiv", "eprintid", "number")
# The archive an ``eprint`` belongs to, when a tool says: anything but arXiv is not ours.
ARCHIVE_FIELDS = ("archiveprefix", "eprinttype", "archive")

_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/([A-Za-z.-]{1,40}/\d{7}|\d{4}\.\d{4,5})(?:v\d{1,4})?",
    re.IGNORECASE,
)
_ARXIV_DOI = re.compile(
    r"10\.48550/arxiv\.([A-Za-z.-]{1,40}/\d{7}|\d{4}\.\d{4,5})(?:v\d{1,4})?", re.IGNORECASE
)
_ARXIV_LABEL = re.compile(
    r"\barxiv:\s?([A-Za-z.-]{1,40}/\d{7}|\d{4}\.\d{4,5})(?:v\d{1,4})?", re.IGNORECASE
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def arxiv_doi(arxiv_id: str) -> str:
    """The DataCite DOI arXiv registers for every paper."""
    return ARXIV_DOI_PREFIX + arxiv_id


@dataclass(frozen=True, slots=True)
class Citation:
    """One paper as an export writes it."""

    arxiv_id: str
    title: str  # as arXiv writes it (TeX kept)
    authors: Sequence[str]
    abstract: str
    published: date | None
    primary_category: str | None
    doi: str | None  # the published version's DOI when known, else None
    journal_ref: str | None
    note: str | None  # the collection item's note

    @property
    def url(self) -> str:
        return abs_url(self.arxiv_id)

    @property
    def any_doi(self) -> str:
        """The published version's DOI, else arXiv's own."""
        return self.doi or arxiv_doi(self.arxiv_id)


@dataclass(frozen=True, slots=True)
class ReadEntry:
    """One entry of an imported file, as its format's reader found it."""

    position: int  # 1-based, in file order
    key: str | None  # the citation key or record id, to name it in a report
    title: str | None
    # Every (field name in lower case, text value) the entry has, lists flattened.
    fields: tuple[tuple[str, str], ...]
    note: str | None = None


def _parsed(text: str) -> str | None:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        return None


def find_arxiv_id(fields: Iterable[tuple[str, str]]) -> str | None:
    """The arXiv id an entry names (see the module docstring), or None."""
    pairs = [(name.lower(), value) for name, value in fields if isinstance(value, str)]
    archives = {value.strip().lower() for name, value in pairs if name in ARCHIVE_FIELDS}
    if not archives or "arxiv" in archives:
        for name, value in pairs:
            if name in ID_FIELDS and (found := _parsed(value.strip())):
                return found
    for pattern in (_ARXIV_URL, _ARXIV_DOI, _ARXIV_LABEL):
        for _, value in pairs:
            match = pattern.search(value)
            if match and (found := _parsed(match.group(1))):
                return found
    return None


def title_key(title: str) -> str:
    """What makes two titles the same title: TeX read as text, Unicode compatibility forms,
    case, accents kept, punctuation and spacing aside."""
    try:
        plain = tex_plain(title)
    except TexLimitExceeded:
        plain = title
    plain = plain.replace("{", " ").replace("}", " ")
    folded = unicodedata.normalize("NFKC", plain).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def plain_title(title: str) -> str:
    """The title as text (for RIS and CSL-JSON, whose readers do not read TeX)."""
    try:
        return " ".join(tex_plain(title).split())
    except TexLimitExceeded:
        return title


# --- BibTeX -----------------------------------------------------------------------------------

_MATH = re.compile(r"(?<!\\)\$\$?.*?(?<!\\)\$\$?|\\\(.*?\\\)", re.DOTALL)
_SPECIAL = re.compile(r"(?<!\\)([&%#_])")
# A word with a capital after its first letter (BERT, ImageNet, GPT-4's "GPT"): braced so that
# a style that lower-cases titles keeps it. Not a command's name (``\LaTeX``).
_CAPITALISED = re.compile(r"(?<![\\\w{])([A-Za-z]+[A-Z][A-Za-z0-9]*)(?![\w}])")


def _braces_balance(text: str) -> bool:
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def bibtex_title(title: str) -> str:
    """``title`` as a BibTeX field value that TeX reads as arXiv meant it: math kept as
    written, ``& % # _`` escaped outside math, braces balanced (unbalanced ones escaped),
    capitalised words braced."""
    text = " ".join(title.split())
    if text.count("$") - text.count("\\$") & 1:  # an unclosed math shift: all literal
        text = re.sub(r"(?<!\\)\$", r"\\$", text)
    if not _braces_balance(text):
        text = re.sub(r"(?<!\\)([{}])", r"\\\1", text)
    pieces: list[str] = []
    position = 0
    for match in _MATH.finditer(text):
        pieces.append(_bibtex_text(text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(_bibtex_text(text[position:]))
    return "".join(pieces)


def _bibtex_text(text: str) -> str:
    return _CAPITALISED.sub(r"{\1}", _SPECIAL.sub(r"\\\1", text))


def bibtex_name(name: str) -> str:
    """An author for BibTeX's ``author`` list: a name holding a comma or the word "and"
    would be read as two people or as "Last, First", so it is braced whole."""
    if "," in name or re.search(r"\band\b", name, re.IGNORECASE) or not _braces_balance(name):
        return "{" + name.replace("{", "").replace("}", "") + "}"
    return name


def citation_key(citation: Citation, taken: set[str]) -> str:
    """arXiv's style: first author's last name, year, first title word (``vaswani2017attention``),
    ASCII letters and digits, a letter appended when the key is taken."""
    last = citation.authors[0].split()[-1] if citation.authors and citation.authors[0] else ""
    words = title_key(citation.title).split()
    year = str(citation.published.year) if citation.published else ""
    base = _ascii_word(last) + year + (_ascii_word(words[0]) if words else "")
    if not base or base.isdigit():
        base = "arxiv" + _ascii_word(citation.arxiv_id) + base
    key = base
    suffix = 0
    while key in taken:
        suffix += 1
        key = base + _letters(suffix)
    taken.add(key)
    return key


def _ascii_word(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _letters(number: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa: the suffixes of clashing keys."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def split_name(name: str) -> tuple[str, str]:
    """(family, given) of a name as arXiv writes it ("Given Family"): the last word is the
    family name, unless the name already says "Family, Given"."""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    words = name.split()
    if len(words) < 2:
        return name.strip(), ""
    return words[-1], " ".join(words[:-1])


def field_values(mapping: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """(name, text) pairs of a reader's record: lists flattened, non-text values left out."""
    pairs: list[tuple[str, str]] = []
    for name, value in mapping.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((name.lower(), item) for item in values if isinstance(item, str))
    return tuple(pairs)
