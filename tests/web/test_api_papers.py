"""The Hugging Face-compatible JSON API, against a store loaded from real Hugging Face responses.

Shapes are compared key by key with the recorded responses for the keys clients read; values
with the recordings wherever paperboard has the same data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from paperboard.domain.paper import PaperRecord
from paperboard.ingest.loader import load
from paperboard.storage import listing
from paperboard.storage.database import Database
from paperboard.web.api.papers import decode_cursor, encode_cursor
from paperboard.web.response_cache import ResponseCache
from tests import app_factory
from tests.api_site import (
    BASE_URL,
    ENV,
    EXTRA_PAPERS,
    MARKUP,
    MARKUP_DAY,
    OLD_STYLE,
    UNDATED,
    UNDATED_TOO,
    build_site,
    recorded_daily,
    recorded_search,
)
from tests.app_factory import Site

NEWEST_DAY = date(2026, 8, 12)
# Keys Hugging Face sends that paperboard has no data for (documented in web/api/hf_shapes.py).
NOT_PROVIDED_ITEM = {"mediaUrls", "organization"}
NOT_PROVIDED_PAPER = {"mediaUrls", "organization", "ai_summary_model", "githubRepoAddedBy"}
NOT_PROVIDED_USER = {"followerCount", "isUserFollowing"}
# Keys Hugging Face has been seen to send as null where paperboard has nothing.
NULLABLE = {"thumbnail", "avatarUrl", "githubRepo", "githubStars", "projectPage", "ai_summary"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[Site]:
    with build_site(tmp_path_factory.mktemp("api"), fixtures_dir) as built:
        yield built


@pytest.fixture(scope="module")
def client(site: Site) -> TestClient:
    return site.client


def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def flat(text: str) -> str:
    return " ".join(text.split())


# --- /api/daily_papers: shapes and values against the recordings -------------------------------


def assert_same_keys(ours: dict[str, Any], theirs: dict[str, Any], skip: set[str], where: str):
    missing = set(theirs) - set(ours) - skip
    assert not missing, f"{where}: keys Hugging Face sends that we lack: {sorted(missing)}"
    for key in set(theirs) & set(ours):
        a, b = ours[key], theirs[key]
        if a is None and key in NULLABLE:
            continue
        assert type(a) is type(b), f"{where}.{key}: {type(a).__name__} != {type(b).__name__}"


@pytest.mark.parametrize("day", [date(2024, 6, 13), date(2025, 7, 22), NEWEST_DAY])
def test_daily_papers_match_the_recorded_board(client: TestClient, day: date):
    ours = get_json(client, f"/api/daily_papers?date={day}&limit=100")
    theirs = {item["paper"]["id"]: item for item in recorded_daily(day)}
    assert {item["paper"]["id"] for item in ours} == set(theirs)
    upvotes = [item["paper"]["upvotes"] for item in ours]
    assert upvotes == sorted(upvotes, reverse=True), "a board is most upvoted first"

    for item in ours:
        hf = theirs[item["paper"]["id"]]
        where = item["paper"]["id"]
        assert_same_keys(item, hf, NOT_PROVIDED_ITEM, where)
        assert_same_keys(item["paper"], hf["paper"], NOT_PROVIDED_PAPER, where + ".paper")
        paper, hf_paper = item["paper"], hf["paper"]
        assert paper["upvotes"] == hf_paper["upvotes"]
        assert paper["publishedAt"] == hf_paper["publishedAt"]
        assert flat(paper["title"]) == flat(hf_paper["title"])
        assert flat(item["title"]) == flat(hf["title"])
        assert paper["summary"] == hf_paper["summary"].strip()
        assert item["summary"] == paper["summary"]
        assert [a["name"] for a in paper["authors"]] == [
            flat(a["name"]) for a in hf_paper["authors"]
        ]
        assert item["numComments"] == hf["numComments"]
        assert item["thumbnail"] == hf["thumbnail"]  # kept from the import (issue 18)
        assert item["submittedBy"]["name"] == hf["submittedBy"]["name"]
        assert item["submittedBy"]["fullname"] == hf["submittedBy"]["fullname"].strip()
        assert_same_keys(item["submittedBy"], hf["submittedBy"], NOT_PROVIDED_USER, where)
        if "submittedOnDailyAt" in hf_paper:
            # 2025+: the board time is paper.submittedOnDailyAt; ours also says it on top.
            assert paper["submittedOnDailyAt"] == hf_paper["submittedOnDailyAt"]
            assert item["publishedAt"] == hf_paper["submittedOnDailyAt"]
            by, hf_by = paper["submittedOnDailyBy"], hf_paper["submittedOnDailyBy"]
            assert by["user"] == hf_by["user"]
            assert by["fullname"] == hf_by["fullname"].strip()
            assert_same_keys(by, hf_by, NOT_PROVIDED_USER, where + ".submittedOnDailyBy")
        else:
            # 2024: the top-level publishedAt was when the paper went on the board.
            assert item["publishedAt"] == hf["publishedAt"]
            assert paper["submittedOnDailyAt"] == hf["publishedAt"]
        for key in ("ai_summary", "ai_keywords", "githubStars", "projectPage"):
            if key in hf_paper:
                assert paper[key] == hf_paper[key], key
        if hf_paper.get("githubRepo"):
            assert paper["githubRepo"] == hf_paper["githubRepo"].rstrip("/")


def test_ids_are_stable_and_shaped_like_object_ids(client: TestClient):
    first = get_json(client, "/api/daily_papers?date=2024-06-13")
    again = get_json(client, "/api/daily_papers?week=2024-W24")
    by_id = {item["paper"]["id"]: item for item in again}
    for item in first:
        paper = item["paper"]
        ids = [a["_id"] for a in paper["authors"]] + [paper["discussionId"]]
        assert all(re.fullmatch(r"[0-9a-f]{24}", value) for value in ids)
        assert len(set(ids)) == len(ids)
        assert by_id[paper["id"]]["paper"]["authors"] == paper["authors"]


def test_dates_are_iso_utc_with_milliseconds(client: TestClient):
    for item in get_json(client, "/api/daily_papers?month=2025-07"):
        for value in (item["publishedAt"], item["paper"]["publishedAt"]):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value)


def test_without_a_period_the_home_day_is_served(client: TestClient):
    ours = get_json(client, "/api/daily_papers")
    assert {item["paper"]["id"] for item in ours} == {
        item["paper"]["id"] for item in recorded_daily(NEWEST_DAY)
    }


def test_week_and_month_boards(client: TestClient):
    week = get_json(client, "/api/daily_papers?week=2024-W24&limit=100")
    assert len(week) == len(recorded_daily(date(2024, 6, 13)))
    month = get_json(client, "/api/daily_papers?month=2025-01")
    assert [item["paper"]["id"] for item in month] == [MARKUP.arxiv_id]
    assert month[0]["submittedBy"]["name"] == "curator-carol"
    assert month[0]["paper"]["githubRepo"] == "https://github.com/example/markup"
    assert get_json(client, "/api/daily_papers?date=2030-01-01") == []


def test_pages_split_the_board(client: TestClient):
    whole = get_json(client, "/api/daily_papers?date=2026-08-12&limit=100")
    pages = [get_json(client, f"/api/daily_papers?date=2026-08-12&limit=7&p={p}") for p in range(4)]
    assert [len(page) for page in pages] == [7, 7, 6, 0]
    assert [item for page in pages for item in page] == whole


def test_submitter_filter(client: TestClient):
    recorded = recorded_daily(date(2024, 6, 13))
    name = recorded[0]["submittedBy"]["name"]
    expected = {i["paper"]["id"] for i in recorded if i["submittedBy"]["name"] == name}
    ours = get_json(client, f"/api/daily_papers?date=2024-06-13&submitter={name}")
    assert {item["paper"]["id"] for item in ours} == expected
    assert get_json(client, "/api/daily_papers?date=2024-06-13&submitter=nobody-at-all") == []


def test_trending_ranks_the_latest_boards(client: TestClient):
    ours = get_json(client, "/api/daily_papers?sort=trending&limit=100")
    # The store's boards are quiet for months: trending is taken at the last featured time,
    # where only the newest day is within the window; all its papers were featured at once,
    # so the time-decayed score orders them by upvotes.
    assert {item["paper"]["id"] for item in ours} == {
        item["paper"]["id"] for item in recorded_daily(NEWEST_DAY)
    }
    upvotes = [item["paper"]["upvotes"] for item in ours]
    assert upvotes == sorted(upvotes, reverse=True)
    assert len(get_json(client, "/api/daily_papers?sort=trending&limit=5&p=1")) == 5


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("limit=0", 422, "limit"),
        ("limit=101", 422, "limit"),
        ("limit=ten", 422, "limit"),
        ("p=-1", 422, "p"),
        ("sort=upvotes", 422, "sort"),
        ("date=2024-13-01", 400, "Invalid date"),
        ("date=yesterday", 400, "Invalid date"),
        ("week=2024-W60", 400, "Invalid week"),
        ("month=2024-13", 400, "Invalid month"),
        ("date=2024-06-13&week=2024-W24", 400, "at most one"),
        ("sort=trending&date=2024-06-13", 400, "trending"),
    ],
)
def test_invalid_parameters_are_explained(client: TestClient, query: str, status: int, message):
    body = get_json(client, f"/api/daily_papers?{query}", status)
    assert message in str(body)


# --- /api/papers/{id} ----------------------------------------------------------------------------


def test_paper_info_has_the_paper_fields_at_the_top(client: TestClient):
    hf_item = recorded_daily(date(2025, 7, 22))[0]
    info = get_json(client, f"/api/papers/{hf_item['paper']['id']}")
    board_item = get_json(client, "/api/daily_papers?date=2025-07-22&limit=1")[0]
    assert {k: v for k, v in info.items() if k != "numComments"} == board_item["paper"]
    assert info["numComments"] == hf_item["numComments"]
    assert_same_keys(info, hf_item["paper"], NOT_PROVIDED_PAPER, "paper_info")


def test_paper_info_of_old_style_versioned_and_unfeatured_papers(client: TestClient):
    old = get_json(client, f"/api/papers/{OLD_STYLE.arxiv_id}")
    assert old["id"] == "hep-th/9901001"
    assert old["publishedAt"] == "1999-01-04T12:00:00.000Z"
    assert old["submittedOnDailyAt"] is None and old["submittedOnDailyBy"] is None
    assert [a["name"] for a in old["authors"]] == OLD_STYLE.authors
    versioned = get_json(client, "/api/papers/hep-th/9901001v3")
    assert versioned == old
    undated = get_json(client, f"/api/papers/{UNDATED.arxiv_id}")
    assert undated["publishedAt"] is None and undated["authors"] == []


@pytest.mark.parametrize("arxiv_id", ["2401.99999", "hep-th/9912999", "not-an-id", "search/x"])
def test_unknown_papers_are_json_404s(client: TestClient, arxiv_id: str):
    body = get_json(client, f"/api/papers/{arxiv_id}", 404)
    assert set(body) == {"error"}


# --- /api/papers/search --------------------------------------------------------------------------


def test_search_items_have_the_recorded_shape_and_highlights(client: TestClient):
    recorded = {item["paper"]["id"]: item for item in recorded_search("kazakh")}
    ours = get_json(client, "/api/papers/search?q=kazakh&limit=120")
    assert {item["paper"]["id"] for item in ours} >= set(recorded)
    for item in ours:
        for key in ("highlightedTitle", "highlightedSummary"):
            text = item["title"] if key == "highlightedTitle" else item["summary"]
            assert "".join(segment["text"] for segment in item[key]) == text
        hf = recorded.get(item["paper"]["id"])
        if hf is None:
            continue
        assert_same_keys(item, hf, NOT_PROVIDED_ITEM, "search")
        assert_same_keys(item["paper"], hf["paper"], NOT_PROVIDED_PAPER, "search.paper")
        assert item["thumbnail"] == hf["thumbnail"]
        # The title's markup as Hugging Face's (whose titles keep arXiv's line breaks).
        ours_marked = [(s["type"], flat(s["text"])) for s in item["highlightedTitle"]]
        theirs_marked = [(s["type"], flat(s["text"])) for s in hf["highlightedTitle"]]
        assert [s for s in ours_marked if s[0] == "highlight"] == [
            s for s in theirs_marked if s[0] == "highlight"
        ]


def test_search_ranks_the_best_match_first(client: TestClient):
    ours = get_json(client, "/api/papers/search?q=llama%203%20herd&limit=3")
    assert ours[0]["paper"]["id"] == "2407.21783"
    assert len(ours) == 3
    marked = [s["text"] for s in ours[0]["highlightedTitle"] if s["type"] == "highlight"]
    assert marked == ["Llama", "3", "Herd"]


def test_search_with_markup_and_without_matches(client: TestClient):
    assert get_json(client, "/api/papers/search?q=zzzzqqqq") == []
    assert get_json(client, "/api/papers/search?q=attention%20AND%20(") is not None
    found = get_json(client, "/api/papers/search?q=escaping%20markup")
    assert found[0]["paper"]["id"] == MARKUP.arxiv_id


def test_search_without_a_query_lists_the_newest(client: TestClient):
    newest = get_json(client, "/api/papers/search?limit=5")
    listed = get_json(client, "/api/papers?limit=5")
    assert [i["paper"]["id"] for i in newest] == [p["id"] for p in listed]


@pytest.mark.parametrize(
    "query", ["q=", "q=" + "x" * 251, "q=a&limit=0", "q=a&limit=121", "q=a&limit=many"]
)
def test_search_parameters_are_validated(client: TestClient, query: str):
    assert "detail" in get_json(client, f"/api/papers/search?{query}", 422)


# --- /api/papers: key-set pages ------------------------------------------------------------------


def walk(client: TestClient, url: str) -> tuple[list[dict[str, Any]], int]:
    papers: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        papers.extend(response.json())
        pages += 1
        link = response.headers.get("link")
        if link is None:
            break
        match = re.fullmatch(r'<(http[^>]+)>; rel="next"', link)
        assert match, link
        next_url = match[1]
        assert parse_qs(urlsplit(next_url).query)["limit"] == ["7"]
    return papers, pages


def test_link_header_pages_walk_every_paper_exactly_once(client: TestClient):
    total = client.get("/healthz").json()["papers"]
    papers, pages = walk(client, "/api/papers?limit=7")
    ids = [paper["id"] for paper in papers]
    assert len(ids) == len(set(ids)) == total
    assert pages == -(-total // 7)
    dated = [paper["publishedAt"] for paper in papers if paper["publishedAt"]]
    assert dated == sorted(dated, reverse=True), "newest first"
    # Papers without a date come last.
    assert set(ids[-2:]) == {UNDATED.arxiv_id, UNDATED_TOO.arxiv_id}
    for extra in EXTRA_PAPERS:
        assert extra.arxiv_id in ids


def test_pages_in_one_request_equal_the_walk(client: TestClient):
    walked, _ = walk(client, "/api/papers?limit=7")
    whole = get_json(client, "/api/papers?limit=100")
    assert [p["id"] for p in whole] == [p["id"] for p in walked][:100]


def test_last_page_has_no_link(client: TestClient):
    response = client.get("/api/papers?limit=100")
    assert response.status_code == 200
    assert "link" not in response.headers


@pytest.mark.parametrize("cursor", ["garbage!", "bm90IGpzb24", "WzEsMl0", "WyJ4IiwxXQ"])
def test_bad_cursors_are_400(client: TestClient, cursor: str):
    assert "cursor" in get_json(client, f"/api/papers?cursor={cursor}", 400)["error"]


def _cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# Each decodes to JSON of the right outline but holds a field no page can start at: an id
# past the 64-bit integers was an OverflowError in SQLite (a 500), as were the others' kin.
@pytest.mark.parametrize(
    "value",
    [
        [None, 9223372036854775808],
        [None, 2**31],
        [None, -1],
        [None, True],
        ["2024-01-01T00:00:00+00:00", 9223372036854775808],
        [12345, 1],
        [None, 1, 2],
        {"a": None, "b": 1},
        "x" * 40,
    ],
)
def test_cursors_with_fields_out_of_range_are_400(client: TestClient, value: object):
    response = client.get("/api/papers", params={"cursor": _cursor_of(value)})
    assert response.status_code == 400, response.text
    assert "cursor" in response.json()["error"]


def test_papers_search_parameter(client: TestClient):
    found = get_json(client, "/api/papers?search=kazakh&limit=3")
    assert len(found) == 3 and all("id" in paper for paper in found)
    get_json(client, "/api/papers?search=kazakh&cursor=WyJ4IiwxXQ", 400)
    get_json(client, "/api/papers?limit=101", 422)


# --- /papers/{id}.md -----------------------------------------------------------------------------


def test_markdown_page(client: TestClient):
    response = client.get(f"/papers/{OLD_STYLE.arxiv_id}.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith("# Strings on an old-style identifier\n")
    assert "An abstract from 1999 wrapped by arXiv.\n\nA second paragraph" in text
    assert f"<{BASE_URL}/papers/hep-th/9901001>" in text
    featured = client.get(f"/papers/{MARKUP.arxiv_id}.md").text
    assert f"[{MARKUP_DAY}]({BASE_URL}/papers/date/{MARKUP_DAY})" in featured
    assert "\\<script\\>" in featured.splitlines()[0]
    assert client.get("/papers/2401.01234v2.md").status_code == 404  # unknown paper
    assert client.get("/papers/2501.01234v2.md").text == featured
    missing = client.get("/papers/not-an-id.md")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "text/markdown"
    )


def test_html_paper_pages_are_not_taken_by_the_markdown_route(client: TestClient):
    response = client.get(f"/papers/{MARKUP.arxiv_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --- OpenAPI -----------------------------------------------------------------------------------

API_ROUTES = {
    "/api/daily_papers",
    "/api/papers",
    "/api/papers/search",
    "/api/papers/{arxiv_id}",
    "/papers/{arxiv_id}.md",
    "/feeds/date/{day}.atom",
    "/feeds/week/{week}.atom",
    "/feeds/month/{month}.atom",
    "/feeds/trending.atom",
    "/feeds/new.atom",
    "/feeds/search.atom",
}


def test_openapi_documents_every_api_route(client: TestClient):
    schema = get_json(client, "/openapi.json")
    paths = schema["paths"]
    assert set(paths) >= API_ROUTES
    for path in API_ROUTES:
        operation = paths[path]["get"]
        assert operation.get("summary") and len(operation.get("description", "")) > 20, path
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter.get("description"), (path, parameter["name"])
    daily = paths["/api/daily_papers"]["get"]
    names = {parameter["name"] for parameter in daily["parameters"]}
    assert names == {"date", "week", "month", "submitter", "sort", "p", "limit"}
    ok = daily["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["items"]["$ref"].endswith("/HfDailyPaper")
    author = schema["components"]["schemas"]["HfAuthor"]
    assert "_id" in author["properties"]


# --- the response cache ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_serves_until_the_data_version_changes_or_the_ttl_passes():
    version = {"value": 1}
    builds: list[int] = []
    clock = Clock()
    cache = ResponseCache(lambda: version["value"], ttl=10, version_interval=1, clock=clock)

    def build() -> int:
        builds.append(1)
        return len(builds)

    def get() -> int:
        return asyncio.run(cache.get("key", build))

    assert get() == 1
    assert get() == 1  # cached
    version["value"] = 2
    assert get() == 1  # the version is re-read at most once a second
    clock.now += 1.5
    assert get() == 2  # new version: rebuilt
    clock.now += 9.9
    assert get() == 2  # 9.9 s after that build: still fresh
    clock.now += 0.1
    assert get() == 3  # 10 s: past the TTL
    assert get() == 3


def test_cache_is_bounded():
    cache = ResponseCache(lambda: 0, max_entries=3)
    for key in range(10):
        asyncio.run(cache.get(key, lambda key=key: key))
    assert len(cache._entries) == 3


def test_an_ingest_shows_in_the_api_within_the_version_interval(tmp_path: Path, fixtures_dir):
    clock = Clock()
    with build_site(tmp_path, fixtures_dir) as site:
        site.app.state.response_cache = ResponseCache(
            lambda: _version(site), ttl=60, version_interval=1, clock=clock
        )
        test_client = site.open_client()
        before = get_json(test_client, "/api/papers/hep-th/9901001")
        load(site.db, [replace(OLD_STYLE, title="Retitled")])
        assert get_json(test_client, "/api/papers/hep-th/9901001") == before
        clock.now += 1.1
        assert get_json(test_client, "/api/papers/hep-th/9901001")["title"] == "Retitled"


def _version(site: Site) -> object:
    with site.db.read() as connection:
        return listing.data_version(connection)


def test_link_header_comes_from_the_base_url_not_the_host_header(client: TestClient) -> None:
    """Issue 14, finding 9: the next page's URL echoed the request's Host, so whoever sets Host
    (a cache in front keyed on the path only, say) chose where clients go next."""
    first = client.get("/api/papers?limit=7", headers={"host": "evil.example"})
    second = client.get("/api/papers?limit=7", headers={"host": "two.example:8080"})
    assert first.headers["link"].startswith(f"<{BASE_URL}/api/papers?")
    assert second.headers["link"] == first.headers["link"]
    assert "evil.example" not in first.headers["link"]
    assert second.content == first.content


# --- storage.listing on both backends -----------------------------------------------------------


def test_newest_pages_and_data_version_on_each_backend(db: Database) -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    records = [
        PaperRecord(
            arxiv_id=f"2405.{number:05d}",
            title=f"Paper {number}",
            abstract="A.",
            authors=["A. Author"],
            categories=["cs.LG"],
            # Ties on the date (three papers per moment) and two undated papers.
            published_at=None if number >= 10 else moment.replace(hour=number // 3),
        )
        for number in range(12)
    ]
    load(db, records)
    with db.read() as connection:
        before = listing.data_version(connection)
        seen: list[str] = []
        after = None
        while True:
            page = listing.newest_page(connection, after, 4)
            seen += [item.paper.arxiv_id for item in page]
            if len(page) < 4:
                break
            # Through the opaque cursor, as the API hands it out.
            after = decode_cursor(encode_cursor(page[-1].key))
    assert len(seen) == len(set(seen)) == 12
    dated = [record for record in records if record.published_at]
    expected = sorted(dated, key=lambda r: r.published_at, reverse=True)
    published = {record.arxiv_id: record.published_at for record in records}
    assert [published[arxiv_id] for arxiv_id in seen[:10]] == [r.published_at for r in expected]
    assert set(seen[10:]) == {"2405.00010", "2405.00011"}
    load(db, [replace(records[0], title="Changed")])
    with db.read() as connection:
        assert listing.data_version(connection) != before


def test_search_without_a_keyword_index_is_503_not_500(site: Site) -> None:
    with app_factory.build_site(site.db, site.settings.data_dir, env=ENV, cache=True) as unindexed:
        body = get_json(unindexed.client, "/api/papers/search?q=kazakh", 503)
        assert "keyword index" in body["error"]
        assert unindexed.client.get("/feeds/search.atom?q=kazakh").status_code == 503
