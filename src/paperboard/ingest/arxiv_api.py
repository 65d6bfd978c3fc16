"""The arXiv API (``export.arxiv.org/api/query``): Atom feeds of search and id-list results.

Both generations of the feed parse the same way: the pre-2025 one declares ``xmlns:arxiv`` on
each element and adds ``<link title="doi">``; the current one declares namespaces once. After
namespace resolution the element names are identical.
See https://info.arxiv.org/help/api/user-manual.html.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from xml.etree.ElementTree import Element

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.links import find_links
from paperboard.domain.paper import (
    IngestItem,
    Malformed,
    PaperRecord,
    as_utc,
    clean_abstract,
    clean_authors,
    clean_title,
)
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import Fetcher
from paperboard.ingest.xml import parse_xml, text_of

log = logging.getLogger(__name__)

API_URL = "https://export.arxiv.org/api/query"
ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
NS = {"atom": ATOM_NS, "arxiv": ARXIV_NS, "os": OPENSEARCH_NS}

# arXiv opened in August 1991; a range with no lower bound starts there.
ARXIV_EPOCH = date(1991, 8, 1)
# Category names such as "cs.LG", "hep-th", "math.AG", "physics.bio-ph" (nothing that could
# change the meaning of the query they are pasted into).
_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.IGNORECASE)


@dataclass(slots=True)
class AtomPage:
    """One response of the API: its entries and the paging counters that came with them."""

    items: list[IngestItem] = field(default_factory=list)
    total_results: int = 0
    start_index: int = 0
    items_per_page: int = 0


def parse_atom(data: bytes) -> AtomPage:
    """Parse an API response; raise :class:`SourceError` for malformed XML or an error feed."""
    root = parse_xml(data, "arXiv API response")
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise SourceError(f"arXiv API response: expected an Atom <feed>, got <{root.tag}>")
    entries = root.findall("atom:entry", NS)
    _raise_on_error_entry(entries)
    start_index = _counter(root, "os:startIndex", default=0)
    return AtomPage(
        items=[_entry_item(entry, number) for number, entry in enumerate(entries, start=1)],
        # Without a total, stop after this page rather than page forever.
        total_results=_counter(root, "os:totalResults", default=start_index + len(entries)),
        start_index=start_index,
        items_per_page=_counter(root, "os:itemsPerPage", default=len(entries)),
    )


def _raise_on_error_entry(entries: list[Element]) -> None:
    # arXiv reports a bad query as a feed with one entry whose id is .../api/errors#...
    for entry in entries:
        entry_id = text_of(entry.find("atom:id", NS)) or ""
        if "/api/errors" in entry_id:
            message = text_of(entry.find("atom:summary", NS)) or entry_id.partition("#")[2]
            raise SourceError(f"arXiv API error: {message}")


def _counter(root: Element, path: str, *, default: int) -> int:
    text = text_of(root.find(path, NS))
    if text is None:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise SourceError(f"arXiv API response: {path} is not a number: {text!r}") from exc


def _entry_item(entry: Element, number: int) -> IngestItem:
    location = f"entry {number}"
    raw_id = text_of(entry.find("atom:id", NS))
    if raw_id is None:
        return Malformed(location, "entry has no <id>")
    try:
        parsed = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        return Malformed(location, str(exc))
    title = text_of(entry.find("atom:title", NS))
    if title is None:
        return Malformed(location, f"{parsed.id}: entry has no <title>")
    try:
        published_at = parse_timestamp(text_of(entry.find("atom:published", NS)))
        updated_at = parse_timestamp(text_of(entry.find("atom:updated", NS)))
    except ValueError as exc:
        return Malformed(location, f"{parsed.id}: bad date: {exc}")
    abstract = clean_abstract(entry.findtext("atom:summary", "", NS))
    comments = text_of(entry.find("arxiv:comment", NS))
    code_urls, project_page = find_links(abstract, comments)
    return PaperRecord(
        arxiv_id=parsed.id,
        title=clean_title(title),
        abstract=abstract,
        authors=_authors(entry),
        categories=_categories(entry),
        published_at=published_at,
        updated_at=updated_at,
        version=parsed.version or 1,
        comments=comments,
        journal_ref=text_of(entry.find("arxiv:journal_ref", NS)),
        doi=_doi(entry),
        code_urls=code_urls,
        project_page=project_page,
    )


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp as a timezone-aware UTC datetime (no zone given means UTC).

    Raises ValueError for text that is not one, or names no time representable in UTC."""
    if text is None:
        return None
    return as_utc(datetime.fromisoformat(text))


