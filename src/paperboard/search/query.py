"""Reading what a visitor typed into the search box, without ever failing on it.

Understood: ``"exact phrase"``, ``author:"Ada Lovelace"`` (or ``author:Lovelace``),
``cat:cs.CL`` (also ``category:``), and an arXiv id or URL anywhere (that paper goes first).
Everything else is plain words. Unbalanced quotes, ``AND (``, emoji or 4,000 characters of a
pasted abstract are just text: nothing here raises, and nothing the user typed is ever handed
to a query parser as syntax (search/keyword.py builds queries from ``\\w+`` words only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id

MAX_QUERY_CHARS = 4000
MAX_WORDS = 128  # a pasted abstract matches on its first 128 words (~its first half)
MAX_PHRASES = 8
MAX_FILTER_VALUES = 8

_WORD = re.compile(r"\w+", re.UNICODE)
_CATEGORY = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")
# field:"quoted value" or field:value (a value runs to the next space).
_FIELD = re.compile(r'\b(author|authors|cat|category):(?:"([^"]*)"|(\S+))', re.IGNORECASE)
_PHRASE = re.compile(r'"([^"]*)"')
# Things that look like arXiv ids or their URLs; each candidate is checked by parse_arxiv_id.
# Bounded repeats and a word boundary: a 4,000-letter "word" must not cost quadratic time.
_ID_LIKE = re.compile(
    r"\b(?:(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org|huggingface\.co|hf\.co)/"
    r"(?:abs|pdf|html|papers)/[^\s]{1,80}|(?:arxiv:)?\d{4}\.\d{4,5}(?:v\d{1,4})?"
    r"|[a-z]{1,12}(?:-[a-z]{1,12})?(?:\.[A-Z]{2})?/\d{7}(?:v\d{1,4})?)",
    re.IGNORECASE,
)
# Boolean operators people type out of habit; the search is ranked, so they are dropped.
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    words: list[str] = field(default_factory=list)  # lower-cased \w+ words, free text
    phrases: list[list[str]] = field(default_factory=list)  # each a list of words
    authors: list[str] = field(default_factory=list)  # each a name as typed (plain words)
    categories: list[str] = field(default_factory=list)
    arxiv_ids: list[str] = field(default_factory=list)  # canonical ids, in order
    free_text: str = ""  # the text as typed, less filters, ids and quote marks

    @property
    def semantic_text(self) -> str:
        """What the embedder sees: the text as typed (casing and punctuation carry meaning
        for the tokenizer), without filters or ids; the words alone if nothing else is left."""
        return self.free_text or " ".join(self.words)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.authors or self.categories or self.arxiv_ids)

    def terms(self) -> list[str]:
        """Words worth highlighting: free words and phrase words, each once."""
        seen: dict[str, None] = {}
        for word in self.words + [w for phrase in self.phrases for w in phrase]:
            seen.setdefault(word, None)
        return list(seen)


def parse_query(text: str) -> ParsedQuery:
    text = (text or "")[:MAX_QUERY_CHARS]
    authors: list[str] = []
    categories: list[str] = []

    def take_field(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if name.startswith("author"):
            words = _WORD.findall(value)
            if words and len(authors) < MAX_FILTER_VALUES:
                authors.append(" ".join(words))
        else:
            category = parse_category(value)
            if category and len(categories) < MAX_FILTER_VALUES:
                categories.append(category)
        return " "

    rest = _FIELD.sub(take_field, text)
    arxiv_ids: list[str] = []

    def take_id(match: re.Match[str]) -> str:
        try:
            arxiv_id = parse_arxiv_id(match.group(0).rstrip(".,;)"))
        except InvalidArxivId:
            return match.group(0)
        if arxiv_id.id not in arxiv_ids:
            arxiv_ids.append(arxiv_id.id)
        return " "

    rest = _ID_LIKE.sub(take_id, rest)
    phrases: list[list[str]] = []

    def take_phrase(match: re.Match[str]) -> str:
        words = [w.lower() for w in _WORD.findall(match.group(1))]
        if len(words) > 1 and len(phrases) < MAX_PHRASES:
            phrases.append(words[:MAX_WORDS])
            return " "
        return f" {match.group(1)} "  # a one-word "phrase" is a word

    free_text = " ".join(rest.replace('"', " ").split())
    rest = _PHRASE.sub(take_phrase, rest)
    words = [w.lower() for w in _WORD.findall(rest) if w not in _OPERATORS][:MAX_WORDS]
    return ParsedQuery(
        raw=text,
        words=words,
        phrases=phrases,
        authors=authors,
        categories=categories,
        arxiv_ids=arxiv_ids,
        free_text=free_text if _WORD.search(free_text) else "",
    )


def parse_category(text: str) -> str | None:
    """``text`` as an arXiv category name (normalised), or None when it cannot be one. Only
    such names reach the keyword index's query syntax and the SQL filters."""
    found = _CATEGORY.fullmatch(text.strip())
    return _normalise_category(found.group(0)) if found else None


def _normalise_category(value: str) -> str:
    """As arXiv writes them: two-letter subject classes in capitals (``cs.cl`` -> ``cs.CL``,
    ``astro-ph.ga`` -> ``astro-ph.GA``), longer ones in lower case (``physics.optics``)."""
    archive, _, subject = value.partition(".")
    if not subject:
        return archive.lower()
    return f"{archive.lower()}.{subject.upper() if len(subject) == 2 else subject.lower()}"
