"""Atom feeds (RFC 4287) of every board and every search.

- ``/feeds/date/YYYY-MM-DD.atom``, ``/feeds/week/YYYY-Www.atom``, ``/feeds/month/YYYY-MM.atom``:
  a board, most upvoted first (at most ``BOARD_ENTRIES``);
- ``/feeds/trending.atom``: the trending ranking; ``/feeds/new.atom``: the newest papers;
- ``/feeds/search.atom?q=...``: the best matches (the search page's ranking).

Every link is absolute, built from ``settings.base_url`` (feed readers fetch from elsewhere).
An entry's id is its paper page URL, so a paper is one item to a reader whichever feed brought
it. Entry ``updated`` is when the paper went on the board (board and trending feeds) or its
latest arXiv version (new and search feeds). XML is written by ElementTree, which escapes
text; characters XML 1.0 forbids (control codes in some abstracts) are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperboard import boards
from paperboard.domain.periods import InvalidPeriod, Period, parse_day, parse_month, parse_week
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.storage.listing import ListedPaper
from paperboard.web.api.papers import MAX_QUERY_CHARS, hybrid_search
from paperboard.web.deps import get_db, get_settings
from paperboard.web.errors import PageError
from paperboard.web.render.format import reflow
from paperboard.web.response_cache import CachedRoute, get_response_cache

router = APIRouter(tags=["feeds"], route_class=CachedRoute)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
BOARD_ENTRIES = 100  # a month has ~2,000 featured papers; a reader wants the top of it
TRENDING_ENTRIES = 50
NEW_ENTRIES = 50
SEARCH_ENTRIES = 50
SITE = "paperboard"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedInfo:
    title: str
    self_url: str
    page_url: str | None  # the HTML page showing the same list (rel="alternate")
    subtitle: str | None = None


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_updated(listed: ListedPaper, board: bool) -> datetime | None:
    record = listed.paper
    if board and listed.featured_at is not None:
        return listed.featured_at
    return record.updated_at or record.published_at or record.ingested_at


def render_atom(
    feed: FeedInfo, papers: Sequence[ListedPaper], base_url: str, *, board: bool
) -> bytes:
    """The feed document. ``board``: entries are board entries (updated = when featured)."""
    updated = [moment for p in papers if (moment := _entry_updated(p, board)) is not None]
    # An empty feed still needs an updated time: now is honest (nothing newer exists).
    feed_updated = max(updated) if updated else datetime.now(UTC)

    root = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(root, "id").text = feed.self_url
    ET.SubElement(root, "title").text = _xml_text(feed.title)
    if feed.subtitle:
        ET.SubElement(root, "subtitle").text = _xml_text(feed.subtitle)
    ET.SubElement(root, "updated").text = _stamp(feed_updated)
    ET.SubElement(
        root, "link", {"rel": "self", "type": "application/atom+xml", "href": feed.self_url}
    )
    if feed.page_url:
        ET.SubElement(
            root, "link", {"rel": "alternate", "type": "text/html", "href": feed.page_url}
        )
    # The feed's author stands in for entries of papers without author names.
    ET.SubElement(ET.SubElement(root, "author"), "name").text = SITE
    ET.SubElement(root, "generator").text = SITE

    for listed in papers:
        record = listed.paper
        page = f"{base_url}/papers/{record.arxiv_id}"
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = page
        ET.SubElement(entry, "title").text = _xml_text(record.title)
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": page})
        ET.SubElement(entry, "link", {"rel": "related", "href": record.abs_url})
        moment = _entry_updated(listed, board) or feed_updated
        ET.SubElement(entry, "updated").text = _stamp(moment)
        if record.published_at:
            ET.SubElement(entry, "published").text = _stamp(record.published_at)
        for name in record.authors:
            ET.SubElement(ET.SubElement(entry, "author"), "name").text = _xml_text(name)
        for category in record.categories:
            ET.SubElement(entry, "category", {"term": _xml_text(category)})
        summary = "\n\n".join(reflow(record.abstract))
        ET.SubElement(entry, "summary", {"type": "text"}).text = _xml_text(summary)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _atom(body: bytes) -> Response:
    return Response(body, media_type=ATOM_TYPE)


async def _cached_feed(
    request: Request, key: tuple[object, ...], build: Callable[[], bytes]
) -> Response:
    return _atom(await get_response_cache(request).get(("feed", *key), build))


# --- boards -----------------------------------------------------------------------------------

_KIND_WORD = {"day": "date", "week": "week", "month": "month"}


def _board_feed(db: Database, period: Period, base_url: str) -> bytes:
    entries = boards.board(db, period).entries[:BOARD_ENTRIES]
    word = _KIND_WORD[period.kind]
    feed = FeedInfo(
        title=f"{SITE}: papers of {period.key}",
        subtitle=f"Papers featured on {period.key}, most upvoted first.",
        self_url=f"{base_url}/feeds/{word}/{period.key}.atom",
        page_url=f"{base_url}/papers/{word}/{period.key}",
    )
    return render_atom(feed, [listing.from_board_entry(e) for e in entries], base_url, board=True)


async def _period_feed(request: Request, parse: Callable[[str], Period], text: str) -> Response:
    try:
        period = parse(text)
    except InvalidPeriod as exc:
        raise PageError(404, f"There is no feed for that period: {exc}.") from None
    db = get_db(request)
    base_url = get_settings(request).base_url
    return await _cached_feed(request, (period,), lambda: _board_feed(db, period, base_url))


_ATOM_RESPONSE = {200: {"content": {"application/atom+xml": {}}, "description": "Atom feed."}}


@router.get(
    "/feeds/date/{day}.atom",
    summary="Atom feed of a day's board",
    response_class=Response,
    responses={**_ATOM_RESPONSE, 404: {"description": "Not a day (YYYY-MM-DD)."}},
)
async def day_feed(request: Request, day: str) -> Response:
    """The papers featured on a day (YYYY-MM-DD), most upvoted first."""
    return await _period_feed(request, parse_day, day)


@router.get(
    "/feeds/week/{week}.atom",
    summary="Atom feed of a week's board",
    response_class=Response,
    responses={**_ATOM_RESPONSE, 404: {"description": "Not an ISO week (YYYY-Www)."}},
)
async def week_feed(request: Request, week: str) -> Response:
    """The papers featured in an ISO week (YYYY-Www), most upvoted first (top 100)."""
    return await _period_feed(request, parse_week, week)


@router.get(
    "/feeds/month/{month}.atom",
    summary="Atom feed of a month's board",
    response_class=Response,
    responses={**_ATOM_RESPONSE, 404: {"description": "Not a month (YYYY-MM)."}},
)
async def month_feed(request: Request, month: str) -> Response:
    """The papers featured in a month (YYYY-MM), most upvoted first (top 100)."""
    return await _period_feed(request, parse_month, month)


# --- trending, new, search --------------------------------------------------------------------


def _trending_feed(db: Database, base_url: str) -> bytes:
    ranked = boards.trending(db).entries[:TRENDING_ENTRIES]
    feed = FeedInfo(
        title=f"{SITE}: trending papers",
        subtitle="Papers of the last days' boards by time-decayed upvotes.",
        self_url=f"{base_url}/feeds/trending.atom",
        page_url=f"{base_url}/papers/trending",
    )
    papers = [listing.from_board_entry(t.entry) for t in ranked]
    return render_atom(feed, papers, base_url, board=True)


@router.get(
    "/feeds/trending.atom",
    summary="Atom feed of trending papers",
    response_class=Response,
    responses=_ATOM_RESPONSE,
)
async def trending_feed(request: Request) -> Response:
    """The trending ranking (top 50), as on /papers/trending."""
    db = get_db(request)
    base_url = get_settings(request).base_url
    return await _cached_feed(request, ("trending",), lambda: _trending_feed(db, base_url))


def _new_feed(db: Database, base_url: str) -> bytes:
    with db.read() as connection:
        papers = listing.newest_page(connection, None, NEW_ENTRIES)
    feed = FeedInfo(
        title=f"{SITE}: new papers",
        subtitle="The newest papers, whether featured or not.",
        self_url=f"{base_url}/feeds/new.atom",
        page_url=f"{base_url}/papers/new",
    )
    return render_atom(feed, papers, base_url, board=False)


@router.get(
    "/feeds/new.atom",
    summary="Atom feed of the newest papers",
    response_class=Response,
    responses=_ATOM_RESPONSE,
)
async def new_feed(request: Request) -> Response:
    """The 50 most recently published papers in the store."""
    db = get_db(request)
    base_url = get_settings(request).base_url
    return await _cached_feed(request, ("new",), lambda: _new_feed(db, base_url))


def _search_feed(request: Request, q: str, base_url: str) -> bytes:
    papers = hybrid_search(request, q, SEARCH_ENTRIES)
    feed = FeedInfo(
        title=f"{SITE}: search for {q}",
        subtitle=f"Papers best matching {q!r}.",
        self_url=f"{base_url}/feeds/search.atom?{urlencode({'q': q}, quote_via=quote)}",
        page_url=f"{base_url}/search?{urlencode({'q': q}, quote_via=quote)}",
    )
    return render_atom(feed, papers, base_url, board=False)


@router.get(
    "/feeds/search.atom",
    summary="Atom feed of a search",
    response_class=Response,
    responses={**_ATOM_RESPONSE, 400: {"description": "q missing or too long."}},
)
async def search_feed(
    request: Request,
    q: Annotated[
        str,
        Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Keywords (any text)."),
    ],
) -> Response:
    """The 50 best keyword matches for q: subscribe to a topic."""
    base_url = get_settings(request).base_url
    return await _cached_feed(request, ("search", q), lambda: _search_feed(request, q, base_url))
