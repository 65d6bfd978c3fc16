"""arXiv identifiers: parsing, validation and normalisation.

Two schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):
- new style since 2007: ``YYMM.NNNN`` (to 2014) or ``YYMM.NNNNN`` (from 2015), e.g. ``2401.01234``;
- old style before 2007: ``archive(.SUBJ)/YYMMNNN``, e.g. ``hep-th/9901001``, ``math.GT/0309136``.
Either may carry a version suffix ``vN``. The canonical id stored by paperboard has no version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ASCII digits only (re.ASCII): full-width or Arabic-Indic digits would make a second row for
# the same paper. Versions have at most 4 digits (they fit every integer column).
_NEW_STYLE = re.compile(
    r"(?P<base>(?P<yymm>\d{4})\.(?P<num>\d{4,5}))(?:v(?P<version>\d{1,4}))?", re.ASCII
)
_OLD_STYLE = re.compile(
    r"(?P<base>(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subj>[A-Za-z]{2}))?/(?P<yymm>\d{4})(?P<num>\d{3}))"
    r"(?:v(?P<version>\d{1,4}))?",
    re.ASCII,
)
# Prefixes people paste: URLs of abstract/PDF/HTML pages, "arXiv:" labels, OAI identifiers.
_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org|huggingface\.co|hf\.co)/"
    r"(?:abs|pdf|html|papers|format)/"
    r"|^arxiv:|^oai:arxiv\.org:",
    re.IGNORECASE,
)
MAX_ID_LENGTH = 64


class InvalidArxivId(ValueError):
    """Raised for text that is not an arXiv identifier."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed arXiv identifier: the canonical id and the version, if one was given."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id

    @property
    def is_old_style(self) -> bool:
        return "/" in self.id


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, versioned id, ``arXiv:`` label or arXiv/Hugging Face URL.

    >>> parse_arxiv_id("https://arxiv.org/abs/2401.01234v2")
    ArxivId(id='2401.01234', version=2)
    >>> parse_arxiv_id("hep-th/9901001")
    ArxivId(id='hep-th/9901001', version=None)
    """
    if not isinstance(text, str):
        raise InvalidArxivId("an arXiv id must be text")
    candidate = text.strip()
    if not candidate or len(candidate) > 200:
        raise InvalidArxivId(f"not an arXiv id: {text[:80]!r}")
    candidate = _PREFIX.sub("", candidate)
    candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    match = _NEW_STYLE.fullmatch(candidate)
    if match:
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {month:02d}): {text[:80]!r}")
        # Five-digit numbers exist only from 1501 on; four-digit ones only before.
        yymm = int(match["yymm"])
        digits = len(match["num"])
        if (digits == 5) != (yymm >= 1501):
            raise InvalidArxivId(f"not an arXiv id (wrong number length): {text[:80]!r}")
    else:
        match = _OLD_STYLE.fullmatch(candidate)
        if not match:
            raise InvalidArxivId(f"not an arXiv id: {text[:80]!r}")
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {month:02d}): {text[:80]!r}")
    version = int(match["version"]) if match["version"] else None
    if version is not None and version < 1:
        raise InvalidArxivId(f"not an arXiv id (version 0): {text[:80]!r}")
    return ArxivId(id=match["base"], version=version)


def canonical_id(text: str) -> str:
    """The canonical (unversioned) id of ``text``; raises :class:`InvalidArxivId`."""
    return parse_arxiv_id(text).id


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
