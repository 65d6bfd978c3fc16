"""Properties (hypothesis) of everything that turns outside text into data: arXiv ids, the ingest
parsers, search queries; and of the ranking.

The modules' own test files pin examples (tests/domain/test_arxiv_id.py already has the id round
trip and "arbitrary text parses or raises InvalidArxivId"); here generated input checks laws that
must hold for every input:

- a parser given any bytes returns records or raises its documented :class:`SourceError`, and
  every record it returns can be stored (canonical id, times that exist in UTC, counts that fit
  the columns); a well-formed generated feed reads back to what was written;
- any text typed into the search box becomes a query that tantivy (SQLite) and PostgreSQL's
  full-text search both accept;
- the trending score is monotone in votes, decays with age, and ranking is pure.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from paperboard.domain.arxiv_id import InvalidArxivId, is_arxiv_id, parse_arxiv_id
from paperboard.domain.paper import (
    MAX_COUNT,
    FeaturedRecord,
    IngestItem,
    Malformed,
    PaperRecord,
    without_nul,
)
from paperboard.domain.ranking import (
    TRENDING_WINDOW,
    on_board_since,
    rank_board,
    rank_trending,
    trending_reference_time,
    trending_score,
)
from paperboard.ingest.arxiv_api import parse_atom
from paperboard.ingest.errors import SourceError
from paperboard.ingest.export import header, iter_export, record_line
from paperboard.ingest.hf_daily import parse_daily_papers, parse_search_results
from paperboard.ingest.loader import load
from paperboard.ingest.oaipmh import parse_oai
from paperboard.ingest.rss import parse_listing
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.search.keyword import KeywordIndex, keyword_query, sync
from paperboard.search.query import MAX_QUERY_CHARS, MAX_WORDS, parse_query
from paperboard.search.service import SearchRequest, SearchService
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.engine import driver_url

# Parsers and queries are cheap: many examples. Searches touch a database: fewer.
MANY = settings(max_examples=200, deadline=None)
SOME = settings(max_examples=100, deadline=None)
FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

HOSTILE_FRAGMENTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE papers; --",
    "title:(a OR",
    'author:"',
    "cat:",
    "AND (",
    "NOT",
    "OR",
    "*",
    "~2",
    "^3",
    "[a TO b]",
    "a:b:c",
    "\\",
    "%_%",
    "&amp;",
    "]]>",
    "../../etc/passwd",
    "\x00",
    "\u202e\u2066",  # right-to-left override, isolate
    "\ufeff",
    "🙂🚀",
    "ǅİıß",  # title case, dotted capital I (lower() grows it), sharp s
    "２４０１.０１２３４",  # full-width digits
    "arXiv:2401.01234v2",
    "https://arxiv.org/abs/hep-th/9901001",
    "2401.01234",
    '"exact phrase"',
    "(((",
    ")))",
    "\n\r\t",
]

hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(HOSTILE_FRAGMENTS), st.text(max_size=12)), max_size=30).map(
        " ".join
    ),
    st.lists(st.sampled_from(HOSTILE_FRAGMENTS), min_size=1, max_size=8).map("".join),
)


# --- arXiv ids: what tests/domain/test_arxiv_id.py's round trip leaves out ----------------------


@st.composite
def new_style_ids(draw: st.DrawFn) -> str:
    yymm = draw(st.integers(7, 99)) * 100 + draw(st.integers(1, 12))
    digits = 5 if yymm >= 1501 else 4
    return f"{yymm:04d}.{draw(st.integers(0, 10**digits - 1)):0{digits}d}"


@st.composite
def old_style_ids(draw: st.DrawFn) -> str:
    archive = draw(st.from_regex(r"[a-z]{1,8}(-[a-z]{1,8})?", fullmatch=True))
    subject = draw(st.one_of(st.just(""), st.from_regex(r"\.[A-Za-z]{2}", fullmatch=True)))
    yymm = f"{draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}"
    return f"{archive}{subject}/{yymm}{draw(st.integers(0, 999)):03d}"


arxiv_ids = st.one_of(new_style_ids(), old_style_ids())


@MANY
@given(arxiv_ids, st.integers(1, 9999))
def test_every_version_up_to_four_digits_round_trips(base: str, version: int) -> None:
    parsed = parse_arxiv_id(f"{base}v{version}")
    assert (parsed.id, parsed.version) == (base, version)
    assert parsed.versioned == f"{base}v{version}"
    # The canonical id is a fixed point: parsing it again changes nothing.
    assert parse_arxiv_id(parsed.id).id == parsed.id


@MANY
@given(arxiv_ids, st.integers(10_000, 10**30))
def test_five_digit_versions_are_refused(base: str, version: int) -> None:
    # A version is stored in an INTEGER column; an absurd one is not an id.
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(f"{base}v{version}")


@MANY
@given(
    st.sampled_from(["", "arXiv:", "https://arxiv.org/abs/", "oai:arXiv.org:", "  "]),
    st.one_of(arxiv_ids, st.text(max_size=30)),
    st.text(max_size=30),
)
def test_id_shaped_text_with_any_suffix_parses_or_raises_invalid(
    prefix: str, middle: str, suffix: str
) -> None:
    candidate = prefix + middle + suffix
    try:
        parsed = parse_arxiv_id(candidate)
    except InvalidArxivId as exc:
        # The message quotes a bounded part of the input (80 characters, escaped).
        assert len(str(exc)) < 1000
        assert not is_arxiv_id(candidate)
        return
    assert is_arxiv_id(candidate)
    assert parse_arxiv_id(parsed.id).id == parsed.id
    assert parsed.version is None or 1 <= parsed.version <= 9999


# --- parsers: any bytes --------------------------------------------------------------------------

DATE_EDGES = [
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
    "2024-02-30T00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00.000Z",
    "Mon, 01 Jan 0001 00:00:00 +0100",
    "Fri, 31 Dec 9999 23:00:00 -0500",
    "Mon, 1 Jan 2024 99:00:00 +0000",
    "Mon, 1 Jan 2024 00:00:00 +9999",
    "Mon, 1 Jan 2024 00:00:00 -0000",
]
NUMBER_EDGES = ["-1", "0", "1", "2147483648", "99999999999999999999", "1e3", "v1", "v99999999"]
ID_EDGES = [
    "2401.01234",
    "http://arxiv.org/abs/2401.01234v2",
    "oai:arXiv.org:hep-th/9901001v3",
    "http://arxiv.org/api/errors#details",
]
# XML 1.0 cannot carry most control characters or lone surrogates at all.
xml_chars = st.characters(
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13)) + "\ufffe\uffff",
)
field_text = st.one_of(
    st.text(xml_chars, max_size=40),
    st.sampled_from(DATE_EDGES + NUMBER_EDGES + ID_EDGES + HOSTILE_FRAGMENTS[:12]),
)


def check_storable(item: IngestItem) -> None:
    """What the loader and the store need of every record a parser hands over."""
    if isinstance(item, Malformed):
        assert isinstance(item.location, str) and isinstance(item.reason, str)
        return
    assert parse_arxiv_id(item.arxiv_id).id == item.arxiv_id
    for f in fields(item):
        value = getattr(item, f.name)
        # PostgreSQL text cannot hold NUL: a parser drops it rather than fail the load.
        if isinstance(value, str):
            assert "\x00" not in value, f.name
        elif isinstance(value, list):
            assert not any("\x00" in v for v in value), f.name
        if isinstance(value, datetime):
            assert value.tzinfo is not None, f.name
            value.astimezone(UTC)  # exists in UTC (no OverflowError at load time)
        elif isinstance(value, int) and not isinstance(value, bool):
            assert 0 <= value <= MAX_COUNT, f"{f.name}={value}"
        elif isinstance(value, list):
            assert all(isinstance(v, str) for v in value), f.name
    if isinstance(item, PaperRecord):
        assert item.version >= 1
        item.content_hash()


def parse_all(parse: Callable[[bytes], list[IngestItem]], data: bytes) -> None:
    try:
        items = parse(data)
    except SourceError:
        return
    for item in items:
        check_storable(item)


PARSERS: dict[str, Callable[[bytes], list[IngestItem]]] = {
    "arxiv_api": lambda data: parse_atom(data).items,
    "oai": lambda data: parse_oai(data).items,
    "listing": lambda data: parse_listing(data).items,
    "hf_daily": lambda data: list(parse_daily_papers(data)),
    "hf_search": lambda data: list(parse_search_results(data)),
    "export": lambda data: list(iter_export(io.BytesIO(data))),
    "snapshot": lambda data: list(iter_snapshot(io.BytesIO(data))),
}


@MANY
@given(st.sampled_from(sorted(PARSERS)), st.binary(max_size=600))
@example("arxiv_api", b"")
@example("oai", b"<OAI-PMH")
@example("hf_daily", b"\xff\xfe")
@example("export", b'{"format": "paperboard-export", "version": 1}\n\xff')
@example("snapshot", b"[1]\n{}\n" + b"\x00" * 10)
@example("listing", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><rss>&a;</rss>')
def test_any_bytes_give_records_or_a_source_error(parser: str, data: bytes) -> None:
    parse_all(PARSERS[parser], data)


ATOM_TEMPLATE = (
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    "<opensearch:totalResults>{total}</opensearch:totalResults><updated>{updated}</updated>"
    "<entry><id>{id}</id><title>{title}</title><published>{published}</published>"
    "<updated>{updated}</updated><summary>{summary}</summary><author><name>{author}</name>"
    '</author><arxiv:primary_category term="{category}"/><link title="doi" href="{doi}"/>'
    "<arxiv:comment>{comment}</arxiv:comment></entry></feed>"
)
RSS_TEMPLATE = (
    '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<channel><title>{title}</title><pubDate>{updated}</pubDate><item><guid>{id}</guid>"
    "<title>{title}</title><description>{summary}</description><pubDate>{published}</pubDate>"
    "<dc:creator>{author}</dc:creator><category>{category}</category>"
    "<arxiv:announce_type>{comment}</arxiv:announce_type></item></channel></rss>"
)
OAI_TEMPLATE = (
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>'
    "<header><identifier>{id}</identifier></header><metadata>"
    '<{fmt} xmlns="http://arxiv.org/OAI/{fmt}/"><id>{id}</id><title>{title}</title>'
    "<abstract>{summary}</abstract><authors>{author}</authors><categories>{category}</categories>"
    '<version version="{total}"><date>{published}</date></version><created>{updated}</created>'
    "<comments>{comment}</comments></{fmt}></metadata></record>"
    '<resumptionToken completeListSize="{total}" cursor="{total}">{doi}</resumptionToken>'
    "</ListRecords></OAI-PMH>"
)
XML_FIELDS = ["id", "title", "published", "updated", "summary", "author", "category", "doi"]
XML_FIELDS += ["comment", "total"]


def _xml_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


@MANY
@given(
    st.sampled_from(["atom", "rss", "oai-arXiv", "oai-arXivRaw"]),
    st.fixed_dictionaries({name: field_text for name in XML_FIELDS}),
)
def test_well_formed_xml_with_any_field_values_gives_storable_records(
    kind: str, values: dict[str, str]
) -> None:
    escaped = {name: _xml_escape(value) for name, value in values.items()}
    if kind == "atom":
        data, parsers = ATOM_TEMPLATE.format(**escaped), ("arxiv_api", "listing")
    elif kind == "rss":
        data, parsers = RSS_TEMPLATE.format(**escaped), ("listing",)
    else:
        data = OAI_TEMPLATE.format(fmt=kind.removeprefix("oai-"), **escaped)
        parsers = ("oai",)
    for parser in parsers:
        parse_all(PARSERS[parser], data.encode())


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(DATE_EDGES + ID_EDGES + ["\x00", "", " "]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@st.composite
def hf_entries(draw: st.DrawFn) -> dict[str, Any]:
    """A daily-papers entry whose every field may be of the wrong type or out of range."""
    value = st.one_of(json_scalars, json_values)
    paper = {
        "id": draw(st.one_of(arxiv_ids, value)),
        "title": draw(st.one_of(st.text(max_size=30), value)),
        "summary": draw(value),
        "authors": draw(st.one_of(st.lists(st.fixed_dictionaries({"name": value})), value)),
        "publishedAt": draw(st.one_of(st.sampled_from(DATE_EDGES), value)),
        "submittedOnDailyAt": draw(st.one_of(st.sampled_from(DATE_EDGES), value)),
        "upvotes": draw(value),
        "githubStars": draw(value),
        "githubRepo": draw(value),
        "ai_keywords": draw(value),
        "submittedOnDailyBy": draw(st.one_of(st.fixed_dictionaries({"user": value}), value)),
    }
    keep = draw(st.sets(st.sampled_from(sorted(paper))))
    return {
        "paper": {key: paper[key] for key in keep | {"id"}},
        "publishedAt": draw(st.one_of(st.sampled_from(DATE_EDGES), value)),
        "numComments": draw(value),
        "title": draw(value),
    }


@SOME
@given(st.lists(hf_entries(), max_size=4))
@example([{"paper": {"id": "2401.01234", "title": "t", "upvotes": 2**63}}])
@example([{"paper": {"id": "2401.01234", "title": "t", "publishedAt": DATE_EDGES[0]}}])
def test_hugging_face_entries_of_any_shape_give_storable_records(
    entries: list[dict[str, Any]],
) -> None:
    data = orjson.dumps(entries)
    parse_all(PARSERS["hf_daily"], data)
    parse_all(PARSERS["hf_search"], data)


@MANY
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(["paper", "featured", "other"]),
            "id": st.one_of(arxiv_ids, json_scalars),
            "arxiv_id": st.one_of(arxiv_ids, json_scalars),
            "title": json_scalars,
            "abstract": json_scalars,
            "authors": st.one_of(st.lists(st.text(max_size=5)), json_values),
            "categories": json_values,
            "published_at": st.one_of(st.sampled_from(DATE_EDGES), json_scalars),
            "version": st.one_of(st.sampled_from(NUMBER_EDGES), json_scalars),
            "github_stars": json_scalars,
            "day": st.one_of(st.sampled_from(["2024-01-01", "0001-01-01"]), json_scalars),
            "upvotes": json_scalars,
            "versions": st.lists(
                st.fixed_dictionaries(
                    {"created": st.one_of(st.sampled_from(DATE_EDGES), json_scalars)},
                    optional={"version": st.one_of(st.sampled_from(NUMBER_EDGES), json_scalars)},
                ),
                max_size=2,
            ),
            "update_date": st.one_of(st.sampled_from(["2024-01-01", "2024-13-01"]), json_scalars),
            "authors_parsed": json_values,
        },
    )
)
@example({"kind": "paper", "arxiv_id": "2401.01234", "title": "t", "abstract": "", "authors": []})
@example({"id": "2401.01234", "title": "t", "versions": [{"created": DATE_EDGES[6]}]})
@example(
    {
        "id": "2401.01234",
        "title": "t",
        "versions": [{"created": "Mon, 1 Jan 2024 00:00:00 GMT", "version": "v99999999"}],
    }
)
def test_json_lines_of_any_shape_give_storable_records(line: dict[str, Any]) -> None:
    body = orjson.dumps(line) + b"\n"
    parse_all(PARSERS["snapshot"], body)
    parse_all(PARSERS["export"], orjson.dumps(header()) + b"\n" + body)


# --- parsers: generated feeds read back ----------------------------------------------------------

words = st.text(string.ascii_letters + "àéîõüßøÆ" + string.digits, min_size=1, max_size=10)
# Text as arXiv sends it after cleaning: words separated by single spaces, any punctuation that
# is not markup-significant to the parsers under test.
one_line = st.lists(
    st.one_of(words, st.sampled_from(["<b>", "&", "'quoted'", '"x"', "$\\alpha$", "🙂", "--"])),
    min_size=1,
    max_size=12,
).map(" ".join)
names = st.lists(words.map(str.capitalize), min_size=1, max_size=3).map(" ".join)
categories = st.lists(
    st.sampled_from(["cs.LG", "cs.CL", "cs.CV", "hep-th", "math.AG", "astro-ph.GA", "stat.ML"]),
    min_size=1,
    max_size=3,
    unique=True,
)
moments = st.datetimes(
    min_value=datetime(1991, 8, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


@dataclass(frozen=True)
class Generated:
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published_at: datetime
    updated_at: datetime
    comment: str | None
    doi: str | None


generated_papers = st.builds(
    Generated,
    arxiv_id=arxiv_ids,
    version=st.integers(1, 9999),
    title=one_line,
    abstract=st.lists(one_line, min_size=1, max_size=4).map("\n".join),
    authors=st.lists(names, min_size=1, max_size=5),
    categories=categories,
    published_at=moments,
    updated_at=moments,
    comment=st.one_of(st.none(), one_line),
    doi=st.one_of(st.none(), st.from_regex(r"10\.\d{4,5}/[a-z0-9.]{1,12}", fullmatch=True)),
)


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = value
    return element


def atom_feed(papers: list[Generated]) -> bytes:
    atom, arxiv = "{http://www.w3.org/2005/Atom}", "{http://arxiv.org/schemas/atom}"
    opensearch = "{http://a9.com/-/spec/opensearch/1.1/}"
    feed = ET.Element(f"{atom}feed")
    _sub(feed, f"{opensearch}totalResults", str(len(papers)))
    _sub(feed, f"{opensearch}startIndex", "0")
    for paper in papers:
        entry = _sub(feed, f"{atom}entry")
        _sub(entry, f"{atom}id", f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}")
        _sub(entry, f"{atom}title", paper.title)
        _sub(entry, f"{atom}summary", paper.abstract)
        _sub(entry, f"{atom}published", paper.published_at.isoformat())
        _sub(entry, f"{atom}updated", paper.updated_at.isoformat())
        for name in paper.authors:
            _sub(_sub(entry, f"{atom}author"), f"{atom}name", name)
        _sub(entry, f"{arxiv}primary_category", term=paper.categories[0])
        for category in paper.categories:
            _sub(entry, f"{atom}category", term=category)
        if paper.comment:
            _sub(entry, f"{arxiv}comment", paper.comment)
        if paper.doi:
            _sub(entry, f"{arxiv}doi", paper.doi)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def oai_raw_response(papers: list[Generated]) -> bytes:
    oai, raw = "{http://www.openarchives.org/OAI/2.0/}", "{http://arxiv.org/OAI/arXivRaw/}"
    root = ET.Element(f"{oai}OAI-PMH")
    body = _sub(root, f"{oai}ListRecords")
    for paper in papers:
        record = _sub(body, f"{oai}record")
        _sub(_sub(record, f"{oai}header"), f"{oai}identifier", f"oai:arXiv.org:{paper.arxiv_id}")
        fields_ = _sub(_sub(record, f"{oai}metadata"), f"{raw}arXivRaw")
        _sub(fields_, f"{raw}id", paper.arxiv_id)
        _sub(fields_, f"{raw}title", paper.title)
        _sub(fields_, f"{raw}abstract", paper.abstract)
        # arXivRaw writes the authors as one string: "A, B and C".
        _sub(fields_, f"{raw}authors", ", ".join(paper.authors))
        _sub(fields_, f"{raw}categories", " ".join(paper.categories))
        if paper.comment:
            _sub(fields_, f"{raw}comments", paper.comment)
        if paper.doi:
            _sub(fields_, f"{raw}doi", paper.doi)
        # Version 1 at the first date; the last version (paper.version) at the update.
        dates = [paper.published_at, max(paper.published_at, paper.updated_at)]
        versions = [1, paper.version] if paper.version > 1 else [1]
        for number, moment in zip(versions, dates, strict=False):
            version = _sub(fields_, f"{raw}version", version=f"v{number}")
            _sub(version, f"{raw}date", format_datetime(moment, usegmt=True))
    _sub(body, f"{oai}resumptionToken", "token-1", completeListSize="9", cursor="0")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def unique_ids(papers: list[Generated]) -> bool:
    return len({paper.arxiv_id for paper in papers}) == len(papers)


@SOME
@given(st.lists(generated_papers, max_size=3).filter(unique_ids))
def test_a_generated_api_feed_reads_back(papers: list[Generated]) -> None:
    page = parse_atom(atom_feed(papers))
    assert page.total_results == len(papers)
    assert len(page.items) == len(papers)
    for paper, item in zip(papers, page.items, strict=True):
        assert isinstance(item, PaperRecord), item
        check_storable(item)
        assert item.arxiv_id == paper.arxiv_id and item.version == paper.version
        assert (item.title, item.abstract) == (paper.title, paper.abstract)
        assert item.authors == paper.authors
        assert item.categories == paper.categories
        assert (item.published_at, item.updated_at) == (paper.published_at, paper.updated_at)
        assert (item.comments, item.doi) == (paper.comment, paper.doi)


@SOME
@given(st.lists(generated_papers, max_size=3).filter(unique_ids))
def test_a_generated_oai_response_reads_back(papers: list[Generated]) -> None:
    page = parse_oai(oai_raw_response(papers))
    assert (page.resumption_token, page.complete_list_size, page.cursor) == ("token-1", 9, 0)
    assert len(page.items) == len(papers)
    for paper, item in zip(papers, page.items, strict=True):
        assert isinstance(item, PaperRecord), item
        check_storable(item)
        assert item.arxiv_id == paper.arxiv_id and item.version == paper.version
        assert (item.title, item.abstract) == (paper.title, paper.abstract)
        assert item.authors == paper.authors
        assert item.categories == paper.categories
        assert item.published_at == paper.published_at
        last = max(paper.published_at, paper.updated_at) if paper.version > 1 else None
        assert item.updated_at == (last or paper.published_at)
        assert (item.comments, item.doi) == (paper.comment, paper.doi)


# Any text the JSON encoder can write (NULs and control characters included; orjson refuses
# lone surrogates, as JSON readers should), and any offset.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
any_moments = st.datetimes(
    min_value=datetime(1991, 8, 1),
    max_value=datetime(2099, 12, 31),
    # Whole minutes: real offsets are, and orjson writes no seconds in an offset.
    timezones=st.builds(
        lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
    ),
)
counts = st.integers(0, MAX_COUNT)
paper_records = st.builds(
    PaperRecord,
    arxiv_id=arxiv_ids,
    title=any_text,
    abstract=any_text,
    authors=st.lists(any_text, max_size=3),
    categories=st.lists(any_text, max_size=3),
    published_at=st.none() | any_moments,
    updated_at=st.none() | any_moments,
    version=st.integers(1, 9999),
    announced_on=st.none() | st.dates(),
    comments=st.none() | any_text,
    doi=st.none() | any_text,
    submitter=st.none() | any_text,
    code_urls=st.lists(any_text, max_size=2),
    ai_keywords=st.lists(any_text, max_size=2),
    github_stars=st.none() | counts,
    ingested_at=st.none() | any_moments,
)
featured_records = st.builds(
    FeaturedRecord,
    arxiv_id=arxiv_ids,
    day=st.dates(),
    submitted_by=st.none() | any_text,
    submitted_by_fullname=st.none() | any_text,
    featured_at=st.none() | any_moments,
    upvotes=counts,
    num_comments=counts,
    source=any_text,
)


@SOME
@given(st.lists(st.one_of(paper_records, featured_records), max_size=5))
def test_an_export_reads_back_exactly(records: list[PaperRecord | FeaturedRecord]) -> None:
    data = orjson.dumps(header()) + b"\n" + b"".join(record_line(r) for r in records)
    # Times come back in UTC (equal datetimes are the same instant whatever the offset); NULs
    # are dropped (the store cannot hold them), everything else is kept exactly.
    assert list(iter_export(io.BytesIO(data))) == [without_nul(r) for r in records]


@SOME
@given(generated_papers)
def test_a_generated_snapshot_line_reads_back(paper: Generated) -> None:
    line = {
        "id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": ", ".join(paper.authors),
        "categories": " ".join(paper.categories),
        "comments": paper.comment,
        "doi": paper.doi,
        "versions": [
            {"version": "v1", "created": format_datetime(paper.published_at, usegmt=True)},
            {"version": f"v{paper.version}", "created": format_datetime(paper.updated_at, True)},
        ],
    }
    (item,) = iter_snapshot(io.BytesIO(orjson.dumps(line) + b"\n"))
    assert isinstance(item, PaperRecord), item
    check_storable(item)
    assert (item.arxiv_id, item.version) == (paper.arxiv_id, paper.version)
    assert (item.title, item.abstract, item.authors) == (paper.title, paper.abstract, paper.authors)
    assert (item.published_at, item.updated_at) == (paper.published_at, paper.updated_at)


# --- what parsers hand over loads, on both backends ----------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database shared by a module's examples (hypothesis runs many per test)."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('props') / 'paperboard.db'}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("postgres_server_url")
    template = request.getfixturevalue("postgres_template")
    name = f"paperboard_props_{os.getpid()}"
    admin = create_engine(driver_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    yield database
    database.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


_numbers = itertools.count(1)


@FEW
@given(st.lists(any_text, min_size=6, max_size=6), st.integers(0, MAX_COUNT))
@example(["t\x00", "a\x00b", "\x00", "c\x00", "k\x00", "u\x00"], MAX_COUNT)
def test_records_from_json_sources_load_whatever_their_text(
    module_db: Database, texts: list[str], upvotes: int
) -> None:
    # Hugging Face's JSON can carry any character, NUL included (PostgreSQL text cannot).
    title, abstract, author, summary, keyword, user = texts
    arxiv_id = f"2401.{next(_numbers):05d}"
    entry = {
        "paper": {
            "id": arxiv_id,
            "title": title or "untitled",
            "summary": abstract,
            "authors": [{"name": author}],
            "ai_summary": summary,
            "ai_keywords": [keyword],
            "upvotes": upvotes,
            "submittedOnDailyAt": "2024-01-01T00:00:00.000Z",
            "submittedOnDailyBy": {"user": user, "fullname": user},
        }
    }
    items = list(parse_daily_papers(orjson.dumps([entry])))
    report = load(module_db, items)
    expected = sum(isinstance(item, PaperRecord) for item in items)
    assert report.new == expected, report.malformed
    with module_db.read() as connection:
        stored = paper_store.records_for(connection, [arxiv_id])
    assert len(stored) == expected
    for record in stored.values():
        assert "\x00" not in record.title + record.abstract


# --- search: any text is a query both engines accept ---------------------------------------------

long_queries = st.lists(
    st.sampled_from([*HOSTILE_FRAGMENTS, "attention", "graph", "model"]), min_size=200
).map(lambda parts: " ".join(parts)[: MAX_QUERY_CHARS + 100])
queries = st.one_of(hostile_text, long_queries, st.text(min_size=3900, max_size=4200))


@SOME
@given(queries)
@example("x" * 4000)
@example('author:"' + "a " * 3000)
@example("cat:cs.CL cat:hep-th cat:" + "x" * 100)
def test_any_text_parses_into_a_bounded_query(query: str) -> None:
    parsed = parse_query(query)
    assert parsed.raw == query[:MAX_QUERY_CHARS]
    assert len(parsed.words) <= MAX_WORDS
    assert all(word == word.lower() and word.strip() for word in parsed.words)
    # Words, phrase words and author names carry no character of tantivy's query syntax.
    pieces = parsed.words + [w for phrase in parsed.phrases for w in phrase] + parsed.authors
    assert not set("".join(pieces)) & set('+-:"()[]{}^~*\\!<>=')
    for arxiv_id in parsed.arxiv_ids:
        assert parse_arxiv_id(arxiv_id).id == arxiv_id
    # Nothing typed reaches tantivy as syntax: the query is built from words and checked names.
    built = keyword_query(parsed)
    assert "\\" not in built and "(" not in built.replace("+(", "")
    assert built.count('"') % 2 == 0


@MANY
@given(new_style_ids(), st.text(string.ascii_letters + " ", max_size=40))
def test_an_id_anywhere_in_the_query_is_found(arxiv_id: str, words_: str) -> None:
    parsed = parse_query(f"{words_} {arxiv_id} {words_}")
    assert arxiv_id in parsed.arxiv_ids


CORPUS = [
    ("2401.00001", "Speculative decoding with draft models", "Ada Lovelace", "cs.CL"),
    ("2401.00002", "Graph neural networks for molecules", "Grace Hopper", "cs.LG"),
    ("2401.00003", "Attention is all you need, again", "Alan Turing", "cs.LG cs.CL"),
    ("hep-th/9901001", "Strings on an old-style identifier", "Zoë Müller", "hep-th"),
]


@pytest.fixture(scope="module")
def search_world(
    module_db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """The keyword search of each backend: tantivy next to SQLite, tsquery in PostgreSQL."""
    load(
        module_db,
        [
            PaperRecord(
                arxiv_id=arxiv_id,
                title=title,
                abstract=f"{title}. An abstract with <b>markup</b> & 'quotes'.",
                authors=[author],
                categories=cats.split(),
                published_at=datetime(2024, 1, 2, tzinfo=UTC),
            )
            for arxiv_id, title, author, cats in CORPUS
        ],
    )
    index = None
    if module_db.is_sqlite:
        index = KeywordIndex(tmp_path_factory.mktemp("kw"))
        sync(module_db, index)
    yield SearchService(module_db, index)
    if index is not None:
        index.close()


# The search page's cat parameter: a category name, or anything a hand-made URL holds.
category_params = st.lists(
    st.one_of(
        st.sampled_from(["cs.LG", "CS.cl", '"', "\\", "cs.\x00LG", "a) OR (b"]), hostile_text
    ),
    max_size=2,
).map(tuple)


@FEW
@given(queries, st.sampled_from(["relevance", "upvotes", "newest"]), category_params)
@example("attention AND (", "relevance", ())
@example('"speculative decoding" author:"Ada" cat:cs.CL', "newest", ("cs.LG",))
@example("title:(a OR b) '; DROP TABLE papers; -- %_% \\ \x00", "upvotes", ('"',))
@example("ǅİ " * 600, "relevance", ("cs.\x00LG", "\\"))
def test_any_text_is_a_query_both_search_engines_accept(
    search_world: SearchService, query: str, sort: str, categories: tuple[str, ...]
) -> None:
    request = SearchRequest(query=query, sort=sort, categories=categories)  # type: ignore[arg-type]
    page = search_world.search(request)
    assert page.total >= len(page.hits) >= 0
    assert len({hit.paper_id for hit in page.hits}) == len(page.hits)


def test_the_search_engines_are_really_searched(search_world: SearchService) -> None:
    # The property above would pass on an engine that finds nothing: pin that each finds.
    page = search_world.search(SearchRequest(query='"draft models" author:"Ada Lovelace"'))
    assert [hit.paper.arxiv_id for hit in page.hits] == ["2401.00001"]
    page = search_world.search(SearchRequest(query="attention cat:cs.CL"))
    found = [hit.paper.arxiv_id for hit in page.hits]
    assert found[0] == "2401.00003" and set(found) <= {"2401.00001", "2401.00003"}


# --- ranking ------------------------------------------------------------------------------------

votes = st.integers(-10, 10**6)
hours = st.floats(-100.0, 24 * 365 * 30, allow_nan=False)


@MANY
@given(votes, votes, hours)
def test_trending_score_never_falls_with_more_votes(a: int, b: int, age: float) -> None:
    low, high = sorted((a, b))
    assert trending_score(low, age) <= trending_score(high, age)
    if 0 <= low < high:
        assert trending_score(low, age) < trending_score(high, age)


@MANY
@given(votes, hours, hours)
def test_trending_score_decays_with_age(upvotes: int, a: float, b: float) -> None:
    young, old = sorted((a, b))
    assert trending_score(upvotes, young) >= trending_score(upvotes, old)
    if young >= 0 and old > young + 1e-6:
        assert trending_score(upvotes, young) > trending_score(upvotes, old)


@MANY
@given(votes, hours)
def test_trending_score_is_a_finite_positive_function_of_its_inputs(
    upvotes: int, age: float
) -> None:
    score = trending_score(upvotes, age)
    assert math.isfinite(score) and score > 0
    assert trending_score(upvotes, age) == score  # no hidden state


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    name: int
    upvotes: int
    featured_at: datetime
    published_at: datetime | None
    day: date  # the board's (featured on its own day, earlier or later)


entries = st.lists(
    st.builds(
        Entry,
        name=st.integers(),
        upvotes=st.integers(0, 500),
        featured_at=st.datetimes(
            datetime(2026, 10, 1), datetime(2026, 11, 25), timezones=st.just(UTC)
        ),
        day=st.dates(date(2026, 6, 1), date(2026, 11, 25)),
        published_at=st.none()
        | st.datetimes(datetime(2026, 1, 1), datetime(2026, 11, 25), timezones=st.just(UTC)),
    ),
    max_size=25,
)


@MANY
@given(entries, st.randoms(use_true_random=False))
def test_rank_board_orders_by_votes_then_newest_and_is_pure(
    board: list[Entry], random: Any
) -> None:
    before = list(board)
    ranked = rank_board(board)
    assert board == before  # the input is left alone
    assert sorted(ranked, key=id) == sorted(board, key=id)  # a permutation
    keys = [(-e.upvotes, -(e.published_at or e.featured_at).timestamp()) for e in ranked]
    assert keys == sorted(keys)
    shuffled = list(board)
    random.shuffle(shuffled)
    # Order does not depend on how the entries came in (beyond exact ties).
    assert [(-e.upvotes, e.published_at or e.featured_at) for e in rank_board(shuffled)] == [
        (-e.upvotes, e.published_at or e.featured_at) for e in ranked
    ]


@MANY
@given(entries)
def test_rank_trending_keeps_the_window_best_score_first(board: list[Entry]) -> None:
    before = list(board)
    ranked = rank_trending(board, NOW)
    assert board == before
    assert rank_trending(board, NOW) == ranked  # deterministic
    in_window = [
        e
        for e in board
        if timedelta(0) <= NOW - on_board_since(e.day, e.featured_at) <= TRENDING_WINDOW
    ]
    assert sorted((t.entry for t in ranked), key=id) == sorted(in_window, key=id)
    # Only the boards of the window's days: an old board stays old whenever it was added to.
    first_day = (NOW - TRENDING_WINDOW).date() - timedelta(days=1)
    assert all(first_day <= t.entry.day <= NOW.date() for t in ranked)
    scores = [t.score for t in ranked]
    assert scores == sorted(scores, reverse=True)
    for item in ranked:
        assert item.score == trending_score(item.entry.upvotes, item.age_hours)


@MANY
@given(st.none() | st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_trending_reference_time_is_now_or_the_last_featuring(latest: datetime | None) -> None:
    reference = trending_reference_time(NOW, latest)
    assert reference in (NOW, latest)
    if latest is None or NOW - latest <= TRENDING_WINDOW:
        assert reference == NOW
    else:
        assert reference == latest < NOW
