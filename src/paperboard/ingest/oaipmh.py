"""arXiv OAI-PMH (https://oaipmh.arxiv.org/oai): ``ListRecords``/``GetRecord`` responses.

Two metadata formats are read:
- ``arXivRaw`` carries every version with its submission date (RFC 2822), the submitter and the
  authors as one string; it is the default because it gives first-published *and* version data;
- ``arXiv`` carries ``created``/``updated`` dates and structured authors (keyname, forenames).

Element lookups ignore namespaces: arXiv has served the metadata element both in its own
namespace and (in older responses) inheriting the OAI default namespace.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
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
    split_authors,
)
from paperboard.ingest.errors import OaiError, SourceError
from paperboard.ingest.http import Fetcher
from paperboard.ingest.xml import parse_xml

OAI_BASE_URL = "https://oaipmh.arxiv.org/oai"
# The OAI "error" meaning an empty result, not a failure (OAI-PMH 2.0 §3.6).
NO_RECORDS_MATCH = "noRecordsMatch"
_WHITESPACE = re.compile(r"\s+")
# At most four digits, as in versioned ids: a longer number is no real version (and would not
# fit the store's column), so the versions are counted instead.
_VERSION_ATTR = re.compile(r"v?(\d{1,4})", re.ASCII)


@dataclass(slots=True)
class OaiPage:
    """One OAI-PMH response: its records and where the list goes on (if it does)."""

    items: list[IngestItem] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None
    cursor: int | None = None


class _BadRecord(Exception):
    """A record cannot be read; the message is the reason given in :class:`Malformed`."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _raw_text(element: Element, name: str) -> str | None:
    """The full text of a child (``itertext`` so stray markup does not cut it short)."""
    child = _child(element, name)
    if child is None:
        return None
    text = "".join(child.itertext())
    return text if text.strip() else None


def _line(element: Element, name: str) -> str | None:
    """A one-line field (comments, DOI, ...) with line wraps and runs of spaces folded."""
    text = _raw_text(element, name)
    return clean_title(text) if text is not None else None


def _to_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _abstract(text: str | None) -> str:
    """Strip indentation that is common to the continuation lines, keep the line structure.

    arXiv's own lines are not indented (so this changes nothing for real responses), but files
    re-indented by an editor would otherwise keep that indentation inside the abstract.
    """
    if not text:
        return ""
    first, _, rest = text.strip().partition("\n")
    if not rest:
        return clean_abstract(first)
    return clean_abstract(first + "\n" + textwrap.dedent(rest))


# --- responses ------------------------------------------------------------------------------


def parse_oai(data: bytes) -> OaiPage:
    """Parse a ``ListRecords`` or ``GetRecord`` response in the ``arXiv`` or ``arXivRaw`` format.

    Raises :class:`OaiError` for an OAI error response (except ``noRecordsMatch``, an empty
    page) and :class:`SourceError` for anything that is not an OAI-PMH response.
    """
    root = parse_xml(data, "OAI-PMH response")
    if _local(root.tag) != "OAI-PMH":
        raise SourceError(f"OAI-PMH response: unexpected root element <{_local(root.tag)}>")
    error = _oai_error(root)
    if error is not None:
        if error.code == NO_RECORDS_MATCH:
            return OaiPage()
        raise error
    body = _child(root, "ListRecords")
    if body is None:
        body = _child(root, "GetRecord")
    if body is None:
        raise SourceError("OAI-PMH response: neither ListRecords nor GetRecord")
    page = OaiPage()
    for number, record in enumerate(_children(body, "record"), start=1):
        item = _parse_record(record, number)
        if item is not None:
            page.items.append(item)
    token = _child(body, "resumptionToken")
    if token is not None:
        # An empty token element marks the last page of a list (OAI-PMH 2.0 §3.5).
        page.resumption_token = (token.text or "").strip() or None
        page.complete_list_size = _to_int(token.get("completeListSize"))
        page.cursor = _to_int(token.get("cursor"))
    return page


def _oai_error(root: Element) -> OaiError | None:
    error = _child(root, "error")
    if error is None:
        return None
    return OaiError(error.get("code", "unknown"), clean_title("".join(error.itertext())))


def _parse_record(record: Element, number: int) -> IngestItem | None:
    header = _child(record, "header")
    if header is not None and header.get("status") == "deleted":
        return None  # withdrawn from the repository: nothing to store
    identifier = _raw_text(header, "identifier") if header is not None else None
    location = f"record {number}"
    if identifier:
        location += f" ({_WHITESPACE.sub('', identifier)})"
    try:
        metadata = _child(record, "metadata")
        if metadata is None or len(metadata) == 0:
            raise _BadRecord("no metadata")
        fields = metadata[0]
        kind = _local(fields.tag)
        if kind == "arXivRaw":
            return _parse_raw(fields)
        if kind == "arXiv":
            return _parse_arxiv(fields)
        raise _BadRecord(f"unsupported metadata format <{kind}>")
    except _BadRecord as exc:
        return Malformed(location, str(exc))


# --- the two metadata formats ---------------------------------------------------------------


