"""The SOURCE grammar (parse_source) and opening each kind of source (open_source)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.config import Settings, load_settings
from paperboard.domain.paper import FeaturedRecord, IngestItem, Malformed, PaperRecord
from paperboard.ingest.arxiv_api import parse_atom
from paperboard.ingest.errors import SourceError
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.http import HttpFetcher
from paperboard.ingest.oaipmh import parse_oai
from paperboard.ingest.rss import parse_listing
from paperboard.ingest.sources import (
    MAX_HF_DAYS,
    SourceSpec,
    SourceSyntaxError,
    open_source,
    parse_source,
)
from tests.httpserver import LocalServer, Reply, Request

SNAPSHOT = "kaggle_arxiv_snapshot/wanng-ide_arxiv-metadata-oai-snapshot_head.jsonl"
RSS = "arxiv_rss/laya-reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml"
OAI_FIRST = "arxiv_oaipmh/litpuvn_ListRecords_arXivRaw_from2016-10-20.xml"
OAI_LAST = (
    "arxiv_oaipmh/hepcrawl/"
    "functional__arxiv__fixtures__http_server__records__arxiv-physics-hep-ex.xml"
)
OAI_NO_RECORDS = "arxiv_oaipmh/mikesaelim_ErrorResponseNoRecordsMatch.xml"
HF_DAYS = {
    "2024-06-13": "hf_daily_papers/hf_daily_papers_2024-06-13.json",
    "2025-07-22": "hf_daily_papers/hf_daily_papers_2025-07-22.json",
}


def today() -> date:
    return datetime.now(UTC).date()


# --- the grammar ---------------------------------------------------------------------------

D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "arxiv:cs.LG@2026-11-20",
            SourceSpec(
                "arxiv", categories=("cs.LG",), date_from=D("2026-11-20"), date_to=D("2026-11-20")
            ),
        ),
        (
            "arxiv:cs.LG,cs.CL@2026-11-20..2026-11-26",
            SourceSpec(
                "arxiv",
                categories=("cs.LG", "cs.CL"),
                date_from=D("2026-11-20"),
                date_to=D("2026-11-26"),
            ),
        ),
        (
            "arxiv:hep-th,stat.ML,math@2024-02-29",
            SourceSpec(
                "arxiv",
                categories=("hep-th", "stat.ML", "math"),
                date_from=D("2024-02-29"),
                date_to=D("2024-02-29"),
            ),
        ),
        ("  arxiv-id:2411.01234  ", SourceSpec("arxiv-id", ids=("2411.01234",))),
        (
            "arxiv-id:2411.01234v2,hep-th/9901001,2411.01234",
            SourceSpec("arxiv-id", ids=("2411.01234", "hep-th/9901001")),
        ),
        (
            "arxiv-id:https://arxiv.org/abs/2411.01234v3",
            SourceSpec("arxiv-id", ids=("2411.01234",)),
        ),
        ("arxiv-oai", SourceSpec("arxiv-oai")),
        ("arxiv-oai:cs", SourceSpec("arxiv-oai", oai_set="cs")),
        (
            "arxiv-oai:cs@2026-11-20",
            SourceSpec(
                "arxiv-oai", oai_set="cs", date_from=D("2026-11-20"), date_to=D("2026-11-20")
            ),
        ),
        (
            "arxiv-oai:physics:hep-th@2026-11-20..2026-11-22",
            SourceSpec(
                "arxiv-oai",
                oai_set="physics:hep-th",
                date_from=D("2026-11-20"),
                date_to=D("2026-11-22"),
            ),
        ),
        (
            "arxiv-oai:@2026-11-20..2026-11-22",
            SourceSpec("arxiv-oai", date_from=D("2026-11-20"), date_to=D("2026-11-22")),
        ),
        ("arxiv-rss:cs.LG", SourceSpec("arxiv-rss", categories=("cs.LG",))),
        (
            "arxiv-rss:cs.LG+cs.CL+stat.ML",
            SourceSpec("arxiv-rss", categories=("cs.LG", "cs.CL", "stat.ML")),
        ),
        (
            "hf-daily:2026-11-20",
            SourceSpec("hf-daily", date_from=D("2026-11-20"), date_to=D("2026-11-20")),
        ),
        (
            "hf-daily:2026-11-20..2026-11-26",
            SourceSpec("hf-daily", date_from=D("2026-11-20"), date_to=D("2026-11-26")),
        ),
        (
            "hf-daily:2025-01-01..2025-12-31",  # 365 days: within the limit
            SourceSpec("hf-daily", date_from=D("2025-01-01"), date_to=D("2025-12-31")),
        ),
    ],
)
def test_parse_source_forms(text: str, expected: SourceSpec) -> None:
    assert parse_source(text) == expected


def test_parse_source_defaults_to_recent_days() -> None:
    spec = parse_source("arxiv:cs.LG", sync_days=3)
    assert spec.date_to == today()
    assert spec.date_from == today() - timedelta(days=2)
    spec = parse_source("arxiv:cs.CV", sync_days=1)
    assert spec.date_from == spec.date_to == today()
    assert parse_source("hf-daily") == SourceSpec("hf-daily", date_from=today(), date_to=today())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("arxiv:cs.LG@2026-13-01", "not a date"),
        ("arxiv:cs.LG@2026-02-30", "not a date"),
        ("arxiv:cs.LG@yesterday", "not a date"),
        ("arxiv:cs.LG@..2026-11-20", "not a date"),
        ("arxiv:cs.LG@2026-11-20..2026-11-3", "not a date"),
        ("arxiv:cs.LG@2026-11-22..2026-11-20", "ends before it starts"),
        ("hf-daily:2026-11-22..2026-11-21", "ends before it starts"),
        ("arxiv-oai:cs@2026-11-22..2026-11-20", "ends before it starts"),
        ("hf-daily:2026/11/20", "not a date"),
        ("hf-daily:2024-01-01..2026-01-01", f"at most {MAX_HF_DAYS} days"),
        ("arxiv-oai:cs@tomorrow", "not a date"),
        ("arxiv:", "no category"),
        ("arxiv:@2026-11-20", "no category"),
        ("arxiv:cs LG", "not an arXiv category"),
        ("arxiv:cs.LG;DROP TABLE papers", "not an arXiv category"),
        ("arxiv:CS.LG", "not an arXiv category"),
        ("arxiv:cs..LG", "not an arXiv category"),
        ("arxiv-rss:", "no category"),
        ("arxiv-rss:cs.LG,cs.CL", "not an arXiv category"),
        ("arxiv-rss:cs.LG+cs/CL", "not an arXiv category"),
        ("arxiv-id:", "no arXiv id"),
        ("arxiv-id:,", "no arXiv id"),
        ("arxiv-id:notanid", ""),
        ("arxiv-id:2411.01234,1234", ""),
        ("arxiv-id:2411.1", ""),
        ("bogus", "unknown SOURCE"),
        ("hf_daily", "unknown SOURCE"),
        ("arxivoai:cs", "unknown SOURCE"),
        ("arxiv-oai@2026-11-20", "unknown SOURCE"),
        ("missing/papers.jsonl", "no such file"),
        ("papers.jsonl.gz", "no such file"),
        ("./nothing-here.json", "no such file"),
        ("s3://bucket/papers.jsonl", "no such file"),
    ],
)
def test_parse_source_errors(text: str, message: str) -> None:
    with pytest.raises(SourceSyntaxError) as raised:
        parse_source(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_parse_source_long_id_list() -> None:
    ids = [f"2411.{n:05d}" for n in range(30)]
    spec = parse_source("arxiv-id:" + ",".join(ids))
    assert spec.ids == tuple(ids)


def test_existing_file_is_always_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "papers.jsonl"
    data.write_text("{}\n")
    assert parse_source(str(data)) == SourceSpec("file", path=data)
    # A file whose name reads like a live source is still a file.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hf-daily").write_text("[]")
    assert parse_source("hf-daily") == SourceSpec("file", path=Path("hf-daily"))
    (tmp_path / "arxiv:cs.LG").write_text("[]")
    assert parse_source("arxiv:cs.LG").kind == "file"


# --- opening sources -----------------------------------------------------------------------


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    client = HttpFetcher(min_interval_s=0, backoff_s=0.01)
    yield client
    client.close()


def settings_for(server: LocalServer, tmp_path: Path) -> Settings:
    return load_settings(
        {},
        data_dir=tmp_path,
        arxiv_api_url=server.url("/api/query"),
        hf_api_url=server.url("/api"),
        arxiv_rss_url=server.url("/rss"),
        arxiv_oai_url=server.url("/oai"),
    )


def cassette(fixtures_dir: Path, prefix: str) -> Reply:
    """A recorded arXiv API response, with its exact bytes and status."""
    (path,) = (fixtures_dir / "arxiv_api" / "arxiv.py_raw").glob(f"{prefix}_*.json")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return Reply(
        recorded["status_code"], recorded["body"].encode("latin-1"), "application/atom+xml"
    )


def summary(items: list[IngestItem]) -> tuple[int, int, int]:
    return (
        sum(isinstance(i, PaperRecord) for i in items),
        sum(isinstance(i, FeaturedRecord) for i in items),
        sum(isinstance(i, Malformed) for i in items),
    )


def test_open_file_source(fixtures_dir: Path, tmp_path: Path, fetcher: HttpFetcher) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    items = list(open_source(parse_source(str(fixtures_dir / SNAPSHOT)), settings, fetcher))
    assert summary(items) == (200, 0, 0)
    assert len({i.arxiv_id for i in items if isinstance(i, PaperRecord)}) == 200
    hf = fixtures_dir / HF_DAYS["2024-06-13"]
    items = list(open_source(parse_source(str(hf)), settings, fetcher))
    assert summary(items) == (21, 21, 0)


def test_open_arxiv_id_source(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    reply = cassette(fixtures_dir, "id_1707.08567")
    local_server.route("/api/query", reply)
    spec = parse_source("arxiv-id:1707.08567v1")
    items = list(open_source(spec, settings_for(local_server, tmp_path), fetcher))
    assert items == parse_atom(reply.body).items
    (record,) = items
    assert isinstance(record, PaperRecord)
    assert record.arxiv_id == "1707.08567"
    (request,) = local_server.requests
    assert request.query["id_list"] == "1707.08567"
    assert request.query["start"] == "0"


def test_open_arxiv_id_source_asks_100_ids_at_a_time(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_0000.0000"))  # empty feed
    ids = tuple(f"2411.{n:05d}" for n in range(150))
    items = list(
        open_source(SourceSpec("arxiv-id", ids=ids), settings_for(local_server, tmp_path), fetcher)
    )
    assert items == []
    sent = [request.query["id_list"].split(",") for request in local_server.requests]
    assert [len(chunk) for chunk in sent] == [100, 50]
    assert tuple(sent[0] + sent[1]) == ids


def test_open_arxiv_category_source_pages(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    full = cassette(fixtures_dir, "q_testing_s0_m100")
    empty = cassette(fixtures_dir, "id_0000.0000")

    def answer(request: Request) -> Reply:
        return full if request.query["start"] == "0" else empty

    local_server.route("/api/query", answer)
    spec = parse_source("arxiv:cs.LG,cs.CL@2026-11-20..2026-11-26")
    items = list(open_source(spec, settings_for(local_server, tmp_path), fetcher))
    assert items == parse_atom(full.body).items
    assert summary(items)[0] == 100
    first, second = local_server.requests
    assert first.query["search_query"] == (
        "(cat:cs.LG OR cat:cs.CL) AND submittedDate:[202611200000 TO 202611262359]"
    )
    assert (first.query["start"], second.query["start"]) == ("0", "100")


def test_open_arxiv_source_error_feed(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_abc"))  # HTTP 400 error feed
    with pytest.raises(SourceError, match="400"):
        list(
            open_source(
                SourceSpec("arxiv-id", ids=("2411.01234",)),
                settings_for(local_server, tmp_path),
                fetcher,
            )
        )


def test_open_arxiv_source_retries_after_503(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    reply = cassette(fixtures_dir, "id_1707.08567")
    local_server.route(
        "/api/query", [Reply(503, b"busy", "text/plain", {"Retry-After": "0"}), reply]
    )
    spec = parse_source("arxiv-id:1707.08567")
    items = list(open_source(spec, settings_for(local_server, tmp_path), fetcher))
    assert summary(items) == (1, 0, 0)
    assert len(local_server.requests) == 2


def test_open_hf_daily_source(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    bodies = {day: (fixtures_dir / name).read_bytes() for day, name in HF_DAYS.items()}
    empty = b"[]"

    def answer(request: Request) -> Reply:
        return Reply(200, bodies.get(request.query["date"], empty), "application/json")

    local_server.route("/api/daily_papers", answer)
    settings = settings_for(local_server, tmp_path)
    items = list(open_source(parse_source("hf-daily:2024-06-13"), settings, fetcher))
    assert items == list(parse_daily_papers(bodies["2024-06-13"], day=date(2024, 6, 13)))
    assert summary(items) == (21, 21, 0)
    featured = [i for i in items if isinstance(i, FeaturedRecord)]
    assert {f.day for f in featured} == {date(2024, 6, 13)}

    local_server.requests.clear()
    items = list(open_source(parse_source("hf-daily:2024-06-12..2024-06-14"), settings, fetcher))
    assert summary(items) == (21, 21, 0)
    assert [r.query["date"] for r in local_server.requests] == [
        "2024-06-12",
        "2024-06-13",
        "2024-06-14",
    ]
    assert all(r.query["p"] == "0" for r in local_server.requests)


def test_open_hf_daily_source_http_error(
    tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    local_server.route("/api/daily_papers", Reply(404, b"no", "text/plain"))
    items = open_source(
        parse_source("hf-daily:2026-11-20"), settings_for(local_server, tmp_path), fetcher
    )
    with pytest.raises(SourceError, match="404"):
        list(items)


def test_open_arxiv_rss_source(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    body = (fixtures_dir / RSS).read_bytes()
    local_server.route("/rss/cs.LG+cs.AI+cs.CL+stat.ML", Reply(200, body, "application/rss+xml"))
    spec = parse_source("arxiv-rss:cs.LG+cs.AI+cs.CL+stat.ML")
    items = list(open_source(spec, settings_for(local_server, tmp_path), fetcher))
    assert items == parse_listing(body).items
    papers, _, malformed = summary(items)
    assert papers > 0
    assert malformed == 0


def test_open_arxiv_oai_source_follows_resumption_token(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    first = (fixtures_dir / OAI_FIRST).read_bytes()
    last = (fixtures_dir / OAI_LAST).read_bytes()

    def answer(request: Request) -> Reply:
        return Reply(200, last if "resumptionToken" in request.query else first, "text/xml")

    local_server.route("/oai", answer)
    spec = parse_source("arxiv-oai:cs@2016-10-20..2016-10-21")
    items = list(open_source(spec, settings_for(local_server, tmp_path), fetcher))
    assert items == [*parse_oai(first).items, *parse_oai(last).items]
    assert summary(items)[0] == 387 + 3
    opening, following = local_server.requests
    assert opening.query == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "cs",
        "from": "2016-10-20",
        "until": "2016-10-21",
    }
    assert following.query == {"verb": "ListRecords", "resumptionToken": "1403493|1001"}


def test_open_arxiv_oai_source_no_records(
    fixtures_dir: Path, tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    body = (fixtures_dir / OAI_NO_RECORDS).read_bytes()
    local_server.route("/oai", Reply(200, body, "text/xml"))
    items = list(
        open_source(parse_source("arxiv-oai"), settings_for(local_server, tmp_path), fetcher)
    )
    assert items == []
    (request,) = local_server.requests
    assert request.query == {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}


def test_open_source_is_lazy(
    tmp_path: Path, local_server: LocalServer, fetcher: HttpFetcher
) -> None:
    """Nothing is fetched until the records are read (a failing source fails on iteration)."""
    settings = settings_for(local_server, tmp_path)
    items = open_source(parse_source("arxiv:cs.LG@2026-11-20"), settings, fetcher)
    assert local_server.requests == []
    with pytest.raises(SourceError):
        next(iter(items))
