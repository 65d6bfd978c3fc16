"""arXiv's daily announcement listings (``rss.arxiv.org/rss/...`` and ``/atom/...``).

A listing says what arXiv announced on one day, with each paper's announce type: ``new``
(first appearance), ``cross`` (cross-listed from another category), ``replace`` (a new version)
and ``replace-cross``; ``absonly`` marks an abstract-only update. Both feed formats carry the
same fields: guid/id ``oai:arXiv.org:<id>v<n>``, a description that starts with
``arXiv:<id>v<n> Announce Type: <type>`` and then ``Abstract: ...``, ``<arxiv:announce_type>``,
``<dc:creator>`` (one comma-separated string), ``<dc:rights>`` and ``<arxiv:DOI>``.
See https://info.arxiv.org/help/rss_specifications.html.
"""

from __future__ import annotations

import re
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
from paperboard.ingest.arxiv_api import check_categories
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import Fetcher
from paperboard.ingest.xml import parse_xml, text_of

RSS_URL = "https://rss.arxiv.org/rss"
ATOM_URL = "https://rss.arxiv.org/atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
NS = {
    "atom": ATOM_NS,
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}

_DESCRIPTION_HEAD = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*", re.IGNORECASE
)
_ABSTRACT_MARK = re.compile(r"\bAbstract:\s*")
# The listing before 2024 appended " (arXiv:2401.01234v1 [cs.LG])" to each title.
_TITLE_SUFFIX = re.compile(r"\s*\(arXiv:\S+(?:\s+\[[^\]]*\])?(?:\s+\w+)?\)\s*$")


@dataclass(slots=True)
class Listing:
    """One day's listing: the papers, the day they were announced and how each was announced."""

    items: list[IngestItem] = field(default_factory=list)
    announced_on: date | None = None
    announce_types: dict[str, str] = field(default_factory=dict)  # arxiv_id -> "new", ...


@dataclass(slots=True)
class _RawItem:
    """An item's fields as read from either format, before they are checked."""

    guid: str | None
    link: str | None
    title: str | None
    description: str
    categories: list[str]
    when: datetime | None  # the announcement time as written (in arXiv's own time zone)
    announce_type: str | None
    authors: list[str]
    rights: str | None
    doi: str | None
    journal_ref: str | None


def parse_listing(data: bytes) -> Listing:
    """Parse an RSS 2.0 or Atom listing; raise :class:`SourceError` for unusable input."""
    root = parse_xml(data, "arXiv listing")
    if root.tag == "rss":
        day, raws = _read_rss(root)
    elif root.tag == f"{{{ATOM_NS}}}feed":
        day, raws = _read_atom(root)
    else:
        raise SourceError(f"arXiv listing: expected <rss> or an Atom <feed>, got <{root.tag}>")
    listing = Listing(announced_on=day)
    for number, raw in enumerate(raws, start=1):
        item = _to_item(raw, number, day)
        listing.items.append(item)
        announce_type = _announce_type(raw)
        if isinstance(item, PaperRecord) and announce_type:
            listing.announce_types[item.arxiv_id] = announce_type
    if listing.announced_on is None:
        listing.announced_on = next(
            (i.announced_on for i in listing.items if isinstance(i, PaperRecord)), None
        )
    return listing


def _read_rss(root: Element) -> tuple[date | None, list[_RawItem]]:
    channel = root.find("channel")
    if channel is None:
        raise SourceError("arXiv listing: RSS without a <channel>")
    _raise_on_feed_error(text_of(channel.find("title")), text_of(channel.find("description")))
    pub_date = _rfc822(text_of(channel.find("pubDate")))
    return (pub_date.date() if pub_date else None), [_rss_item(i) for i in channel.findall("item")]


def _rss_item(item: Element) -> _RawItem:
    return _RawItem(
        guid=text_of(item.find("guid")),
        link=text_of(item.find("link")),
        title=text_of(item.find("title")),
        description=item.findtext("description", ""),
        categories=[c for c in (text_of(e) for e in item.findall("category")) if c],
        when=_rfc822(text_of(item.find("pubDate"))),
        announce_type=text_of(item.find("arxiv:announce_type", NS)),
        authors=_creators(item),
        rights=text_of(item.find("dc:rights", NS)),
        doi=text_of(item.find("arxiv:DOI", NS)),
        journal_ref=text_of(item.find("arxiv:journal_reference", NS)),
    )


def _read_atom(root: Element) -> tuple[date | None, list[_RawItem]]:
    title = text_of(root.find("atom:title", NS))
    _raise_on_feed_error(title, text_of(root.find("atom:subtitle", NS)))
    updated = _iso(text_of(root.find("atom:updated", NS)))
    entries = [_atom_entry(entry) for entry in root.findall("atom:entry", NS)]
    return (updated.date() if updated else None), entries