def _common(fields: Element) -> PaperRecord:
    """The fields both formats share; dates, authors and versions are filled by the caller."""
    raw_id = _raw_text(fields, "id")
    if raw_id is None:
        raise _BadRecord("missing id")
    try:
        parsed = parse_arxiv_id(_WHITESPACE.sub("", raw_id))
    except InvalidArxivId as exc:
        raise _BadRecord(str(exc)) from exc
    raw_title = _raw_text(fields, "title")
    if raw_title is None:
        raise _BadRecord("missing title")
    raw_abstract = _raw_text(fields, "abstract")
    raw_comments = _raw_text(fields, "comments")
    abstract = _abstract(raw_abstract)
    # The raw comments keep their line breaks, which find_links needs to rejoin wrapped URLs.
    code_urls, project_page = find_links(abstract, raw_comments)
    categories = (_raw_text(fields, "categories") or "").split()
    return PaperRecord(
        arxiv_id=parsed.id,
        title=clean_title(raw_title),
        abstract=abstract,
        authors=[],
        categories=categories,
        version=parsed.version or 1,
        comments=clean_title(raw_comments) if raw_comments else None,
        journal_ref=_line(fields, "journal-ref"),
        doi=_line(fields, "doi"),
        license=_line(fields, "license"),
        report_no=_line(fields, "report-no"),
        code_urls=code_urls,
        project_page=project_page,
    )


def _parse_raw(fields: Element) -> PaperRecord:
    paper = _common(fields)
    paper.authors = split_authors(_raw_text(fields, "authors") or "")
    paper.submitter = _line(fields, "submitter")
    versions = _children(fields, "version")
    if versions:
        paper.published_at = _rfc2822(versions[0])
        paper.updated_at = _rfc2822(versions[-1])
        match = _VERSION_ATTR.fullmatch(versions[-1].get("version", "").strip())
        paper.version = int(match[1]) if match else len(versions)
    return paper


def _rfc2822(version: Element) -> datetime:
    text = _line(version, "date")
    if text is None:
        raise _BadRecord(f"version {version.get('version', '?')} has no date")
    try:
        # "GMT" parses as UTC; a date without a zone is taken as UTC, arXiv's clock.
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError) as exc:
        raise _BadRecord(f"bad version date {text!r}") from exc


def _parse_arxiv(fields: Element) -> PaperRecord:
    paper = _common(fields)
    authors = _child(fields, "authors")
    if authors is not None:
        # TeX accents appear in keynames too ("Schr\"odinger"): clean as split_authors does.
        paper.authors = clean_authors([_author_name(a) for a in _children(authors, "author")])
    # The arXiv format has days only: midnight UTC stands for the day. It has no version list,
    # so the version stays the default unless the id itself carried one.
    paper.published_at = _day(fields, "created")
    paper.updated_at = _day(fields, "updated")
    return paper


def _author_name(author: Element) -> str:
    parts = (_line(author, "forenames"), _line(author, "keyname"), _line(author, "suffix"))
    return " ".join(part for part in parts if part)


def _day(fields: Element, name: str) -> datetime | None:
    text = _line(fields, name)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise _BadRecord(f"bad {name} date {text!r}") from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- harvesting -----------------------------------------------------------------------------


def harvest(
    fetcher: Fetcher,
    *,
    base_url: str = OAI_BASE_URL,
    metadata_prefix: str = "arXivRaw",
    set_spec: str | None = None,
    from_date: date | None = None,
    until_date: date | None = None,
    resumption_token: str | None = None,
    on_page: Callable[[OaiPage], None] | None = None,
) -> Iterator[IngestItem]:
    """Yield every record of a ``ListRecords`` list, following resumption tokens.

    Pass ``resumption_token`` to resume an interrupted harvest. ``on_page`` is called once a
    page's items have all been yielded, so a caller can checkpoint ``page.resumption_token``.
    Pacing and retries (including arXiv's 503 with ``Retry-After``) are the fetcher's job.
    """
    token = resumption_token
    params = _first_params(metadata_prefix, set_spec, from_date, until_date)
    while True:
        # After the first request only the verb and the token may be sent (OAI-PMH 2.0 §3.5).
        if token is not None:
            params = {"verb": "ListRecords", "resumptionToken": token}
        page = _fetch_page(fetcher, base_url, params)
        yield from page.items
        if on_page is not None:
            on_page(page)
        if page.resumption_token is None:
            return
        if page.resumption_token == token:
            raise SourceError(f"{base_url}: resumption token {token!r} repeated; stopping")
        token = page.resumption_token


def _first_params(
    metadata_prefix: str, set_spec: str | None, from_date: date | None, until_date: date | None
) -> dict[str, str]:
    params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
    if set_spec:
        params["set"] = set_spec
    if from_date:
        params["from"] = from_date.isoformat()
    if until_date:
        params["until"] = until_date.isoformat()
    return params


def _fetch_page(fetcher: Fetcher, base_url: str, params: dict[str, str]) -> OaiPage:
    response = fetcher.get(base_url, params)
    if response.status == 200:
        return parse_oai(response.content)
    # Some OAI servers send their error documents with a 4xx status: report the OAI code.
    try:
        error = _oai_error(parse_xml(response.content, "OAI-PMH error response"))
    except SourceError:
        error = None
    if error is not None and error.code == NO_RECORDS_MATCH:
        return OaiPage()
    if error is not None:
        raise error
    raise SourceError(f"{response.url}: HTTP {response.status}")
