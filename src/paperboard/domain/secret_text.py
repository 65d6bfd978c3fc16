"""Secrets in text: hiding them in what is printed, and telling a random key from a trivial one.

Pure functions for ``config`` (start-up errors, ``paperboard config``) and anything else that
prints a URL which may carry a password.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

HIDDEN = "********"


def _spread_bits(items: Sequence[object]) -> float:
    """Shannon entropy per item of ``items``' own frequencies."""
    counts = Counter(items)
    total = len(items)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def estimated_entropy_bits(text: str) -> float:
    """A rough, conservative estimate of how many random bits ``text`` holds: its shortest
    repeating unit's length times the lesser spread of its characters and of the steps
    between them. Repeats ("aaaa", "abab", "password" x 5) and runs ("abcd...", "0123...")
    score near 0. Not a strength meter: it only tells a random key from a trivial one."""
    period = next((p for p in range(1, len(text) // 2 + 1) if text[p:] == text[:-p]), len(text))
    unit = text[:period]
    steps = [ord(b) - ord(a) for a, b in pairwise(unit)]
    return len(unit) * min(_spread_bits(unit), _spread_bits(steps))


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``: fit for messages and output.
    Works on text no URL parser accepts (that is when it ends up in an error message)."""
    scheme, separator, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not separator:
        return HIDDEN if "@" in url else url
    if not at or userinfo.startswith("/") or ":" not in userinfo:
        return url  # no password (an "@" in a path is not one)
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{host}"
