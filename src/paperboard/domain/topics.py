"""A subscriber's topics: arXiv categories, keywords and a plain-language interest (pure).

Topics narrow a digest: a paper is in it when it matches ANY topic (see ``digest.py``).
No topics at all means the whole board.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Limits keep a form post or API call from storing a novel, and matching cheap.
MAX_CATEGORIES = 30
MAX_KEYWORDS = 20
MIN_KEYWORD_CHARS = 2
MAX_KEYWORD_CHARS = 60
MAX_INTEREST_CHARS = 300

# arXiv's archives (a category is ``archive.SUBJECT``; some archives have no subjects).
ARCHIVES = (
    "astro-ph",
    "cond-mat",
    "cs",
    "econ",
    "eess",
    "gr-qc",
    "hep-ex",
    "hep-lat",
    "hep-ph",
    "hep-th",
    "math",
    "math-ph",
    "nlin",
    "nucl-ex",
    "nucl-th",
    "physics",
    "q-bio",
    "q-fin",
    "quant-ph",
    "stat",
)
_CATEGORY = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.([A-Za-z]+(?:-[a-z]+)?))?$", re.IGNORECASE)
# How describe() names the absence of topics (the whole board).
ALL_TOPICS = "all topics"
_SPACES = re.compile(r"\s+")
_SPLIT = re.compile(r"[,;\n]+")


class InvalidTopics(ValueError):
    """Topics that cannot be stored (an unknown category, too many keywords, ...)."""


@dataclass(frozen=True, slots=True)
class Topics:
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    interest: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.categories and not self.keywords and not self.interest

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """Equal for subscribers whose digests hold the same papers (a cache key)."""
        return (self.categories, self.keywords, self.interest)

    def describe(self) -> str:
        """One line for the footer and the manage page: what narrows this digest."""
        parts = []
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.keywords:
            parts.append("keywords " + ", ".join(f"“{k}”" for k in self.keywords))
        if self.interest:
            parts.append(f"interest “{self.interest}”")
        return "; ".join(parts) if parts else ALL_TOPICS

    def as_dict(self) -> dict[str, object]:
        return {
            "categories": list(self.categories),
            "keywords": list(self.keywords),
            "interest": self.interest,
        }


def is_category(text: str) -> bool:
    match = _CATEGORY.match(text.strip())
    return bool(match) and match[1].lower() in ARCHIVES  # type: ignore[index]


def normalize_category(text: str) -> str:
    """``CS.cl`` -> ``cs.CL``-style: archive lower-case, subject as arXiv spells it."""
    match = _CATEGORY.match(text.strip())
    if not match or match[1].lower() not in ARCHIVES:
        raise InvalidTopics(f"not an arXiv category: {text.strip()[:40]!r}")
    archive, subject = match[1].lower(), match[2]
    if subject is None:
        return archive
    # Two-letter subjects are upper-case (cs.CL, math.AG, stat.ML); longer ones are lower-case
    # words (physics.optics, cond-mat.mes-hall).
    return f"{archive}.{subject.upper() if len(subject) == 2 else subject.lower()}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def parse_categories(values: Iterable[str]) -> tuple[str, ...]:
    items = [part for value in values for part in re.split(r"[\s,;]+", value) if part]
    categories = _unique(normalize_category(item) for item in items)
    if len(categories) > MAX_CATEGORIES:
        raise InvalidTopics(f"at most {MAX_CATEGORIES} categories")
    return categories


def parse_keywords(values: Iterable[str]) -> tuple[str, ...]:
    """Comma, semicolon or line separated; matched case-insensitively, so stored lower-case."""
    keywords = []
    for value in values:
        for part in _SPLIT.split(value):
            keyword = _SPACES.sub(" ", part).strip().lower()
            if not keyword:
                continue
            if not keyword.isprintable():
                raise InvalidTopics("keywords are printable text")
            if not MIN_KEYWORD_CHARS <= len(keyword) <= MAX_KEYWORD_CHARS:
                raise InvalidTopics(
                    f"keywords have {MIN_KEYWORD_CHARS} to {MAX_KEYWORD_CHARS} characters"
                )
            keywords.append(keyword)
    unique = _unique(keywords)
    if len(unique) > MAX_KEYWORDS:
        raise InvalidTopics(f"at most {MAX_KEYWORDS} keywords")
    return unique


def parse_interest(value: str | None) -> str | None:
    if value is None:
        return None
    interest = _SPACES.sub(" ", value).strip()
    if not interest.isprintable():
        raise InvalidTopics("the interest is printable text")
    if len(interest) > MAX_INTEREST_CHARS:
        raise InvalidTopics(f"the interest has at most {MAX_INTEREST_CHARS} characters")
    return interest or None


def parse_topics(
    categories: Iterable[str] = (),
    keywords: Iterable[str] = (),
    interest: str | None = None,
) -> Topics:
    return Topics(parse_categories(categories), parse_keywords(keywords), parse_interest(interest))


def topics_from_terms(terms: Iterable[str]) -> Topics:
    """A flat list (the API's ``"topics": ["cs.CL", "diffusion"]``): categories are told apart
    from keywords by their shape and a known archive."""
    terms = list(terms)
    categories = [term for term in terms if is_category(term)]
    keywords = [term for term in terms if not is_category(term)]
    return parse_topics(categories, keywords)
