"""Which source a saved file came from, told from its first bytes, and reading it accordingly.

Detection reads at most :data:`SNIFF_BYTES` (after transparent gunzip), so a multi-gigabyte
snapshot is recognised as quickly as a small API response.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from paperboard.domain.paper import IngestItem
from paperboard.ingest.arxiv_api import parse_atom
from paperboard.ingest.errors import SourceError
from paperboard.ingest.export import EXPORT_FORMAT, iter_export
from paperboard.ingest.hf_daily import parse_daily_papers, parse_search_results
from paperboard.ingest.oaipmh import parse_oai
from paperboard.ingest.rss import parse_listing
from paperboard.ingest.snapshot import iter_snapshot, open_maybe_gzip

SNAPSHOT = "snapshot"
EXPORT = "export"
HF_DAILY = "hf-daily"
HF_SEARCH = "hf-search"
ARXIV_ATOM = "arxiv-atom"
OAI_PMH = "oai-pmh"
ARXIV_RSS = "arxiv-rss"

FORMATS = (SNAPSHOT, EXPORT, HF_DAILY, HF_SEARCH, ARXIV_ATOM, OAI_PMH, ARXIV_RSS)
FORMAT_HELP = {
    SNAPSHOT: "arXiv metadata snapshot (JSON lines)",
    EXPORT: "paperboard export (JSON lines)",
    HF_DAILY: "Hugging Face daily papers (JSON)",
    HF_SEARCH: "Hugging Face paper search results (JSON)",
    ARXIV_ATOM: "arXiv API response (Atom XML)",
    OAI_PMH: "arXiv OAI-PMH response (XML)",
    ARXIV_RSS: "arXiv listing feed (RSS or Atom XML from rss.arxiv.org)",
}

# Enough for an XML prolog and root element, a feed's header and its first entry, or a JSON
# file's first record; bounded so that detection never reads a whole snapshot.
SNIFF_BYTES = 64 * 1024
# The most read when the first JSON record does not fit in SNIFF_BYTES.
MAX_JSON_SNIFF_BYTES = 4 * 1024 * 1024

ATOM_NS = "http://www.w3.org/2005/Atom"
_BOM = b"\xef\xbb\xbf"
# Declarations, processing instructions, comments and a DOCTYPE (with an internal subset) that
# may come before the root element.
_PROLOG_ITEM = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)", re.DOTALL | re.IGNORECASE
)
_ROOT_TAG = re.compile(
    rb"\s*<(?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)"
    rb"(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
)
_ATTRIBUTE = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# An Atom listing from rss.arxiv.org, unlike an API response, identifies entries by OAI id
# and says how each was announced.
_LISTING_MARK = re.compile(
    rb"<(?:[\w.\-]+:)?id>\s*oai:arXiv\.org:|announce_type>|rss\.arxiv\.org", re.IGNORECASE
)
# Keys only Hugging Face's search results have (the daily boards never highlight matches).
_SEARCH_KEYS = frozenset({"highlightedTitle", "highlightedSummary"})
_NOTHING = object()  # an empty JSON list


# --- detection ------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """The format of the file at ``path``, one of :data:`FORMATS`; gzip is looked through.

    Raises :class:`SourceError` when the file matches none of them.
    """
    fmt = sniff(_read_prefix(path))
    if fmt is None:
        known = "; ".join(f"{name} ({FORMAT_HELP[name]})" for name in FORMATS)
        raise SourceError(f"{path}: unrecognised format; expected one of: {known}")
    return fmt


def _read_prefix(path: Path) -> bytes:
    try:
        with open_maybe_gzip(path) as stream:
            prefix = stream.read(SNIFF_BYTES)
            if len(prefix) == SNIFF_BYTES and sniff(prefix) is None and _is_json(prefix):
                # A first JSON record longer than the prefix (a Hugging Face entry of a paper
                # with hundreds of authors runs to ~75 KB): read on, still bounded.
                prefix += stream.read(MAX_JSON_SNIFF_BYTES - SNIFF_BYTES)
            return prefix
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: damaged gzip file ({exc})") from exc


def _is_json(prefix: bytes) -> bool:
    return prefix.removeprefix(_BOM).lstrip()[:1] in (b"{", b"[")


def sniff(prefix: bytes) -> str | None:
    """The format of a file beginning with ``prefix`` (decompressed), or None."""
    text = prefix.removeprefix(_BOM).lstrip()
    if text.startswith(b"<"):
        return _sniff_xml(text)
    if text.startswith(b"{"):
        return _sniff_json_lines(text)
    if text.startswith(b"["):
        return _sniff_json_list(text)
    return None


def _sniff_xml(text: bytes) -> str | None:
    root = _root_element(text)
    if root is None:
        return None
    namespace, name = root
    if name == "OAI-PMH":
        return OAI_PMH
    if name == "rss" and namespace is None:
        return ARXIV_RSS
    if name == "feed" and namespace == ATOM_NS:
        if _LISTING_MARK.search(text):
            return ARXIV_RSS
        # Any Atom feed has this root; only one from arXiv can be read as an API response.
        if b"arxiv.org" in text.lower():
            return ARXIV_ATOM
    return None


def _root_element(text: bytes) -> tuple[str | None, str] | None:
    """(namespace, local name) of the root element, from its start tag alone.

    A regular expression rather than an XML parser: the prefix is cut off mid-document, and
    no DTD or entity of an untrusted file is ever processed here.
    """
    position = 0
    while (item := _PROLOG_ITEM.match(text, position)) is not None:
        position = item.end()
    tag = _ROOT_TAG.match(text, position)
    if tag is None:
        return None
    qualified = tag["name"].decode("ascii", "replace")
    prefix, _, name = qualified.rpartition(":")
    declaration = f"xmlns:{prefix}" if prefix else "xmlns"
    for match in _ATTRIBUTE.finditer(tag["attrs"]):
        if match[1].decode("ascii", "replace") == declaration:
            value = match[2] if match[2] is not None else match[3]
            return value.decode("utf-8", "replace").strip() or None, name
    return None, name


def _first_json_value(text: bytes, *, inside_list: bool = False) -> Any:
    """The first JSON value of ``text`` (of a list's items when ``inside_list``).

    Returns :data:`_NOTHING` for an empty list, and None when the value is not complete within
    the prefix or is not JSON.
    """
    # The prefix may end inside a multi-byte character; that is past the first value.
    decoded = text.decode("utf-8", "replace")
    start = 0
    if inside_list:
        start = len(decoded) - len(decoded[1:].lstrip())
        if decoded.startswith("]", start):
            return _NOTHING
    try:
        value, _ = json.JSONDecoder().raw_decode(decoded, start)
    except json.JSONDecodeError:
        return None
    return value


def _sniff_json_lines(text: bytes) -> str | None:
    first = _first_json_value(text)
    if not isinstance(first, dict):
        return None
    if first.get("format") == EXPORT_FORMAT:
        # An export of another version is still an export: its reader explains the mismatch.
        return EXPORT
    if "id" in first and ("abstract" in first or "title" in first):
        return SNAPSHOT
    return None


def _sniff_json_list(text: bytes) -> str | None:
    first = _first_json_value(text, inside_list=True)
    if first is _NOTHING:
        # An empty board (a weekend): both Hugging Face readers yield nothing from it.
        return HF_DAILY
    if not isinstance(first, dict) or "paper" not in first:
        return None
    return HF_SEARCH if _SEARCH_KEYS & first.keys() else HF_DAILY


# --- reading --------------------------------------------------------------------------------


def iter_file(path: Path, fmt: str | None = None) -> Iterator[IngestItem]:
    """The records of a saved file, plain or gzip; its format is detected unless given.

    Detection (and a check of ``fmt``) happens now and raises :class:`SourceError`; errors
    of the file as a whole (malformed XML, an OAI error response, a bad export header) are
    raised as :class:`SourceError` while iterating. Snapshots and exports are streamed; the
    other formats are single responses of bounded size and are read whole.
    """
    fmt = fmt or detect_format(path)
    reader = _READERS.get(fmt)
    if reader is None:
        raise SourceError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    return reader(path)


def _read_all(path: Path) -> bytes:
    with open_maybe_gzip(path) as stream:
        return stream.read()


def _iter_snapshot(path: Path) -> Iterator[IngestItem]:
    with open_maybe_gzip(path) as stream:
        yield from iter_snapshot(stream)


def _iter_export(path: Path) -> Iterator[IngestItem]:
    with open_maybe_gzip(path) as stream:
        yield from iter_export(stream)


def _iter_hf_daily(path: Path) -> Iterator[IngestItem]:
    # The board's day is unknown here; each entry says when it was featured.
    yield from parse_daily_papers(_read_all(path), day=None)


def _iter_hf_search(path: Path) -> Iterator[IngestItem]:
    yield from parse_search_results(_read_all(path))


def _iter_atom(path: Path) -> Iterator[IngestItem]:
    yield from parse_atom(_read_all(path)).items


def _iter_oai(path: Path) -> Iterator[IngestItem]:
    yield from parse_oai(_read_all(path)).items


def _iter_listing(path: Path) -> Iterator[IngestItem]:
    yield from parse_listing(_read_all(path)).items


_READERS: dict[str, Callable[[Path], Iterator[IngestItem]]] = {
    SNAPSHOT: _iter_snapshot,
    EXPORT: _iter_export,
    HF_DAILY: _iter_hf_daily,
    HF_SEARCH: _iter_hf_search,
    ARXIV_ATOM: _iter_atom,
    OAI_PMH: _iter_oai,
    ARXIV_RSS: _iter_listing,
}