def _authors(entry: Element) -> list[str]:
    # Only names: <arxiv:affiliation> sits next to <name> and is left out on purpose.
    names = (author.findtext("atom:name", "", NS) for author in entry.findall("atom:author", NS))
    # Names may be wrapped over lines or carry TeX accents (Bal\'azs); store them as one line.
    return clean_authors([" ".join(name.split()) for name in names])


def _categories(entry: Element) -> list[str]:
    primary = entry.find("arxiv:primary_category", NS)
    terms = [primary.get("term")] if primary is not None else []
    terms += [category.get("term") for category in entry.findall("atom:category", NS)]
    ordered: list[str] = []
    for term in terms:
        if term and term.strip() and term.strip() not in ordered:
            ordered.append(term.strip())
    return ordered


def _doi(entry: Element) -> str | None:
    doi = text_of(entry.find("arxiv:doi", NS))
    if doi:
        return doi
    # Older feeds may carry the DOI only as a link to the resolver.
    for link in entry.findall("atom:link", NS):
        if link.get("title") == "doi" and link.get("href"):
            return _DOI_URL.sub("", link.get("href", "").strip()) or None
    return None


def check_categories(categories: list[str]) -> list[str]:
    """Return the categories stripped; raise ValueError for an empty list or a malformed name."""
    cleaned = [category.strip() for category in categories]
    if not cleaned:
        raise ValueError("at least one arXiv category is needed")
    for category in cleaned:
        if not _CATEGORY.fullmatch(category):
            raise ValueError(f"not an arXiv category: {category!r}")
    return cleaned


def category_query(
    categories: list[str], date_from: date | None = None, date_to: date | None = None
) -> str:
    """A ``search_query`` for papers in any of ``categories`` submitted in a date range.

    >>> category_query(["cs.LG", "cs.CL"], date(2026, 11, 20), date(2026, 11, 26))
    '(cat:cs.LG OR cat:cs.CL) AND submittedDate:[202611200000 TO 202611262359]'
    """
    terms = [f"cat:{category}" for category in check_categories(categories)]
    query = terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"
    if date_from is None and date_to is None:
        return query
    # arXiv needs both ends of a range; an open end is the archive's start or today (UTC).
    low = date_from or ARXIV_EPOCH
    high = date_to or datetime.now(UTC).date()
    if low > high:
        raise ValueError(f"date range is empty: {low} > {high}")
    return f"{query} AND submittedDate:[{low:%Y%m%d}0000 TO {high:%Y%m%d}2359]"


def fetch_page(fetcher: Fetcher, base_url: str, params: Mapping[str, str]) -> AtomPage:
    """GET one page of results; HTTP errors and arXiv's error feeds become SourceError."""
    response = fetcher.get(base_url, params)
    if response.status == 200:
        return parse_atom(response.content)
    if response.status == 400:
        # arXiv answers a bad query with 400 and an error feed that says what was wrong.
        try:
            parse_atom(response.content)
        except SourceError as exc:
            raise SourceError(f"{response.url}: HTTP 400: {exc}") from exc
        raise SourceError(f"{response.url}: HTTP 400 without an error message")
    raise SourceError(f"{response.url}: HTTP {response.status}")


def fetch(
    fetcher: Fetcher,
    *,
    base_url: str = API_URL,
    search_query: str | None = None,
    id_list: list[str] | None = None,
    page_size: int = 100,
    max_results: int | None = None,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
) -> Iterator[IngestItem]:
    """Yield every result of a query, page by page, until arXiv's total is reached.

    Paging stops early at ``max_results`` items or at an empty page (arXiv sometimes answers
    an empty page before the total; the caller can rerun). Rate limits and retries are the
    fetcher's job (:class:`~paperboard.ingest.http.HttpFetcher`).
    """
    if not search_query and not id_list:
        raise ValueError("give a search_query, an id_list, or both")
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    base_params = {"sortBy": sort_by, "sortOrder": sort_order}
    if search_query:
        base_params["search_query"] = search_query
    if id_list:
        base_params["id_list"] = ",".join(id_list)
    start = 0
    while True:
        wanted = page_size if max_results is None else min(page_size, max_results - start)
        if wanted <= 0:
            return
        params = {**base_params, "start": str(start), "max_results": str(wanted)}
        page = fetch_page(fetcher, base_url, params)
        # A server may send more than asked for; never yield past max_results.
        items = page.items[:wanted]
        yield from items
        start += len(items)
        if not items:
            if start < page.total_results:
                log.warning("arXiv API: empty page at %d of %d", start, page.total_results)
            return
        if start >= page.total_results:
            return
