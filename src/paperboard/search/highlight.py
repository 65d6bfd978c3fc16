"""Where the query's words occur in a result: spans in the title and a snippet of the abstract.

Matching is by a light stem (plural and verb endings dropped) so that "models" marks "model"
and "decoding" marks "decoder" no more than the keyword index would. Semantic hits may share
no word with the query: they get a snippet from the abstract's start and no spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from paperboard.domain.stopwords import STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ing", "es", "ed", "s")
MIN_STEM = 3
SNIPPET_CHARS = 280
Span = tuple[int, int]  # [start, end) character offsets


@dataclass(frozen=True)
class Highlight:
    title_spans: list[Span] = field(default_factory=list)
    snippet: str = ""
    snippet_spans: list[Span] = field(default_factory=list)  # offsets into ``snippet``
    matched_terms: list[str] = field(default_factory=list)  # query words found in the paper


# Abstracts repeat their words: remembering stems saved a third of the highlighting time of a
# results page (profiled: ~40,000 calls for 48 queries of 20 results).
@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    word = word.lower()
    return _suffix_stem(word) or word


def _suffix_stem(word: str) -> str | None:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return None


def term_stems(terms: list[str]) -> set[str]:
    # Stopwords are not marked: the keyword engines do not match them either.
    return {stem(t) for t in terms if t.lower() not in STOPWORDS and len(t) > 1}


def _pattern(stems: set[str]) -> re.Pattern[str] | None:
    """Lower-case words starting with one of ``stems``; each candidate is then stemmed. Run
    over lower-cased text without IGNORECASE: 2-3x faster here (a page of 20 abstracts in
    ~1.5 ms), and stemming only candidates instead of every word saves as much again."""
    if not stems:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})\w*")


def spans(text: str, stems: set[str], pattern: re.Pattern[str] | None = None) -> list[Span]:
    """Where words whose stem is one of ``stems`` occur in ``text``."""
    pattern = pattern or _pattern(stems)
    if pattern is None:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few Unicode letters lower-case to two characters
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    found = []
    for match in pattern.finditer(lowered):
        start = match.start()
        if start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
            continue  # inside a word, not at its start
        if stem(match.group(0)) in stems:
            found.append((start, match.end()))
    return found


def snippet(text: str, stems: set[str], width: int = SNIPPET_CHARS) -> tuple[str, list[Span]]:
    """The ``width``-character window of ``text`` with the most matches, cut at spaces."""
    flat = " ".join(text.split())
    return _window(flat, spans(flat, stems), width)


def _window(flat: str, all_spans: list[Span], width: int) -> tuple[str, list[Span]]:
    if len(flat) <= width:
        return flat, all_spans
    # Slide a window over the matches (two pointers): the start of the densest one wins.
    best_start, best_count, first = 0, 0, 0
    for last, (_start, end) in enumerate(all_spans):
        while first < last and end - all_spans[first][0] > width * 3 // 4:
            first += 1
        if last - first + 1 > best_count:
            best_count = last - first + 1
            best_start = max(0, all_spans[first][0] - width // 4)
    if best_start:
        space = flat.find(" ", best_start)
        best_start = space + 1 if 0 <= space < best_start + 20 else best_start
    end = min(len(flat), best_start + width)
    if end < len(flat):
        space = flat.rfind(" ", best_start, end)
        end = space if space > best_start + width // 2 else end
    prefix = "…" if best_start else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - best_start
    inside = [(s + shift, e + shift) for s, e in all_spans if s >= best_start and e <= end]
    return prefix + flat[best_start:end] + suffix, inside


class Highlighter:
    """The query's stems, prepared once for a page of results."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        self.stems = term_stems(terms)
        self.pattern = _pattern(self.stems)

    def __call__(self, title: str, abstract: str) -> Highlight:
        flat = " ".join(abstract.split())
        if self.pattern is None:
            return Highlight(snippet=_window(flat, [], SNIPPET_CHARS)[0])
        title_spans = spans(title, self.stems, self.pattern)
        abstract_spans = spans(flat, self.stems, self.pattern)
        text, text_spans = _window(flat, abstract_spans, SNIPPET_CHARS)
        found = {stem(title[s:e]) for s, e in title_spans}
        found |= {stem(flat[s:e]) for s, e in abstract_spans}
        return Highlight(
            title_spans=title_spans,
            snippet=text,
            snippet_spans=text_spans,
            matched_terms=[t for t in self.terms if stem(t) in found],
        )


def highlight(title: str, abstract: str, terms: list[str]) -> Highlight:
    return Highlighter(terms)(title, abstract)


# --- Hugging Face's markup (the API's highlightedTitle / highlightedSummary) -----------------

MAX_QUERY_WORDS = 64


def prefix_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern marking the query's words (and their stems) where a word starts,
    case-insensitively.

    Like Hugging Face's markup, a match may be the start of a longer word: for the query
    ``kazakh`` the title word ``Kazakhstan`` gives ``Kazakh`` highlighted, then ``stan``.
    """
    words = {word.lower() for word in _WORD.findall(query)[:MAX_QUERY_WORDS]}
    variants = words | {s for s in map(_suffix_stem, words) if s}
    if not variants:
        return None
    # Longest first, so the longest alternative wins where several start at one place.
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=lambda v: (-len(v), v)))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def prefix_spans(text: str, pattern: re.Pattern[str] | None) -> list[Span]:
    if pattern is None:
        return []
    return [match.span() for match in pattern.finditer(text)]