def _atom_entry(entry: Element) -> _RawItem:
    published = text_of(entry.find("atom:published", NS))
    summary = entry.findtext("atom:summary", "", NS) or entry.findtext("atom:content", "", NS)
    rights = text_of(entry.find("dc:rights", NS)) or text_of(entry.find("atom:rights", NS))
    return _RawItem(
        guid=text_of(entry.find("atom:id", NS)),
        link=_alternate_link(entry),
        title=text_of(entry.find("atom:title", NS)),
        description=summary,
        categories=[c.get("term", "").strip() for c in entry.findall("atom:category", NS)],
        when=_iso(published or text_of(entry.find("atom:updated", NS))),
        announce_type=text_of(entry.find("arxiv:announce_type", NS)),
        # arXiv writes one <dc:creator> list; plain Atom <author> elements are read as well.
        authors=_creators(entry) or _atom_authors(entry),
        rights=rights,
        doi=text_of(entry.find("arxiv:DOI", NS)),
        journal_ref=text_of(entry.find("arxiv:journal_reference", NS)),
    )


def _alternate_link(entry: Element) -> str | None:
    for link in entry.findall("atom:link", NS):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def _atom_authors(entry: Element) -> list[str]:
    names = (author.findtext("atom:name", "", NS) for author in entry.findall("atom:author", NS))
    return clean_authors([" ".join(name.split()) for name in names])


def _raise_on_feed_error(title: str | None, description: str | None) -> None:
    # rss.arxiv.org answers an unknown category with a feed titled "Feed error for query: ...".
    if title and title.lower().startswith("feed error"):
        raise SourceError(f"arXiv listing error: {description or title}")


def _creators(element: Element) -> list[str]:
    names: list[str] = []
    for creator in element.findall("dc:creator", NS):
        names += split_authors(creator.text or "")
    return names


def _rfc822(text: str | None) -> datetime | None:
    # An unreadable date is not worth dropping the paper for: the listing's day stands in.
    if text is None:
        return None
    try:
        moment = parsedate_to_datetime(text)
        as_utc(moment)  # the paper's UTC date is taken later: it must exist
    except (TypeError, ValueError):
        return None
    # A "-0000" zone (unknown) comes back naive; arXiv means UTC then.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
        as_utc(moment)  # the paper's UTC date is taken later: it must exist
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _announce_type(raw: _RawItem) -> str | None:
    if raw.announce_type:
        return raw.announce_type.lower()
    head = _DESCRIPTION_HEAD.match(raw.description)
    return head["type"].lower() if head else None


def _abstract(description: str) -> str:
    mark = _ABSTRACT_MARK.search(description)
    if mark:
        return clean_abstract(description[mark.end() :])
    head = _DESCRIPTION_HEAD.match(description)
    return clean_abstract(description[head.end() :] if head else description)


def _to_item(raw: _RawItem, number: int, listing_day: date | None) -> IngestItem:
    location = f"item {number}"
    source = raw.guid or raw.link
    if source is None:
        return Malformed(location, "item has neither <guid> nor <link>")
    try:
        parsed = parse_arxiv_id(source)
    except InvalidArxivId as exc:
        return Malformed(location, str(exc))
    title = _TITLE_SUFFIX.sub("", raw.title or "")
    if not title.strip():
        return Malformed(location, f"{parsed.id}: item has no <title>")
    announce_type = _announce_type(raw)
    abstract = _abstract(raw.description)
    code_urls, project_page = find_links(abstract)
    return PaperRecord(
        arxiv_id=parsed.id,
        title=clean_title(title),
        abstract=abstract,
        authors=raw.authors,
        categories=list(dict.fromkeys(c for c in raw.categories if c)),
        # The announcement is the first version's date only for a new paper; for a
        # cross-list or a replacement the first version came out earlier.
        published_at=raw.when.astimezone(UTC) if raw.when and announce_type == "new" else None,
        version=parsed.version or _version_in_description(raw.description, parsed.id) or 1,
        # The day as arXiv wrote it (its own time zone), which is the listing's day.
        announced_on=raw.when.date() if raw.when else listing_day,
        journal_ref=raw.journal_ref,
        doi=raw.doi,
        license=raw.rights,
        code_urls=code_urls,
        project_page=project_page,
    )


def _version_in_description(description: str, arxiv_id: str) -> int | None:
    head = _DESCRIPTION_HEAD.match(description)
    if not head:
        return None
    try:
        parsed = parse_arxiv_id(head["id"])
    except InvalidArxivId:
        return None
    return parsed.version if parsed.id == arxiv_id else None


def listing_url(categories: list[str], base_url: str = RSS_URL) -> str:
    """The listing URL for ``categories``, e.g. ``https://rss.arxiv.org/rss/cs.LG+cs.CL``."""
    return f"{base_url.rstrip('/')}/{'+'.join(check_categories(categories))}"


def fetch_listing(fetcher: Fetcher, categories: list[str], base_url: str = RSS_URL) -> Listing:
    """Fetch and parse today's listing for ``categories`` (RSS or Atom, by ``base_url``)."""
    response = fetcher.get(listing_url(categories, base_url))
    if response.status != 200:
        # An error listing names the problem (e.g. an unknown category); prefer its words.
        try:
            parse_listing(response.content)
        except SourceError as exc:
            raise SourceError(f"{response.url}: HTTP {response.status}: {exc}") from exc
        raise SourceError(f"{response.url}: HTTP {response.status}")
    return parse_listing(response.content)
