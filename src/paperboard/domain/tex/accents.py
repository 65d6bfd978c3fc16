"""TeX accent macros in names and titles (``Bal\\'azs``) turned into Unicode (``Balázs``)."""

from __future__ import annotations

import re
import unicodedata

# Accent macro -> Unicode combining character.
_COMBINING = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "i": "ı",
}
# \'a  \'{a}  {\'a}  \'{\i}  \c{c}  \v s
_ACCENT = re.compile(
    r"\{?\\([\'`^\"~=.]|[uvHckr](?=[\s{]))\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))\}?"
)
_LETTER = re.compile(r"\{?\\(ss|o|O|l|L|ae|AE|oe|OE|aa|AA)(?![A-Za-z])\}?(?:\{\}|\s(?=[a-z]))?")


def _accent(match: re.Match[str]) -> str:
    base = match[2] or match[3]
    if base in ("\\i", "\\j"):
        base = base[1]
    if base.startswith("\\"):
        return match[0]
    return unicodedata.normalize("NFC", base + _COMBINING[match[1]])


def detex_accents(text: str) -> str:
    """Replace TeX accent and special-letter macros; leave everything else (math too) alone."""
    if "\\" not in text:
        return text
    text = _ACCENT.sub(_accent, text)
    return _LETTER.sub(lambda m: _LETTERS[m[1]], text)
