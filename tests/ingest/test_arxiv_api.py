"""The arXiv API source: recorded Atom responses (2016 and current format), paging, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperboard.domain.paper import Malformed, PaperRecord
from paperboard.ingest.arxiv_api import AtomPage, category_query, fetch, parse_atom
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import FetchError, HttpFetcher
from tests.httpserver import LocalServer, Reply, Request

# Entries and opensearch:totalResults of every recorded response (error feed aside).
EXPECTED_COUNTS = {
    "arxiv.py_2016_xml/id_list_1111.2011v2.xml": (1, 1),
    "arxiv.py_2016_xml/search_au_del_maestro.xml": (10, 31),
    "arxiv.py_2016_xml/search_au_del_maestro_ANDNOT_checkerboard_pyrochlore.xml": (10, 24),
    "arxiv.py_2016_xml/search_au_del_maestro_AND_ti_checkerboard.xml": (1, 1),
    "arxiv.py_2016_xml/search_au_del_maestro_AND_ti_quantum_criticality.xml": (2, 2),
    "arxiv.py_2026_xml/id_0000.0000_s0_m100_8b51d9633a68.xml": (0, 0),
    "arxiv.py_2026_xml/id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml": (1, 1),
    "arxiv.py_2026_xml/id_0808.05394_s0_m100_7b0c7d0a7cdd.xml": (0, 0),
    "arxiv.py_2026_xml/id_1605.08386_s0_m100_199195aa31ad.xml": (1, 1),
    "arxiv.py_2026_xml/id_1707.08567_s0_m100_6a1afebfc6a3.xml": (1, 1),
    "arxiv.py_2026_xml/id_2104.12255v1_s0_m100_6ae69987ffe1.xml": (1, 1),
    "arxiv.py_2026_xml/id_astro-ph_0601001_s0_m100_3150dca9dc76.xml": (1, 1),
    "arxiv.py_2026_xml/id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml": (1, 1),
    "arxiv.py_2026_xml/q_testing_s0_m100_cfe7536492ca.xml": (100, 214881),
    "arxiv.py_2026_xml/q_testing_s0_m10_bc5a6c384fe9.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s0_m15_80c242b59d59.xml": (15, 214881),
    "arxiv.py_2026_xml/q_testing_s10_m10_34e56e15aaac.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s20_m10_348a237fecab.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s30_m10_f2e39f0143dc.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s40_m10_96dd32eb854c.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s50_m10_7f488ab8598c.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s5_m10_c0e94a259d4a.xml": (10, 214881),
    "arxiv.py_2026_xml/q_testing_s5_m15_bbcf6b23085b.xml": (15, 214881),
    "arxiv.py_2026_xml/q_testing_s9_m15_0b78d4b4d476.xml": (15, 214881),
}
ERROR_FEED = "arxiv.py_2026_xml/id_abc_s0_m100_b79c8dcf6bc3.xml"

FEED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
    ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n'
)


def api_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "arxiv_api"


def recorded(fixtures_dir: Path, prefix: str) -> tuple[int, bytes]:
    """Status and the exact response bytes of a recording in arxiv.py's JSON cassettes.

    The cassettes keep the body as latin-1 text of the raw bytes, so encoding it back as latin-1
    restores what arXiv sent (the extracted .xml files re-encoded that text as UTF-8, which
    turns "í" into "Ã\xad"; only the raw cassettes have the real non-ASCII bytes).
    """
    (path,) = (api_dir(fixtures_dir) / "arxiv.py_raw").glob(f"{prefix}_*.json")
    cassette = json.loads(path.read_text(encoding="utf-8"))
    return cassette["status_code"], cassette["body"].encode("latin-1")


def papers(page: AtomPage) -> list[PaperRecord]:
    assert all(isinstance(item, PaperRecord) for item in page.items), page.items
    return [item for item in page.items if isinstance(item, PaperRecord)]


def by_id(page: AtomPage, arxiv_id: str) -> PaperRecord:
    (paper,) = (p for p in papers(page) if p.arxiv_id == arxiv_id)
    return paper


def feed(*entries: str, total: int | None = None, start: int = 0) -> bytes:
    counters = ""
    if total is not None:
        counters = (
            f"<opensearch:totalResults>{total}</opensearch:totalResults>"
            f"<opensearch:startIndex>{start}</opensearch:startIndex>"
            f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>"
        )
    return (FEED_HEAD + counters + "".join(entries) + "</feed>").encode("utf-8")


def entry(
    arxiv_id: str = "2611.01234v1",
    title: str = "A title",
    extra: str = "",
    published: str = "2026-11-20T10:00:00Z",
) -> str:
    id_element = f"<id>http://arxiv.org/abs/{arxiv_id}</id>" if arxiv_id else ""
    title_element = f"<title>{title}</title>" if title else ""
    return (
        f"<entry>{id_element}{title_element}<summary>An abstract.</summary>"
        f"<published>{published}</published><updated>{published}</updated>"
        f"<author><name>Ada Lovelace</name></author>{extra}</entry>"
    )


# --- recorded responses -------------------------------------------------------------------------


def test_every_recorded_feed_parses_into_complete_papers(fixtures_dir: Path) -> None:
    files = {
        str(path.relative_to(api_dir(fixtures_dir)))
        for path in api_dir(fixtures_dir).glob("arxiv.py_20*_xml/*.xml")
    }
    assert files == set(EXPECTED_COUNTS) | {ERROR_FEED}
    for name, (entries, total) in EXPECTED_COUNTS.items():
        page = parse_atom((api_dir(fixtures_dir) / name).read_bytes())
        assert (len(page.items), page.total_results) == (entries, total), name
        for paper in papers(page):
            assert paper.title and "\n" not in paper.title, name
            assert paper.abstract and paper.abstract == paper.abstract.strip(), name
            assert paper.authors and paper.categories, name
            assert paper.published_at is not None and paper.published_at.tzinfo == UTC
            assert paper.updated_at is not None and paper.updated_at >= paper.published_at


def test_current_format_page_of_100(fixtures_dir: Path) -> None:
    page = parse_atom(recorded(fixtures_dir, "q_testing_s0_m100")[1])
    found = papers(page)
    assert (len(found), page.total_results, page.start_index, page.items_per_page) == (
        100,
        214881,
        0,
        100,
    )
    # Counts from SOURCES.md: versions v2+, comments, journal refs and DOIs.
    assert sum(p.version >= 2 for p in found) == 36
    assert sum(p.comments is not None for p in found) == 97
    assert sum(p.journal_ref is not None for p in found) == 18
    assert sum(p.doi is not None for p in found) == 32
    assert len({p.arxiv_id for p in found}) == 100


def test_current_format_entry_values(fixtures_dir: Path) -> None:
    page = parse_atom(recorded(fixtures_dir, "q_testing_s0_m100")[1])
    paper = by_id(page, "2005.14124")
    assert paper.version == 2
    assert paper.categories == ["cs.SE", "cs.CR", "cs.LG"]
    assert paper.primary_category == "cs.SE"
    assert paper.published_at == datetime(2020, 5, 28, 16, 19, 50, tzinfo=UTC)
    assert paper.updated_at == datetime(2020, 7, 16, 8, 15, 48, tzinfo=UTC)
    assert paper.doi == "10.1145/3395363.3397376"
    # Authors with <arxiv:affiliation>: names only, in order.
    gaudel = next(p for p in papers(page) if "Marie-Claude Gaudel" in p.authors)
    assert gaudel.authors == ["Marie-Claude Gaudel", "Pascale Le Gall"]
    assert gaudel.journal_ref == (
        "Formal Methods and Testing, Springer-Verlag (Ed.) (2008) 209-239"
    )
    # Links found in the abstract or the comments.
    assert by_id(page, "1706.00679").code_urls == [
        "https://github.com/ydecastro/super-resolution-testing"
    ]
    assert by_id(page, "2507.10541").project_page == "https://opendatalab.github.io/REST"


def test_unicode_and_tex_survive_from_the_real_bytes(fixtures_dir: Path) -> None:
    page = parse_atom(recorded(fixtures_dir, "q_testing_s0_m100")[1])
    assert by_id(page, "2405.13786").authors[:3] == [
        "Aurora Ramírez",
        "Mario Berrios",
        "José Raúl Romero",
    ]
    assert by_id(page, "2306.03845").title.startswith("$ω$Test: WebView-Oriented Testing")
    assert by_id(page, "gr-qc/0103067").authors == ["Mark P. Haugan", "C. Lämmerzahl"]


def test_old_style_id_with_affiliations(fixtures_dir: Path) -> None:
    (paper,) = papers(parse_atom(recorded(fixtures_dir, "id_astro-ph_0601001")[1]))
    assert (paper.arxiv_id, paper.version) == ("astro-ph/0601001", 1)
    assert paper.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert paper.categories == ["astro-ph"]
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.comments is not None and paper.comments.startswith("62 pages including 16")
    assert paper.doi is None
    assert paper.abstract.startswith("We derive the frequencies of hot Jupiters")


def test_old_2016_format(fixtures_dir: Path) -> None:
    name = "arxiv.py_2016_xml/id_list_1111.2011v2.xml"
    (paper,) = papers(parse_atom((api_dir(fixtures_dir) / name).read_bytes()))
    assert (paper.arxiv_id, paper.version) == ("1111.2011", 2)
    # The title is wrapped over two lines in the feed.
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.comments == "8 pages, 3 figures. Published version"
    assert paper.published_at == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert paper.updated_at == datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)

    page = parse_atom(
        (api_dir(fixtures_dir) / "arxiv.py_2016_xml/search_au_del_maestro.xml").read_bytes()
    )
    found = papers(page)
    assert sum(p.version >= 2 for p in found) == 4
    assert all(p.doi and p.journal_ref and p.comments for p in found)


def test_doi_from_a_doi_link_when_no_arxiv_doi() -> None:
    link = '<link title="doi" href="http://dx.doi.org/10.1000/xyz.123" rel="related"/>'
    (paper,) = parse_atom(feed(entry(extra=link))).items
    assert isinstance(paper, PaperRecord) and paper.doi == "10.1000/xyz.123"


def test_author_names_are_one_line_with_tex_accents_resolved() -> None:
    authors = (
        "<author><name>Bal\\'azs\n      Szegedy</name></author>"
        "<author><name>   </name></author>"
        '<author><name>Fran\\c{c}ois M\\"uller</name>'
        "<arxiv:affiliation>ETH</arxiv:affiliation></author>"
    )
    (paper,) = parse_atom(feed(entry(extra=authors))).items
    assert isinstance(paper, PaperRecord)
    assert paper.authors == ["Ada Lovelace", "Balázs Szegedy", "François Müller"]


def test_primary_category_first_then_feed_order_without_duplicates() -> None:
    extra = (
        '<category term="stat.ML"/><category term="cs.LG"/><category term="math.ST"/>'
        '<category term="stat.ML"/><arxiv:primary_category term="cs.LG"/>'
    )
    (paper,) = parse_atom(feed(entry(extra=extra))).items
    assert isinstance(paper, PaperRecord)
    assert paper.categories == ["cs.LG", "stat.ML", "math.ST"]


def test_unicode_and_tex_title_on_one_line() -> None:
    title = "Über $\\alpha$-stabile\n   Lévy-Prozesse:  a $\\mathcal{O}(n^{2})$ bound &amp; 数学"
    (paper,) = parse_atom(feed(entry(title=title))).items
    assert isinstance(paper, PaperRecord)
    assert (
        paper.title == "Über $\\alpha$-stabile Lévy-Prozesse: a $\\mathcal{O}(n^{2})$ bound & 数学"
    )


def test_timestamps_are_converted_to_utc() -> None:
    (paper,) = parse_atom(feed(entry(published="2026-11-20T10:00:00-05:00"))).items
    assert isinstance(paper, PaperRecord)
    assert paper.published_at == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert paper.published_at.tzinfo == UTC


# --- errors and odd feeds -----------------------------------------------------------------------


def test_error_feed_raises_with_arxivs_message(fixtures_dir: Path) -> None:
    with pytest.raises(SourceError, match="incorrect id format for abc"):
        parse_atom((api_dir(fixtures_dir) / ERROR_FEED).read_bytes())


@pytest.mark.parametrize("prefix", ["id_0000.0000", "id_0808.05394_s0"])
def test_recorded_empty_feeds(fixtures_dir: Path, prefix: str) -> None:
    page = parse_atom(recorded(fixtures_dir, prefix)[1])
    assert (page.items, page.total_results, page.items_per_page) == ([], 0, 100)


def test_feed_without_counters_or_entries() -> None:
    page = parse_atom(feed())
    assert (page.items, page.total_results, page.start_index) == ([], 0, 0)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        b"<html><body>Service Unavailable</body></html>",
        FEED_HEAD.encode() + b"<opensearch:totalResults>many</opensearch:totalResults></feed>",
        b'<!DOCTYPE feed [<!ENTITY x "y">]><feed xmlns="http://www.w3.org/2005/Atom"/>',
    ],
    ids=["empty", "truncated", "not-atom", "bad-total", "dtd"],
)
def test_unusable_responses_raise_source_error(data: bytes) -> None:
    with pytest.raises(SourceError):
        parse_atom(data)


def test_bad_entries_are_reported_and_the_rest_continues() -> None:
    page = parse_atom(
        feed(
            entry(arxiv_id=""),
            entry(arxiv_id="2611.00002v3", title="Kept"),
            entry(arxiv_id="2611.00003v1", title=""),
            entry(arxiv_id="not-an-id"),
            entry(arxiv_id="2611.00005v1", published="yesterday"),
            total=5,
        )
    )
    assert [type(item) for item in page.items] == [
        Malformed,
        PaperRecord,
        Malformed,
        Malformed,
        Malformed,
    ]
    first, kept, no_title, bad_id, bad_date = page.items
    assert isinstance(first, Malformed) and first.location == "entry 1" and "<id>" in first.reason
    assert isinstance(kept, PaperRecord) and (kept.arxiv_id, kept.version) == ("2611.00002", 3)
    assert isinstance(no_title, Malformed) and no_title.location == "entry 3"
    assert "2611.00003" in no_title.reason
    assert isinstance(bad_id, Malformed) and bad_id.location == "entry 4"
    assert isinstance(bad_date, Malformed) and "date" in bad_date.reason


# --- query building -----------------------------------------------------------------------------


def test_category_query() -> None:
    assert (
        category_query(["cs.LG", "cs.CL"], date(2026, 11, 20), date(2026, 11, 26))
        == "(cat:cs.LG OR cat:cs.CL) AND submittedDate:[202611200000 TO 202611262359]"
    )
    assert category_query(["hep-th"], None, None) == "cat:hep-th"
    assert category_query(["physics.bio-ph"], None, date(2001, 2, 3)) == (
        "cat:physics.bio-ph AND submittedDate:[199108010000 TO 200102032359]"
    )
    before = datetime.now(UTC).date()
    open_ended = category_query(["math.AG"], date(2026, 1, 1), None)
    after = datetime.now(UTC).date()
    assert open_ended in {
        f"cat:math.AG AND submittedDate:[202601010000 TO {day:%Y%m%d}2359]"
        for day in (before, after)
    }


@pytest.mark.parametrize(
    ("categories", "dates"),
    [
        ([], (None, None)),
        (["cs.LG) OR all:(x"], (None, None)),
        (["cs LG"], (None, None)),
        (["cs.LG"], (date(2026, 2, 1), date(2026, 1, 1))),
    ],
)
def test_category_query_rejects_bad_input(
    categories: list[str], dates: tuple[date | None, date | None]
) -> None:
    with pytest.raises(ValueError):
        category_query(categories, *dates)


# --- live client against a local server ---------------------------------------------------------


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    """The real fetcher, without the 3-second pause between requests and with short backoffs."""
    client = HttpFetcher(min_interval_s=0, backoff_s=0.01, retries=2)
    yield client
    client.close()


def serve_testing_pages(fixtures_dir: Path, server: LocalServer) -> None:
    """Answer each start=0,10,...,50 with the page arXiv recorded for that window."""
    pages = {
        start: recorded(fixtures_dir, f"q_testing_s{start}_m10")[1] for start in range(0, 60, 10)
    }

    def answer(request: Request) -> Reply:
        return Reply(200, pages[int(request.query["start"])], "application/atom+xml")

    server.route("/api/query", answer)


def test_fetch_pages_through_a_server(
    fetcher: HttpFetcher, fixtures_dir: Path, local_server: LocalServer
) -> None:
    serve_testing_pages(fixtures_dir, local_server)
    items = list(
        fetch(
            fetcher,
            base_url=local_server.url("/api/query"),
            search_query="all:testing",
            page_size=10,
            max_results=60,
            sort_by="relevance",
        )
    )
    assert [r.query["start"] for r in local_server.requests] == ["0", "10", "20", "30", "40", "50"]
    first = local_server.requests[0].query
    assert first == {
        "search_query": "all:testing",
        "start": "0",
        "max_results": "10",
        "sortBy": "relevance",
        "sortOrder": "descending",
    }
    expected = [
        p.arxiv_id
        for start in range(0, 60, 10)
        for p in papers(parse_atom(recorded(fixtures_dir, f"q_testing_s{start}_m10")[1]))
    ]
    assert [item.arxiv_id for item in items if isinstance(item, PaperRecord)] == expected
    assert len(items) == 60


def test_fetch_stops_at_total_results(fetcher: HttpFetcher, local_server: LocalServer) -> None:
    total = 25

    def answer(request: Request) -> Reply:
        start, count = int(request.query["start"]), int(request.query["max_results"])
        ids = range(start + 1, min(start + count, total) + 1)
        body = feed(*(entry(arxiv_id=f"2611.{n:05d}v1") for n in ids), total=total, start=start)
        return Reply(200, body)

    local_server.route("/api/query", answer)
    items = list(
        fetch(fetcher, base_url=local_server.url("/api/query"), id_list=["x"], page_size=10)
    )
    assert [r.query["start"] for r in local_server.requests] == ["0", "10", "20"]
    assert local_server.requests[0].query["id_list"] == "x"
    assert [i.arxiv_id for i in items if isinstance(i, PaperRecord)] == [
        f"2611.{n:05d}" for n in range(1, 26)
    ]


def test_fetch_stops_at_an_empty_page(fetcher: HttpFetcher, local_server: LocalServer) -> None:
    full = feed(*(entry(arxiv_id=f"2611.{n:05d}v1") for n in range(1, 11)), total=500)
    local_server.route("/api/query", [Reply(200, full), Reply(200, feed(total=500, start=10))])
    items = list(
        fetch(fetcher, base_url=local_server.url("/api/query"), search_query="q", page_size=10)
    )
    assert len(items) == 10
    assert len(local_server.requests) == 2


def test_fetch_never_yields_past_max_results(
    fetcher: HttpFetcher, fixtures_dir: Path, local_server: LocalServer
) -> None:
    # The server ignores max_results and sends ten; only five may come out.
    local_server.route("/api/query", Reply(200, recorded(fixtures_dir, "q_testing_s0_m10")[1]))
    items = list(
        fetch(
            fetcher,
            base_url=local_server.url("/api/query"),
            search_query="q",
            max_results=5,
        )
    )
    assert len(items) == 5
    assert [r.query["max_results"] for r in local_server.requests] == ["5"]


def test_fetch_with_id_list_of_versions(
    fetcher: HttpFetcher, fixtures_dir: Path, local_server: LocalServer
) -> None:
    local_server.route("/api/query", Reply(200, recorded(fixtures_dir, "id_2104.12255v1")[1]))
    (paper,) = fetch(fetcher, base_url=local_server.url("/api/query"), id_list=["2104.12255v1"])
    assert isinstance(paper, PaperRecord)
    assert (paper.arxiv_id, paper.version) == ("2104.12255", 1)
    assert local_server.requests[0].query["id_list"] == "2104.12255v1"


def test_fetch_retries_after_503(
    fetcher: HttpFetcher, fixtures_dir: Path, local_server: LocalServer
) -> None:
    body = recorded(fixtures_dir, "id_astro-ph_0601001")[1]
    local_server.route("/api/query", [Reply(503, b"busy", "text/plain"), Reply(200, body)])
    items = list(
        fetch(fetcher, base_url=local_server.url("/api/query"), id_list=["astro-ph/0601001"])
    )
    assert [i.arxiv_id for i in items if isinstance(i, PaperRecord)] == ["astro-ph/0601001"]
    assert len(local_server.requests) == 2


def test_fetch_gives_up_after_repeated_503(fetcher: HttpFetcher, local_server: LocalServer) -> None:
    local_server.route("/api/query", Reply(503, b"busy", "text/plain"))
    with pytest.raises(FetchError, match="503"):
        list(fetch(fetcher, base_url=local_server.url("/api/query"), search_query="q"))
    assert len(local_server.requests) == 3  # the first try and two retries


def test_http_400_error_feed_raises_source_error(
    fetcher: HttpFetcher, fixtures_dir: Path, local_server: LocalServer
) -> None:
    status, body = recorded(fixtures_dir, "id_abc")
    assert status == 400
    local_server.route("/api/query", Reply(status, body))
    with pytest.raises(SourceError, match=r"HTTP 400.*incorrect id format for abc"):
        list(fetch(fetcher, base_url=local_server.url("/api/query"), id_list=["abc"]))
    assert len(local_server.requests) == 1  # a 400 is not retried


@pytest.mark.parametrize(
    ("status", "body"), [(400, b"<html>Bad Request</html>"), (404, b"not found"), (403, b"")]
)
def test_other_http_errors_raise_source_error(
    fetcher: HttpFetcher, local_server: LocalServer, status: int, body: bytes
) -> None:
    local_server.route("/api/query", Reply(status, body, "text/html"))
    with pytest.raises(SourceError, match=f"HTTP {status}"):
        list(fetch(fetcher, base_url=local_server.url("/api/query"), search_query="q"))


def test_fetch_needs_a_query(fetcher: HttpFetcher) -> None:
    with pytest.raises(ValueError):
        list(fetch(fetcher))
    with pytest.raises(ValueError):
        list(fetch(fetcher, search_query="q", page_size=0))


# --- the fetcher's manners ----------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when slept on (or when a test moves it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_fetcher_identifies_itself(fetcher: HttpFetcher, local_server: LocalServer) -> None:
    local_server.route("/api/query", Reply(200, feed(total=0)))
    list(fetch(fetcher, base_url=local_server.url("/api/query"), search_query="q"))
    headers = {k.lower(): v for k, v in local_server.requests[0].headers.items()}
    assert headers["user-agent"].startswith("paperboard/")
    assert "python-httpx" not in headers["user-agent"]


def test_fetcher_keeps_min_interval_between_requests(local_server: LocalServer) -> None:
    pages = [
        feed(*(entry(arxiv_id=f"2611.{n:05d}v1") for n in range(s + 1, s + 3)), total=6, start=s)
        for s in (0, 2, 4)
    ]
    local_server.route("/api/query", [Reply(200, page) for page in pages])
    fake = FakeTime()
    with closing(HttpFetcher(min_interval_s=3.0, sleep=fake.sleep, clock=fake.clock)) as client:
        items = fetch(
            client, base_url=local_server.url("/api/query"), search_query="q", page_size=2
        )
        # The first request goes at once; the consumer then takes 1 s per page before asking again.
        for number, _item in enumerate(items):
            if number % 2 == 1:
                fake.now += 1.0
    assert len(local_server.requests) == 3
    assert fake.sleeps == [2.0, 2.0]


def test_fetcher_backs_off_exponentially_on_503(local_server: LocalServer) -> None:
    local_server.route(
        "/api/query", [Reply(503), Reply(503, headers={"Retry-After": "7"}), Reply(200, feed())]
    )
    fake = FakeTime()
    with closing(
        HttpFetcher(min_interval_s=0, backoff_s=0.5, sleep=fake.sleep, clock=fake.clock)
    ) as client:
        assert list(fetch(client, base_url=local_server.url("/api/query"), search_query="q")) == []
    # 0.5 s after the first 503, then max(1.0, Retry-After 7) after the second.
    assert fake.sleeps == [0.5, 7.0]
