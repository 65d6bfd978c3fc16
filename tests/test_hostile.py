"""Hostile input through every user-visible field, on SQLite and PostgreSQL.

One corpus of hostile strings (markup, ``javascript:`` URLs, SQL and search syntax, path
traversal, NUL, right-to-left overrides, template syntax, a megabyte) goes through each way text
enters paperboard: papers from an arXiv API feed (the real parser, and the submit flow that
fetches one), Hugging Face JSON, comments, sign-up, display names, submitted ids, the search box,
subscriptions and paper URLs. Wherever it is shown it must be inert text: parsed as HTML, the page
has no element, attribute or URL the input brought (not a substring test: ``&lt;script&gt;`` is
fine, ``<script>`` is not) and still shows the text. Refused input gets a clear 4xx and changes no
row; nothing answers 500. The modules' own tests cover single cases (tests/web/test_pages_boards.py,
tests/community/test_submissions.py and test_comments.py, tests/web/test_pages_community.py: a
``<script>`` title, display name and comment, a 10 MB body); this file runs the whole corpus
everywhere.
"""

from __future__ import annotations

import email
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from sqlalchemy import func, select

from paperboard.domain.bidi import has_bidi_controls
from paperboard.domain.paper import PaperRecord, clean_title
from paperboard.ingest.arxiv_api import parse_atom
from paperboard.ingest.errors import SourceError
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.http import FetchResponse
from paperboard.ingest.loader import load
from paperboard.ingest.oaipmh import parse_oai
from paperboard.ingest.rss import parse_listing
from paperboard.mail.sender import InMemorySender
from paperboard.search.embedder import HashingEmbedder
from paperboard.search.keyword import sync
from paperboard.search.service import open_search_service
from paperboard.storage import schema
from paperboard.storage.database import Database
from tests.community_site import PASSWORD, Site, Visitor, build_site, featured, paper
from tests.search_corpus import keyword_index_for

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = [
    SCRIPT,
    IMG,
    "javascript:alert(1)",
    "'; DROP TABLE papers; --",
    "title:(a OR",
    "../../etc/passwd",
    "NUL\x00byte",
    "\u202eevil\u202c txt.exe",  # right-to-left override
    "</textarea></title><svg onload=alert(1)>",
    "{{ 7*7 }} {% raw %} ${7*7} <%= 7*7 %>",
    "a\u0000\u0001\u001f\u007f\u2028z",
]
MEGABYTE = "x" * 1_000_000  # under the 1 MiB body limit: the fields' own limits refuse it
MARKDOWN_HOSTILE = [
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src=https://evil.example></iframe>",
    '<img src="x" onerror="alert(1)">',
    "[x](  JaVaScRiPt:alert(1))",
    "<details open ontoggle=alert(1)>",
]
# What a page may legitimately hold under these names: nothing the corpus could have added.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Inspector(HTMLParser):
    """Everything a browser would run or follow, and the text it would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            compact = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and compact.startswith(("javascript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")
        if tag in ("iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        if tag in ("script", "style"):
            self._raw = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw = None

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "script" and "alert(" in data:
            self.problems.append(f"script: {data[:80]!r}")
        elif self._raw is None:
            self.text.append(data)


def inspect(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def assert_inert(html: str, where: str, *shown: str) -> None:
    """No markup, handler or URL came from the input; each of ``shown`` is visible as text."""
    page = inspect(html)
    assert not page.problems, f"{where}: {page.problems}"
    text = " ".join(" ".join(page.text).split())
    for value in shown:
        visible = " ".join(value.replace("\x00", "").split())
        # Titles are set like TeX: "--" is an en dash and braces only group.
        typeset = " ".join(
            visible.replace("--", "\u2013").replace("{", "").replace("}", "").split()
        )
        assert visible in text or typeset in text, f"{where}: {visible!r} is not shown"


def test_the_inspector_finds_what_a_browser_would_run() -> None:
    # The checks below would pass on an inspector that finds nothing.
    for html in (
        SCRIPT,
        f'<input value="{IMG}">',
        '<a href=" JavaScript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe src=x>",
    ):
        assert inspect(html).problems, html
    assert not inspect("&lt;script&gt;alert(1)&lt;/script&gt;").problems
    assert not inspect('<a href="https://example.org/?q=javascript:x">ok</a>').problems


# --- the site -------------------------------------------------------------------------------------


class HostileArxiv:
    """The arXiv API as a fetcher: answers every query with ``feed`` (set by a test)."""

    def __init__(self) -> None:
        self.feed = atom_feed([])
        self.requests = 0

    def get(self, url: str, params: Any = None) -> FetchResponse:
        self.requests += 1
        return FetchResponse(url, 200, self.feed, {})


@dataclass
class HostileSite:
    site: Site
    arxiv: HostileArxiv
    mail: InMemorySender

    def counts(self) -> dict[str, int]:
        tables = ("papers", "featured", "users", "comments", "votes", "subscribers", "api_tokens")
        with self.site.db.read() as connection:
            return {
                name: connection.execute(
                    select(func.count()).select_from(schema.metadata.tables[name])
                ).scalar_one()
                for name in tables
            }


@pytest.fixture
def hostile(db: Database, tmp_path: Path) -> Iterator[HostileSite]:
    arxiv = HostileArxiv()
    index = keyword_index_for(db, tmp_path)
    mail = InMemorySender()
    site = build_site(
        db,
        tmp_path / "data",
        fetcher=lambda: arxiv,
        keyword_index=index,
        search=open_search_service(db, index, tmp_path, embedder=HashingEmbedder(dim=32)),
        mail_sender=mail,
    )
    site.add(
        paper("2401.00001", title="A plain paper", published_at=NOW - timedelta(days=1)),
        featured("2401.00001", TODAY, upvotes=2),
    )
    if index is not None:
        sync(db, index)
    yield HostileSite(site, arxiv, mail)
    site.close()
    if index is not None:
        index.close()


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry NUL or most control characters at all: a feed never has them.
    return "".join(c for c in text if c in "\t\n\r" or " " <= c < "\ufffe")


def atom_feed(papers: list[PaperRecord]) -> bytes:
    """An arXiv API response (Atom) written with ElementTree, so every value is escaped."""
    atom, arxiv = "{http://www.w3.org/2005/Atom}", "{http://arxiv.org/schemas/atom}"
    feed = ET.Element(f"{atom}feed")
    ET.SubElement(feed, "{http://a9.com/-/spec/opensearch/1.1/}totalResults").text = str(
        len(papers)
    )
    for record in papers:
        entry = ET.SubElement(feed, f"{atom}entry")
        ET.SubElement(entry, f"{atom}id").text = f"http://arxiv.org/abs/{record.arxiv_id}v1"
        ET.SubElement(entry, f"{atom}title").text = _xml_safe(record.title)
        ET.SubElement(entry, f"{atom}summary").text = _xml_safe(record.abstract)
        assert record.published_at is not None
        ET.SubElement(entry, f"{atom}published").text = record.published_at.isoformat()
        ET.SubElement(entry, f"{atom}updated").text = record.published_at.isoformat()
        for name in record.authors:
            author = ET.SubElement(entry, f"{atom}author")
            ET.SubElement(author, f"{atom}name").text = _xml_safe(name)
        for category in record.categories:
            ET.SubElement(entry, f"{atom}category", {"term": _xml_safe(category)})
        ET.SubElement(entry, f"{arxiv}comment").text = _xml_safe(record.comments or "")
        ET.SubElement(entry, f"{arxiv}journal_ref").text = _xml_safe(record.journal_ref or "")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def hostile_paper(number: int, text: str) -> PaperRecord:
    return PaperRecord(
        arxiv_id=f"2401.{number:05d}",
        title=f"{text} title {number}",
        abstract=f"Abstract {number}: {text} See https://github.com/x/y and {text}.",
        authors=[f"{text} Mallory", "Eve"],
        categories=["cs.CR", text],
        published_at=NOW - timedelta(hours=number + 1),
        comments=f"{text} 12 pages",
        journal_ref=f"{text} J. Hostile 1",
    )


# --- papers from feeds ----------------------------------------------------------------------------


def test_a_hostile_atom_feed_is_stored_as_sent_and_shown_as_text(hostile: HostileSite) -> None:
    site = hostile.site
    papers = [hostile_paper(number, text) for number, text in enumerate(HOSTILE, start=10)]
    page = parse_atom(atom_feed(papers))
    assert all(isinstance(item, PaperRecord) for item in page.items), page.items
    report = load(site.db, [*page.items, *(featured(p.arxiv_id, TODAY, 1) for p in papers)])
    assert report.new == len(papers) and report.skipped == 0, report.malformed
    if site.app.state.runtime.keyword_index is not None:
        sync(site.db, site.app.state.runtime.keyword_index)
    visitor = site.visitor()
    for path in ("/", "/papers/new", "/papers/trending", f"/papers/date/{TODAY.isoformat()}"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path, SCRIPT, IMG)
    for record in papers:
        title = clean_title(_xml_safe(record.title))
        path = f"/papers/{record.arxiv_id}"
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path, title)
        # The JSON API and the Atom feeds carry the text exactly (escaped by their encoders).
        assert visitor.get(f"/api/papers/{record.arxiv_id}").json()["title"] == title
        markdown = visitor.get(f"{path}.md")
        # The Markdown escapes its one-line fields; the abstract keeps its text (and TeX).
        assert markdown.status_code == 200 and f"title {record.arxiv_id[-2:]}" in markdown.text
        assert "\\<script\\>" in markdown.text or "<script>" not in record.title
    feed = ET.fromstring(visitor.get("/feeds/new.atom").content)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = {entry.findtext(f"{atom}title") for entry in feed.iter(f"{atom}entry")}
    assert {clean_title(_xml_safe(p.title)) for p in papers} <= titles
    # Search finds them by their hostile words and shows them inert too.
    results = visitor.get("/search", params={"q": "title Mallory"})
    assert results.status_code == 200
    assert_inert(results.text, "/search", SCRIPT)


def test_a_hostile_paper_fetched_by_a_submission_is_shown_as_text(hostile: HostileSite) -> None:
    site = hostile.site
    record = hostile_paper(42, f"{SCRIPT} {IMG} javascript:alert(1)")
    hostile.arxiv.feed = atom_feed([record])
    ada = site.signed_in("ada")
    submitted = ada.post_form("/papers/submit", {"arxiv_id": "2401.00042"}, page="/papers/submit")
    assert submitted.status_code == 201, submitted.text
    assert hostile.arxiv.requests == 1
    for path in ("/papers/2401.00042", "/", "/u/ada", "/papers/submit"):
        response = ada.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path)
    assert_inert(ada.get("/papers/2401.00042").text, "paper", SCRIPT, IMG)


def test_hugging_face_json_with_nul_and_javascript_links_is_stored_and_shown_safely(
    hostile: HostileSite,
) -> None:
    site = hostile.site
    entries = [
        {
            "paper": {
                "id": f"2402.{number:05d}",
                "title": f"{text} hf {number}",
                "summary": f"Summary {text}",
                "authors": [{"name": f"{text} Author"}],
                "publishedAt": (NOW - timedelta(days=1)).isoformat(),
                "submittedOnDailyAt": NOW.isoformat(),
                "submittedOnDailyBy": {"user": f"user{number}", "fullname": text},
                "projectPage": "javascript:alert(1)",
                "githubRepo": " JaVaScRiPt:alert(document.cookie)",
                "ai_summary": text,
                "ai_keywords": [text],
                "upvotes": 3,
            },
            "numComments": 0,
        }
        for number, text in enumerate(HOSTILE, start=1)
    ]
    items = list(parse_daily_papers(orjson.dumps(entries)))
    report = load(site.db, items)  # NUL included: PostgreSQL refused the whole batch
    assert report.new == len(HOSTILE) and report.skipped == 0, report.malformed
    visitor = site.visitor()
    home = visitor.get("/")
    assert_inert(home.text, "/", f"{SCRIPT} hf 1")
    for number, text in enumerate(HOSTILE, start=1):
        path = f"/papers/2402.{number:05d}"
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path, text)
        stored = visitor.get(f"/api/papers/2402.{number:05d}").json()
        assert "\x00" not in stored["title"] and stored["title"].endswith(f"hf {number}")
        # Nor does the Markdown make live links of them (autolinks are links too).
        markdown = visitor.get(f"{path}.md").text.lower()
        assert not re.search(r"<\s*javascript:|\]\(\s*javascript:", markdown), markdown


# --- comments -------------------------------------------------------------------------------------


def test_hostile_comments_are_stored_as_written_and_rendered_inert(hostile: HostileSite) -> None:
    site = hostile.site
    ada = site.signed_in("ada")
    for text in [*HOSTILE, *MARKDOWN_HOSTILE]:
        response = ada.comment("2401.00001", f"Before {text} after")
        if has_bidi_controls(text):  # refused with a message that says why
            assert response.status_code == 400, (text, response.status_code)
            assert "reorder text" in response.text
            continue
        assert response.status_code == 303, (text, response.text[:300])
    page = site.visitor().get("/papers/2401.00001")
    assert_inert(page.text, "paper page", SCRIPT, IMG, "javascript:alert(1)")
    thread = site.visitor().get("/api/papers/2401.00001/comments").json()
    refused = sum(has_bidi_controls(text) for text in HOSTILE)
    assert len(thread) == len(HOSTILE) + len(MARKDOWN_HOSTILE) - refused
    # Stored as written (less NULs), rendered through the sanitiser.
    assert {c["text"] for c in thread} >= {f"Before {t} after" for t in MARKDOWN_HOSTILE}
    assert f"Before {SCRIPT} after" in {c["text"] for c in thread}
    for comment in thread:
        assert "\x00" not in comment["text"]
        assert_inert(comment["html"], f"comment html {comment['text']!r}")
    # Editing to hostile text: the edit page's textarea holds it as text.
    first = thread[0]["id"]
    edit = ada.post_form(f"/comments/{first}/edit", {"text": HOSTILE[8]}, page="/account")
    assert edit.status_code == 303
    assert_inert(ada.get(f"/comments/{first}/edit").text, "edit page", HOSTILE[8])


@pytest.mark.parametrize(
    "text",
    ["", " \n\t ", "\x00\x00", MEGABYTE[:10_001], MEGABYTE],
    ids=["empty", "blank", "nul", "10k", "1MB"],
)
def test_refused_comments_change_nothing(hostile: HostileSite, text: str) -> None:
    ada = hostile.site.signed_in("ada")
    before = hostile.counts()
    response = ada.comment("2401.00001", text)
    assert 400 <= response.status_code < 500, response.status_code
    assert_inert(response.text, "refusal")
    token = api_token(hostile)
    api = hostile.site.visitor().http.post(
        "/api/papers/2401.00001/comments",
        json={"text": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code in (400, 422), api.text
    after = hostile.counts()
    assert {**after, "api_tokens": before["api_tokens"]} == before


def api_token(hostile: HostileSite, username: str = "ada") -> str:
    user = hostile.site.community.accounts.by_username(username)
    assert user is not None
    return hostile.site.community.tokens.create(user, "hostile tests")[1]


# --- accounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "email"])
def test_hostile_sign_ups_are_refused_clearly_and_change_nothing(
    hostile: HostileSite, field: str
) -> None:
    visitor = hostile.site.visitor()
    before = hostile.counts()
    for text in [*HOSTILE, MEGABYTE[:300], "ada\x00", "ＡＤＡ"]:
        data = {"username": "mallory", "email": "mallory@example.org", "password": PASSWORD}
        data[field] = text
        response = visitor.post_form("/signup", data, page="/signup")
        assert response.status_code == 400, (text, response.status_code)
        assert_inert(response.text, f"signup {field}={text!r}")
    assert hostile.counts() == before


def test_hostile_log_ins_and_resets_are_plain_failures(hostile: HostileSite) -> None:
    hostile.site.user("ada")
    visitor = hostile.site.visitor()
    before = hostile.counts()
    for text in [*HOSTILE, "ada\x00", "ada' OR '1'='1", MEGABYTE[:5000]]:
        response = visitor.post_form("/login", {"username": text, "password": text}, page="/login")
        assert response.status_code in (400, 401), (text, response.status_code)
        assert_inert(response.text, f"login {text!r}")
        reset = visitor.post_form("/forgot-password", {"email": text}, page="/forgot-password")
        assert reset.status_code < 500, (text, reset.status_code)
        profile = visitor.get(f"/u/{quote(text, safe='')}")
        assert profile.status_code in (400, 404), (text, profile.status_code)
    assert hostile.counts() == before


def test_hostile_display_names_are_shown_as_text(hostile: HostileSite) -> None:
    site = hostile.site
    mallory = site.signed_in("mallory")
    mallory.comment("2401.00001", "hello")
    for text in HOSTILE:
        saved = mallory.post_form("/account", {"display_name": text})
        # Control characters (NUL: a 500 on PostgreSQL) and bidi overrides (they reorder the
        # rest of a line) are refused; the rest is text.
        cleaned = " ".join(text.split())
        refused = has_bidi_controls(cleaned) or any(
            unicodedata.category(c) == "Cc" for c in cleaned
        )
        assert saved.status_code == (400 if refused else 200), (text, saved.status_code)
        assert_inert(saved.text, f"account {text!r}")
        token = mallory.post_form("/account/tokens", {"name": text})
        assert token.status_code == (400 if refused else 201), (text, token.status_code)
        assert_inert(token.text, f"token name {text!r}")
        if refused:
            continue
        for path in ("/papers/2401.00001", "/u/mallory"):
            response = mallory.get(path)
            assert response.status_code == 200, path
            assert_inert(response.text, f"{path} as {text!r}", " ".join(text.split()))
        # The settings form holds it in an input's value: inert, not shown as text.
        assert_inert(mallory.get("/account").text, f"/account as {text!r}")
    too_long = mallory.post_form("/account", {"display_name": MEGABYTE})
    assert too_long.status_code == 400


# --- submissions ----------------------------------------------------------------------------------


def test_hostile_submission_ids_are_refused_and_echoed_inert(hostile: HostileSite) -> None:
    site = hostile.site
    ada = site.signed_in("ada")
    token = api_token(hostile)
    before = hostile.counts()
    ids = [
        *HOSTILE,
        "2401.00001\x00",
        "https://evil.example/abs/2401.00001",
        "2401.00001/../../etc/passwd",
        "arXiv:2401.00001 OR 1=1",
        MEGABYTE[:400],
    ]
    for text in ids:
        response = ada.post_form("/papers/submit", {"arxiv_id": text}, page="/papers/submit")
        assert response.status_code == 400, (text, response.status_code)
        assert_inert(response.text, f"submit {text!r}")
        api = ada.http.post(
            "/api/papers/index",
            json={"arxivId": text},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status_code in (400, 422), (text, api.status_code)
    assert hostile.counts() == before
    assert hostile.arxiv.requests == 0  # nothing that is not an id is asked of arXiv


# --- search ---------------------------------------------------------------------------------------


def test_hostile_searches_answer_inert_pages_and_well_formed_feeds(hostile: HostileSite) -> None:
    visitor = hostile.site.visitor()
    for text in [*HOSTILE, 'author:"<script>" cat:\'; DROP', "%ff%fe", "\ud7ff\ue000"]:
        page = visitor.get("/search", params={"q": text})
        assert page.status_code == 200, (text, page.status_code)
        assert_inert(page.text, f"/search?q={text!r}")
        feed = visitor.get("/feeds/search.atom", params={"q": text})
        assert feed.status_code == 200, (text, feed.status_code)
        ET.fromstring(feed.content)  # well-formed whatever the query
        api = visitor.get("/api/papers/search", params={"q": text})
        assert api.status_code == 200 and isinstance(api.json(), list)
    # Far beyond any field: refused or cut, never a 500.
    for path in ("/search", "/feeds/search.atom", "/api/papers/search"):
        response = visitor.get(path, params={"q": MEGABYTE[:60_000]})
        assert response.status_code in (200, 400, 422), (path, response.status_code)
    # Bytes that are not UTF-8 in the query string.
    raw = visitor.get("/search?q=%ff%fe%00%c3%28")
    assert raw.status_code in (200, 400), raw.status_code


# Every parameter a page or the API reads, with text no form would send. NUL reached PostgreSQL
# (a 500 there only); the search page's cat reached tantivy's query syntax (a 500 for a quote).
QUERY_PARAMETERS = [
    ("/search", {"q": "plain", "cat": '"'}),
    ("/search", {"q": "plain", "cat": "\\"}),
    ("/search", {"q": "plain", "cat": 'a" OR text:"b'}),
    ("/search", {"q": "", "cat": "cs.LG\x00"}),
    ("/search", {"q": "a\x00b", "cat": "cs\x00", "sort": "newest"}),
    ("/search", {"q": 'author:"a\x00b" cat:cs.\x00LG'}),
    ("/api/daily_papers", {"submitter": "\x00"}),
    ("/api/daily_papers", {"submitter": SCRIPT, "sort": "trending"}),
    ("/api/papers", {"search": "a\x00b"}),
    ("/feeds/search.atom", {"q": "a\x00b"}),
    ("/subscribe", {"email": f"{IMG}\x00"}),
    ("/login", {"next": "javascript:alert(1)"}),
    ("/signup", {"next": "//evil.example/\x00"}),
    ("/subscribe/confirm", {"token": "a\x00b"}),
    ("/subscription/manage", {"token": SCRIPT}),
    ("/unsubscribe", {"token": "a\x00b"}),
    ("/reset-password", {"token": IMG}),
]


def test_hostile_query_parameters_never_answer_500(hostile: HostileSite) -> None:
    visitor = hostile.site.visitor()
    for path, params in QUERY_PARAMETERS:
        response = visitor.get(path, params=params)
        assert response.status_code < 500, (path, params, response.status_code)
        if "text/html" in response.headers.get("content-type", ""):
            assert_inert(response.text, f"{path} {params!r}")


# --- subscriptions --------------------------------------------------------------------------------


def test_hostile_subscriptions_are_refused_or_shown_inert(hostile: HostileSite) -> None:
    visitor = hostile.site.visitor()
    for text in HOSTILE:
        before = hostile.counts()
        # The subscribe form is public (no session, so no CSRF token).
        form = visitor.http.post("/subscribe", data={"email": text, "keywords": "diffusion"})
        assert form.status_code == 400, (text, form.status_code)
        assert_inert(form.text, f"subscribe email={text!r}")
        api = visitor.http.post("/api/subscriptions", json={"email": text, "topics": [text]})
        assert api.status_code == 422, (text, api.status_code)
        assert hostile.counts() == before
        # A real address with hostile topics: stored only if they are valid topics, and the
        # answer shows them as text.
        topics = visitor.http.post(
            "/subscribe", data={"email": "ada@example.org", "keywords": text, "interest": text}
        )
        assert topics.status_code in (200, 400), (text, topics.status_code)
        assert_inert(topics.text, f"subscribe keywords={text!r}")
    hostile.site.wait_for_mail()
    assert hostile.mail.messages, "no valid subscription was made: the loop proved nothing"
    for message in hostile.mail.messages:
        for part in email.message_from_bytes(message.data, policy=policy.default).walk():
            if part.get_content_type() == "text/html":
                assert_inert(part.get_content(), "confirmation email")


# --- numbers and dates at the edges ---------------------------------------------------------------

HUGE = "99999999999999999999"  # beyond every INTEGER column (and SQLite's 64 bits)


def test_numbers_and_dates_at_the_edges_are_refused_or_served_never_a_500(
    hostile: HostileSite,
) -> None:
    ada = hostile.site.signed_in("ada")
    before = hostile.counts()
    for path in (
        f"/account/tokens/{HUGE}/revoke",
        f"/comments/{HUGE}/delete",
        f"/comments/{HUGE}/hide",
        f"/comments/{HUGE}/edit",
        "/account/tokens/0/revoke",
    ):
        response = ada.post_form(path, {"text": "x"}, page="/account")
        assert 400 <= response.status_code < 500, (path, response.status_code)
    assert ada.get(f"/comments/{HUGE}/edit").status_code in (400, 404, 422)
    reply = ada.post_form(
        "/papers/2401.00001/comments", {"text": "x", "parent_id": HUGE}, page="/account"
    )
    assert reply.status_code in (400, 422), reply.status_code
    assert hostile.counts() == before
    # The last and first days there are: a range that bounds nothing, not an overflow.
    for params in (
        {"q": "plain", "from": "0001-01-01", "to": "9999-12-31"},
        {"q": "plain", "to": "9999-12-31"},
        {"q": "plain", "from": "9999-12-31"},
    ):
        response = ada.get("/search", params=params)
        assert response.status_code == 200, (params, response.status_code)


# --- paths ----------------------------------------------------------------------------------------

TRAVERSALS = [
    "/papers/..%2F..%2Fetc%2Fpasswd",
    "/papers/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/papers/2401.00001%00",
    "/papers/%00",
    "/papers/%ff%fe",
    "/papers/2401.00001%2F..%2F..%2Fpyproject.toml",
    "/papers/..%2F..%2Fetc%2Fpasswd.md",
    "/api/papers/..%2F..%2Fetc%2Fpasswd",
    "/api/papers/%2e%2e%2f%2e%2e%2fetc%2fpasswd/comments",
    "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/u/..%2F..%2Fetc%2Fpasswd",
    "/u/%00",
    "/feeds/date/..%2F..%2Fetc%2Fpasswd.atom",
    "/papers/date/..%2F..%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_paths_are_not_found_and_read_no_file(hostile: HostileSite, path: str) -> None:
    response = hostile.site.visitor().get(path)
    assert response.status_code in (400, 404), response.status_code
    assert "root:" not in response.text and "[build-system]" not in response.text
    if "text/html" in response.headers.get("content-type", ""):
        assert_inert(response.text, path)


# --- bodies ---------------------------------------------------------------------------------------

OVER_LIMIT = b"x" * (1024 * 1024 + 1)


def test_a_body_just_over_the_limit_is_413_everywhere(hostile: HostileSite) -> None:
    ada = hostile.site.signed_in("ada")
    token = api_token(hostile)
    before = hostile.counts()
    form = {"content-type": "application/x-www-form-urlencoded"}
    json = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    for method, path, headers in [
        ("POST", "/signup", form),
        ("POST", "/subscribe", form),
        ("POST", "/account", form),
        ("POST", "/api/subscriptions", json),
        ("POST", "/api/papers/2401.00001/comments", json),
        ("PATCH", "/api/comments/1", json),
    ]:
        response = ada.http.request(method, path, content=OVER_LIMIT, headers=headers)
        assert response.status_code == 413, (path, response.status_code)
    assert hostile.counts() == before


def test_bodies_that_are_not_utf8_are_refused_without_a_500(hostile: HostileSite) -> None:
    ada = hostile.site.signed_in("ada")
    token = api_token(hostile)
    csrf = ada.csrf("/account").encode()
    before = hostile.counts()
    form = {"content-type": "application/x-www-form-urlencoded"}
    for path, body in [
        ("/papers/2401.00001/comments", b"csrf_token=" + csrf + b"&text=\xff\xfe\xc3\x28"),
        ("/papers/2401.00001/comments", b"csrf_token=" + csrf + b"&text=%ff%fe%c3%28"),
        ("/account", b"csrf_token=" + csrf + b"&display_name=\xed\xa0\x80"),
        ("/subscribe", b"csrf_token=" + csrf + b"&email=\xff@example.org"),
        ("/papers/submit", b"csrf_token=" + csrf + b"&arxiv_id=2401.0000\xff"),
    ]:
        response = ada.http.post(path, content=body, headers=form, follow_redirects=False)
        assert response.status_code in (400, 422) or (
            # Undecodable bytes may also be read as U+FFFD: then the text is simply stored.
            response.status_code in (200, 303)
        ), (path, response.status_code)
        assert response.status_code < 500
    json = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    for path, body in [
        ("/api/papers/2401.00001/comments", b'{"text": "\xff\xfe"}'),
        ("/api/papers/2401.00001/comments", b'{"text": "\\ud800"}'),
        ("/api/subscriptions", b'{"email": "\xc3\x28@example.org"}'),
        ("/api/papers/index", b'{"arxivId": "\xff"}'),
    ]:
        response = ada.http.post(path, content=body, headers=json)
        assert response.status_code in (400, 422), (path, response.status_code, response.text)
        response.json()
    after = hostile.counts()
    # Only comments read as U+FFFD text may have been added; nothing else changed.
    assert {k: v for k, v in after.items() if k != "comments"} == {
        k: v for k, v in before.items() if k != "comments"
    }


# --- XML that attacks the parser ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>2401.00001</id><title>&lol9;</title></entry></feed>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>2401.00001</id><title>&xxe;</title></entry></feed>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feed SYSTEM "http://evil.example/x.dtd">
<feed xmlns="http://www.w3.org/2005/Atom"></feed>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
@pytest.mark.parametrize("parse", [parse_atom, parse_oai, parse_listing])
def test_entity_tricks_are_refused_by_every_xml_parser(parse: Any, document: bytes) -> None:
    with pytest.raises(SourceError) as refused:
        parse(document)
    assert "root:" not in str(refused.value)


def test_the_same_forms_accept_ordinary_input(hostile: HostileSite) -> None:
    # The refusals above go through CSRF-checked forms: a refusal for a missing token or a
    # broken fixture would pass them for the wrong reason. Ordinary input is accepted.
    visitor: Visitor = hostile.site.signed_in("ada")
    assert visitor.comment("2401.00001", "fine").status_code == 303
    assert visitor.post_form("/account", {"display_name": "Ada L."}).status_code == 200
    assert visitor.post_form("/account/tokens", {"name": "laptop"}).status_code == 201
    fresh = hostile.site.visitor()
    assert fresh.sign_up("grace").status_code == 303
    submitted = hostile.site.visitor().http.post("/subscribe", data={"email": "g@example.org"})
    assert submitted.status_code == 200


# --- TeX that nests without end (issue 14, finding 1) ------------------------------------------

# A title from a Hugging Face daily-papers file, and an abstract under arXiv's length limit, that
# each nest deeper than any renderer should follow: they once gave RecursionError (a 500) on
# their paper page and on every board that listed them.
DEEP_TITLE = "$" + "^{" * 2000 + "x" + "}" * 2000 + "$"
DEEP_ABSTRACT = "Towers of exponents grow fast: $x" + "^{" * 260 + "y" + "}" * 260 + "$ indeed."


def test_tex_nested_without_end_is_shown_as_written_on_every_page(hostile: HostileSite) -> None:
    site = hostile.site
    assert len(DEEP_ABSTRACT) < 1920  # arXiv's own limit for an abstract
    site.add(
        replace(paper("2401.00077"), title=DEEP_TITLE, published_at=NOW - timedelta(hours=2)),
        featured("2401.00077", TODAY, upvotes=5),
        replace(paper("2401.00078", title="Deep abstract"), abstract=DEEP_ABSTRACT),
        featured("2401.00078", TODAY, upvotes=4),
    )
    visitor = site.visitor()
    week = TODAY.isocalendar()
    boards = (
        "/",
        "/papers/trending",
        "/papers/new",
        f"/papers/date/{TODAY.isoformat()}",
        f"/papers/week/{week.year}-W{week.week:02d}",
        f"/papers/month/{TODAY:%Y-%m}",
    )
    for path in boards:
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert "^{^{^{" in response.text, path  # past the nesting limit: the source, escaped
    title_page = visitor.get("/papers/2401.00077")
    assert title_page.status_code == 200
    assert_inert(title_page.text, "title page", "^{" * 2000 + "x")
    abstract_page = visitor.get("/papers/2401.00078")
    assert abstract_page.status_code == 200
    assert_inert(abstract_page.text, "abstract page", "Towers of exponents", "^{" * 260 + "y")
