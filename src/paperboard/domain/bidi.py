"""Unicode's explicit bidirectional controls: embeddings, overrides and isolates.

U+202A-U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066-U+2069 (LRI, RLI, FSI, PDI) are invisible
and make the text after them display in another order than it is stored: "\u202eexe.txt"
shows as "txt.exe", and a name can make the rest of its line read backwards ("Trojan
Source", CVE-2021-42574). Right-to-left scripts need none of them (the Unicode bidi algorithm
orders Arabic or Hebrew by itself), so text that people write for others to read (comments,
display names, token names) is refused when it holds one, with a message that says why.
The marks U+200E/U+200F (LRM, RLM) only nudge neutral characters and are allowed.
"""

from __future__ import annotations

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_CONTROLS_REFUSED = (
    "cannot hold the invisible characters that reorder text (U+202A to U+202E, "
    "U+2066 to U+2069): they make it display in another order than it was written."
)


def has_bidi_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)
