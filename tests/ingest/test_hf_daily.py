"""Hugging Face daily papers and paper search JSON: three schema generations and the live API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from paperboard.domain.paper import FeaturedRecord, IngestItem, Malformed, PaperRecord
from paperboard.ingest.errors import SourceError
from paperboard.ingest.hf_daily import fetch_daily, parse_daily_papers, parse_search_results
from paperboard.ingest.http import HttpFetcher, StaticFetcher
from tests.httpserver import LocalServer, Reply, Request

HF_DIR = "hf_daily_papers"


def _read(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / HF_DIR / name).read_bytes()


def _split(
    items: list[IngestItem],
) -> tuple[dict[str, PaperRecord], dict[str, FeaturedRecord], list[Malformed]]:
    papers = {i.arxiv_id: i for i in items if isinstance(i, PaperRecord)}
    featured = {i.arxiv_id: i for i in items if isinstance(i, FeaturedRecord)}
    return papers, featured, [i for i in items if isinstance(i, Malformed)]


@pytest.mark.parametrize(
    ("name", "entries", "board_day"),
    [
        ("hf_daily_papers_2024-06-13.json", 21, date(2024, 6, 13)),
        ("hf_daily_papers_2025-07-22.json", 16, date(2025, 7, 22)),
        ("hf_daily_papers_2026-08-12.json", 20, date(2026, 8, 12)),
    ],
)
def test_every_daily_fixture_parses(
    fixtures_dir: Path, name: str, entries: int, board_day: date
) -> None:
    items = list(parse_daily_papers(_read(fixtures_dir, name)))
    papers, featured, malformed = _split(items)
    assert malformed == []
    assert len(papers) == len(featured) == entries
    # Each paper comes just before its featured record, so a loader can store it first.
    assert [type(i) for i in items] == [PaperRecord, FeaturedRecord] * entries
    for paper in papers.values():
        assert paper.title and "\n" not in paper.title
        assert paper.authors and all(paper.authors)
        assert paper.abstract
        assert paper.categories == []
        assert paper.published_at is not None and paper.published_at.tzinfo is not None
    for entry in featured.values():
        # The board's day comes from the data, not from the file name.
        assert entry.day == board_day
        assert entry.source == "huggingface"
        assert entry.submitted_by
        assert entry.upvotes > 0
        assert entry.featured_at is not None


def test_2024_schema(fixtures_dir: Path) -> None:
    papers, featured, _ = _split(
        list(parse_daily_papers(_read(fixtures_dir, "hf_daily_papers_2024-06-13.json")))
    )
    paper = papers["2406.06523"]
    assert paper.title == (
        "NaRCan: Natural Refined Canonical Image with Integration of Diffusion Prior for Video "
        "Editing"
    )
    assert paper.authors[0] == "Ting-Hsuan Chen" and paper.authors[-1] == "Yu-Lun Liu"
    assert len(paper.authors) == 6
    assert paper.published_at == datetime(2024, 6, 10, 17, 59, 46, tzinfo=UTC)
    # No projectPage field in 2024: the link is found in the abstract.
    assert paper.project_page == "https://koi953215.github.io/NaRCan_page/"
    assert paper.ai_summary is None and paper.ai_keywords == [] and paper.github_stars is None
    entry = featured["2406.06523"]
    # In this schema the top-level publishedAt is the featuring time and submittedBy the user.
    assert entry.featured_at == datetime(2024, 6, 13, 1, 59, 44, 496000, tzinfo=UTC)
    assert entry.submitted_by == "yulunliu"
    assert entry.submitted_by_fullname == "Yu-Lun Liu"
    assert entry.upvotes == 32
    assert entry.num_comments == 1
    assert featured["2406.04338"].num_comments == 3
    assert featured["2406.08478"].submitted_by == "akhaliq"


def test_2025_schema(fixtures_dir: Path) -> None:
    data = _read(fixtures_dir, "hf_daily_papers_2025-07-22.json")
    papers, featured, _ = _split(list(parse_daily_papers(data)))
    paper = papers["2507.15846"]
    assert paper.title == "GUI-G^2: Gaussian Reward Modeling for GUI Grounding"
    assert paper.code_urls == ["https://github.com/ZJU-REAL/GUI-G2"]
    assert paper.github_stars == 18
    assert paper.project_page == "https://zju-real.github.io/GUI-G2/"
    assert len(paper.authors) == 12 and paper.authors[0] == "Fei Tang"
    entry = featured["2507.15846"]
    assert entry.submitted_by == "tricktreat"
    assert entry.submitted_by_fullname == "Yongliang Shen"
    assert entry.upvotes == 28
    assert entry.num_comments == 4
    # The top-level publishedAt (2025-07-21T13:53) is the paper's date here, not the board's.
    assert entry.featured_at == datetime(2025, 7, 22, 1, 5, 30, 910000, tzinfo=UTC)
    assert entry.day == date(2025, 7, 22)
    with_summary = papers["2507.14683"]
    assert with_summary.ai_summary and with_summary.ai_summary.startswith("The MiroMind-M1")
    assert with_summary.ai_keywords[:2] == ["reasoning language models", "mathematical reasoning"]
    assert papers["2507.15061"].github_stars == 4842
    assert papers["2507.14683"].code_urls == []


def test_2026_schema(fixtures_dir: Path) -> None:
    data = _read(fixtures_dir, "hf_daily_papers_2026-08-12.json")
    papers, featured, _ = _split(list(parse_daily_papers(data)))
    assert all(paper.ai_summary for paper in papers.values())
    assert papers["2608.10299"].code_urls[0] == (
        "https://github.com/zongqing0068/awesome-co-evolution"
    )
    assert papers["2608.10636"].project_page == "https://huggingface.co/nanovdr"
    entry = featured["2608.10915"]
    assert (entry.submitted_by, entry.submitted_by_fullname) == ("lifuguan", "leoli")
    assert entry.upvotes == 72
    assert featured["2608.10366"].num_comments == 0


def test_day_argument_is_a_fallback(fixtures_dir: Path) -> None:
    # 2024 entries have no submittedOnDailyAt: the caller's day wins over publishedAt's date.
    old = list(
        parse_daily_papers(
            _read(fixtures_dir, "hf_daily_papers_2024-06-13.json"), day=date(2024, 6, 12)
        )
    )
    assert {i.day for i in old if isinstance(i, FeaturedRecord)} == {date(2024, 6, 12)}
    # Newer entries say on which day they were featured; that is kept.
    new = list(
        parse_daily_papers(
            _read(fixtures_dir, "hf_daily_papers_2025-07-22.json"), day=date(2025, 7, 1)
        )
    )
    assert {i.day for i in new if isinstance(i, FeaturedRecord)} == {date(2025, 7, 22)}


@pytest.mark.parametrize(
    ("name", "results", "first"),
    [
        ("hf_papers_search_q-llama-3-herd.json", 11, "2407.21783"),
        ("hf_papers_search_q-kazakh.json", 9, "2404.04487"),
    ],
)
def test_search_results(fixtures_dir: Path, name: str, results: int, first: str) -> None:
    items = list(parse_search_results(_read(fixtures_dir, name)))
    assert len(items) == results
    assert all(isinstance(item, PaperRecord) for item in items)
    assert isinstance(items[0], PaperRecord) and items[0].arxiv_id == first


def test_search_result_fields(fixtures_dir: Path) -> None:
    data = _read(fixtures_dir, "hf_papers_search_q-llama-3-herd.json")
    papers = {p.arxiv_id: p for p in parse_search_results(data) if isinstance(p, PaperRecord)}
    herd = papers["2407.21783"]
    assert herd.title == "The Llama 3 Herd of Models"
    assert len(herd.authors) == 533
    assert herd.authors[:2] == ["Abhimanyu Dubey", "Abhinav Jauhri"]
    assert herd.ai_keywords[0] == "Transformer"
    doge = papers["2503.05856"]
    assert doge.title.endswith("Exploring Deception and Robustness in Mixture of LLMs")
    assert doge.code_urls == ["https://github.com/lorenzflow/robust-moa"]


def test_thumbnails_are_kept(fixtures_dir: Path) -> None:
    """Issue 18: the API answered ``thumbnail: null`` for papers imported with one."""
    for name in ("hf_daily_papers_2024-06-13.json", "hf_papers_search_q-kazakh.json"):
        entries = orjson.loads(_read(fixtures_dir, name))
        parse = parse_daily_papers if "daily" in name else parse_search_results
        papers, _, _ = _split(list(parse(_read(fixtures_dir, name))))
        assert {p.arxiv_id: p.thumbnail_url for p in papers.values()} == {
            e["paper"]["id"]: e["thumbnail"] for e in entries
        }
    assert papers["2404.04487"].thumbnail_url == (
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2404.04487.png"
    )


@pytest.mark.parametrize(
    "thumbnail",
    [
        None,
        "",
        "javascript:alert(1)",
        "/relative/thumb.png",
        "data:image/png;base64,AAAA",
        "https://a.example/with space.png",
        "https://a.example/" + "x" * 2000,
        42,
        ["x"],
    ],
)
def test_a_thumbnail_that_is_no_web_address_is_dropped(thumbnail: Any) -> None:
    entry = {"paper": {"id": "2401.00001", "title": "T"}, "thumbnail": thumbnail}
    papers, _, malformed = _split(list(parse_search_results(orjson.dumps([entry]))))
    assert malformed == [] and papers["2401.00001"].thumbnail_url is None


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"[{", b"<html>rate limited</html>", b"\xff\xfe"])
def test_invalid_json_raises(data: bytes) -> None:
    with pytest.raises(SourceError, match="invalid JSON"):
        list(parse_daily_papers(data))
    with pytest.raises(SourceError, match="invalid JSON"):
        list(parse_search_results(data))


@pytest.mark.parametrize("data", [b'{"error": "Invalid date"}', b'"papers"', b"null"])
def test_not_a_list_raises(data: bytes) -> None:
    with pytest.raises(SourceError, match="expected a JSON list"):
        list(parse_daily_papers(data))


def _entry(arxiv_id: Any, **paper: Any) -> dict[str, Any]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": "A title",
            "summary": "An abstract.",
            "authors": [{"name": "A. Author"}, {"_id": "x", "hidden": True}, {"name": " "}],
            "publishedAt": "2026-11-20T10:00:00.000Z",
            "upvotes": 3,
            **paper,
        },
        "publishedAt": "2026-11-21T08:00:00.000Z",
        "numComments": 2,
    }


def test_bad_entries_are_reported_and_the_rest_kept() -> None:
    entries: list[Any] = [
        _entry("2611.00001"),
        {"paper": {"title": "no id"}},
        _entry("not-an-id"),
        "a string",
        _entry("2611.00002", upvotes=-1),
        _entry("2611.00003", publishedAt="last tuesday"),
        _entry("2611.00004v2"),
    ]
    items = list(parse_daily_papers(orjson.dumps(entries)))
    papers, featured, malformed = _split(items)
    assert list(papers) == list(featured) == ["2611.00001", "2611.00004"]
    assert [m.location for m in malformed] == [
        "entry 2",
        "entry 3",
        "entry 4",
        "entry 5",
        "entry 6",
    ]
    assert malformed[0].reason == "missing paper.id"
    assert "not an arXiv id" in malformed[1].reason
    assert "last tuesday" in malformed[4].reason
    # Authors without a name are skipped; the board day falls back to the top-level publishedAt.
    assert papers["2611.00001"].authors == ["A. Author"]
    assert featured["2611.00001"].day == date(2026, 11, 21)
    assert featured["2611.00001"].submitted_by is None


# --- the live API ---------------------------------------------------------------------------


def _board(fixtures_dir: Path, count: int) -> list[dict[str, Any]]:
    """``count`` real entries of the 2026 board, renumbered so that every id is distinct."""
    template = orjson.loads(_read(fixtures_dir, "hf_daily_papers_2026-08-12.json"))
    board = []
    for n in range(count):
        entry = orjson.loads(orjson.dumps(template[n % len(template)]))
        entry["paper"]["id"] = f"2608.{20000 + n}"
        board.append(entry)
    return board


def test_fetch_daily_pages_through_the_local_server(
    fixtures_dir: Path, local_server: LocalServer
) -> None:
    board = _board(fixtures_dir, 130)

    def daily_papers(request: Request) -> Reply:
        page, limit = int(request.query["p"]), int(request.query["limit"])
        body = orjson.dumps(board[page * limit : (page + 1) * limit])
        return Reply(body=body, content_type="application/json")

    local_server.route("/api/daily_papers", daily_papers)
    fetcher = HttpFetcher(min_interval_s=0, backoff_s=0.01)
    items = fetch_daily(fetcher, date(2026, 8, 12), local_server.url("/api/daily_papers"))
    fetcher.close()
    papers, featured, malformed = _split(items)
    assert malformed == []
    assert len(papers) == len(featured) == 130
    assert list(featured) == [e["paper"]["id"] for e in board]
    assert [r.query for r in local_server.requests] == [
        {"date": "2026-08-12", "limit": "100", "p": "0"},
        {"date": "2026-08-12", "limit": "100", "p": "1"},
    ]


def test_fetch_daily_stops_when_the_server_ignores_paging(fixtures_dir: Path) -> None:
    url = "https://hf.test/api/daily_papers"
    full_page = orjson.dumps(_board(fixtures_dir, 100))
    fetcher = StaticFetcher({url: full_page})
    items = fetch_daily(fetcher, date(2026, 8, 12), url)
    assert sum(isinstance(i, FeaturedRecord) for i in items) == 100
    assert len(fetcher.requests) == 2  # the second page held nothing new


def test_fetch_daily_short_page_is_the_last(fixtures_dir: Path) -> None:
    url = "https://hf.test/api/daily_papers"
    fetcher = StaticFetcher({url: _read(fixtures_dir, "hf_daily_papers_2024-06-13.json")})
    items = fetch_daily(fetcher, date(2024, 6, 13), url)
    assert sum(isinstance(i, FeaturedRecord) for i in items) == 21
    assert fetcher.requests == [(url, {"date": "2024-06-13", "limit": "100", "p": "0"})]


def test_fetch_daily_error_status(local_server: LocalServer) -> None:
    local_server.route("/api/daily_papers", Reply(400, b'{"error":"bad date"}', "application/json"))
    fetcher = HttpFetcher(min_interval_s=0, backoff_s=0.01)
    with pytest.raises(SourceError, match="HTTP 400"):
        fetch_daily(fetcher, date(2026, 8, 12), local_server.url("/api/daily_papers"))
    fetcher.close()
