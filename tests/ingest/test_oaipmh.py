"""arXiv OAI-PMH: recorded responses in both metadata formats, errors, and live harvesting."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperboard.domain.paper import Malformed, PaperRecord
from paperboard.ingest.errors import OaiError, SourceError
from paperboard.ingest.http import HttpFetcher, StaticFetcher
from paperboard.ingest.oaipmh import OaiPage, harvest, parse_oai
from tests.httpserver import LocalServer, Reply, Request

OAI_DIR = "arxiv_oaipmh"
LITPUVN_LIST = "litpuvn_ListRecords_arXivRaw_from2016-10-20.xml"
LITPUVN_GET = "litpuvn_GetRecord_arXivRaw_0804.2273.xml"
MIKE_LIST = "mikesaelim_ListRecordsResponse.xml"
MIKE_GET = "mikesaelim_GetRecordResponse.xml"
AGENTGRAPH = "agentgraph_ListRecords_arXiv_oaipmh.arxiv.org_2026-01-05_plasm-ph.xml"
HEPCRAWL_HEP_EX = (
    "hepcrawl/functional__arxiv__fixtures__http_server__records__arxiv-physics-hep-ex.xml"
)
HEPCRAWL_RECORD0 = "hepcrawl/unit__responses__arxiv__sample_arxiv_record0.xml"
HEPCRAWL_RECORD4 = "hepcrawl/unit__responses__arxiv__sample_arxiv_record4.xml"


def _read(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / OAI_DIR / name).read_bytes()


def _papers(page: OaiPage) -> dict[str, PaperRecord]:
    papers = {item.arxiv_id: item for item in page.items if isinstance(item, PaperRecord)}
    assert len(papers) == len(page.items), "every item should be a paper"
    return papers


def _record_files(fixtures_dir: Path) -> list[Path]:
    files = sorted((fixtures_dir / OAI_DIR).rglob("*.xml"))
    return [f for f in files if "ErrorResponse" not in f.name]


def test_every_recorded_response_parses(fixtures_dir: Path) -> None:
    files = _record_files(fixtures_dir)
    assert len(files) == 20
    for path in files:
        data = path.read_bytes()
        page = parse_oai(data)
        records = len(re.findall(rb"<record>", data))
        papers = _papers(page)
        assert len(papers) == records, path.name
        for paper in papers.values():
            assert paper.title and "\n" not in paper.title, paper.arxiv_id
            assert paper.authors, paper.arxiv_id
            assert paper.categories, paper.arxiv_id
            assert paper.abstract, paper.arxiv_id
            assert paper.published_at is not None and paper.published_at.tzinfo is not None


def test_litpuvn_list_records_with_resumption_token(fixtures_dir: Path) -> None:
    page = parse_oai(_read(fixtures_dir, LITPUVN_LIST))
    assert len(page.items) == 387
    assert page.resumption_token == "1403493|1001"
    assert page.complete_list_size == 1440
    assert page.cursor == 0


def test_arxiv_raw_versions_dates_and_rewrapped_text(fixtures_dir: Path) -> None:
    papers = _papers(parse_oai(_read(fixtures_dir, LITPUVN_LIST)))
    paper = papers["0803.4354"]
    # Six versions: v1's date is when it was first published, v6's when it was last updated.
    assert paper.version == 6
    assert paper.published_at == datetime(2008, 3, 30, 23, 26, 50, tzinfo=UTC)
    assert paper.updated_at == datetime(2016, 10, 20, 16, 58, 38, tzinfo=UTC)
    # The IDE re-wrapped this file: one-line title, abstract without the editor's indentation.
    assert paper.title == (
        "A O(n^8) X O(n^7) Linear Programming Model of the Traveling Salesman Problem"
    )
    assert paper.abstract.startswith("In this paper, we present a new linear programming")
    assert "\nTraveling Salesman Problem (TSP)." in paper.abstract
    assert "  " not in paper.abstract
    assert paper.comments is not None and "\n" not in paper.comments
    assert paper.submitter == "Moustapha Diaby"
    assert paper.categories == ["cs.DM"]
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.doi is None


def test_arxiv_raw_get_record_authors_split(fixtures_dir: Path) -> None:
    page = parse_oai(_read(fixtures_dir, LITPUVN_GET))
    assert page.resumption_token is None
    (paper,) = _papers(page).values()
    assert paper.arxiv_id == "0804.2273"
    assert paper.title == "Object Re-Use & Exchange: A Resource-Centric Approach"
    assert paper.authors == [
        "Carl Lagoze",
        "Herbert Van de Sompel",
        "Michael L. Nelson",
        "Simeon Warner",
        "Robert Sanderson",
        "Pete Johnston",
    ]
    assert paper.categories == ["cs.DL", "cs.NI"]
    assert paper.primary_category == "cs.DL"
    assert paper.version == 1
    assert paper.published_at == paper.updated_at == datetime(2008, 4, 14, 21, 2, tzinfo=UTC)


def test_mikesaelim_list_records(fixtures_dir: Path) -> None:
    page = parse_oai(_read(fixtures_dir, MIKE_LIST))
    papers = _papers(page)
    assert list(papers) == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]
    assert page.resumption_token == "726959|1001"
    assert page.complete_list_size == 58011
    richard = papers["0704.0716"]
    assert richard.version == 4
    assert richard.published_at == datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC)
    assert richard.updated_at == datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC)
    assert richard.comments == (
        "54 pages, 2 figures; v2 updated and slightly expanded; v3 changes in some proofs; "
        "v4 slightly expanded"
    )
    shetty = papers["0704.0471"]
    assert shetty.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert shetty.journal_ref == "Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007"
    assert shetty.doi == "10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902"
    assert '" stiff "' in shetty.abstract  # &quot; entities decoded


def test_mikesaelim_get_record(fixtures_dir: Path) -> None:
    (paper,) = _papers(parse_oai(_read(fixtures_dir, MIKE_GET))).values()
    assert paper.arxiv_id == "1302.2146"
    assert paper.version == 2
    assert paper.authors == [
        "Joshua Berger",
        "Maxim Perelstein",
        "Michael Saelim",
        "Philip Tanedo",
    ]
    assert paper.categories == ["hep-ph", "hep-ex"]
    assert paper.submitter == "Michael Saelim"


def test_arxiv_format_structured_authors(fixtures_dir: Path) -> None:
    papers = _papers(parse_oai(_read(fixtures_dir, HEPCRAWL_HEP_EX)))
    paper = papers["1706.05371"]
    assert paper.authors[:3] == ["Tyler Anderson", "Jacob Cutter", "Navneet Dhaliwal"]
    assert len(paper.authors) == 13
    assert paper.title == (
        "Evaluation of Silicon Photomultipliers for use as Photosensors in Liquid Xenon Detectors"
    )
    assert paper.published_at == datetime(2017, 6, 16, tzinfo=UTC)
    assert paper.updated_at == datetime(2017, 12, 12, tzinfo=UTC)
    assert paper.version == 1  # the arXiv format does not say which version this is
    assert paper.submitter is None
    assert paper.categories == ["physics.ins-det", "hep-ex"]


def test_arxiv_format_keyname_only_suffix_and_report_no(fixtures_dir: Path) -> None:
    # record0's <arXiv> element has no namespace of its own (it inherits the OAI one).
    (paper,) = _papers(parse_oai(_read(fixtures_dir, HEPCRAWL_RECORD0))).values()
    assert paper.arxiv_id == "1601.03238"
    assert paper.authors[:2] == ["Planck Collaboration", "Jieci Wang"]
    assert paper.report_no == "YITP-2016-26"
    assert paper.journal_ref == "Phys.Rev. D93 (2015) 016005"
    assert paper.updated_at is None
    (collab,) = _papers(parse_oai(_read(fixtures_dir, HEPCRAWL_RECORD4))).values()
    assert "R. W. IV" in collab.authors  # forenames, keyname, suffix


def test_new_system_arxiv_format(fixtures_dir: Path) -> None:
    page = parse_oai(_read(fixtures_dir, AGENTGRAPH))
    assert page.resumption_token is None
    papers = _papers(page)
    assert list(papers) == ["2504.11237", "2508.21012", "2510.07502"]
    paper = papers["2504.11237"]
    assert paper.authors == ["Chunhai Lyu", "Christoph H. Keitel", "Zoltán Harman"]
    assert paper.published_at == datetime(2025, 4, 15, tzinfo=UTC)
    assert paper.updated_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert paper.doi == "10.1103/bppp-53g1"
    assert paper.abstract.startswith("Mendeleev's periodic table")
    assert paper.primary_category == "physics.atom-ph"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("mikesaelim_ErrorResponseBadArgument.xml", "badArgument"),
        ("mikesaelim_ErrorResponseBadResumptionToken.xml", "badResumptionToken"),
        ("mikesaelim_ErrorResponseBadVerb.xml", "badVerb"),
        ("mikesaelim_ErrorResponseIdDoesNotExist.xml", "idDoesNotExist"),
    ],
)
def test_error_responses_raise(fixtures_dir: Path, name: str, code: str) -> None:
    with pytest.raises(OaiError) as caught:
        parse_oai(_read(fixtures_dir, name))
    assert caught.value.code == code
    assert caught.value.message


def test_no_records_match_is_an_empty_page(fixtures_dir: Path) -> None:
    page = parse_oai(_read(fixtures_dir, "mikesaelim_ErrorResponseNoRecordsMatch.xml"))
    assert page.items == []
    assert page.resumption_token is None


# --- constructed variations of the recorded responses ---------------------------------------


def _list_records(records: str, token: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-05T00:00:00Z</responseDate>"
        f"<request>http://oaipmh.arxiv.org/oai</request><ListRecords>{records}{token}"
        "</ListRecords></OAI-PMH>"
    ).encode()


def _raw_record(arxiv_id: str, *, id_element: bool = True, title: str = "A title") -> str:
    id_xml = f"<id>{arxiv_id}</id>" if id_element else ""
    return (
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        "<datestamp>2026-01-05</datestamp></header><metadata>"
        f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">{id_xml}'
        '<version version="v1"><date>Mon, 4 Jan 1999 10:00:00 GMT</date></version>'
        '<version version="v2"><date>Tue, 2 Feb 1999 12:30:00 GMT</date></version>'
        f"<title>{title}</title><authors>A. Author and B. Author</authors>"
        "<categories>hep-th</categories><abstract>Abstract.</abstract>"
        "</arXivRaw></metadata></record>"
    )


def test_old_style_id() -> None:
    page = parse_oai(_list_records(_raw_record("hep-th/9901001")))
    (paper,) = _papers(page).values()
    assert paper.arxiv_id == "hep-th/9901001"
    assert paper.version == 2
    assert paper.published_at == datetime(1999, 1, 4, 10, tzinfo=UTC)
    assert paper.authors == ["A. Author", "B. Author"]
    assert paper.abs_url == "https://arxiv.org/abs/hep-th/9901001"


def test_deleted_records_are_skipped() -> None:
    deleted = (
        '<record><header status="deleted"><identifier>oai:arXiv.org:1501.00001</identifier>'
        "<datestamp>2026-01-05</datestamp></header></record>"
    )
    page = parse_oai(_list_records(deleted + _raw_record("1501.00002")))
    assert [item.arxiv_id for item in page.items if isinstance(item, PaperRecord)] == ["1501.00002"]
    assert len(page.items) == 1


def test_record_missing_its_id_or_title_is_malformed() -> None:
    records = (
        _raw_record("1501.00001")
        + _raw_record("1501.00002", id_element=False)
        + _raw_record("1501.00003", title="  ")
        + _raw_record("1501.00004")
    )
    items = parse_oai(_list_records(records)).items
    assert [type(item) for item in items] == [PaperRecord, Malformed, Malformed, PaperRecord]
    assert items[1] == Malformed("record 2 (oai:arXiv.org:1501.00002)", "missing id")
    assert items[2] == Malformed("record 3 (oai:arXiv.org:1501.00003)", "missing title")


def test_record_with_invalid_id_or_date_is_malformed() -> None:
    bad_date = _raw_record("1501.00002").replace("Mon, 4 Jan 1999 10:00:00 GMT", "yesterday")
    items = parse_oai(_list_records(_raw_record("1501.13") + bad_date)).items
    assert all(isinstance(item, Malformed) for item in items)
    assert "not an arXiv id" in items[0].reason
    assert "yesterday" in items[1].reason


def test_id_wrapped_over_lines_is_joined() -> None:
    record = _raw_record("1501.00001").replace("<id>1501.00001</id>", "<id>\n  1501.00001\n</id>")
    (paper,) = _papers(parse_oai(_list_records(record))).values()
    assert paper.arxiv_id == "1501.00001"


def test_empty_resumption_token_ends_the_list() -> None:
    token = '<resumptionToken cursor="1001" completeListSize="1002"/>'
    page = parse_oai(_list_records(_raw_record("1501.00001"), token))
    assert page.resumption_token is None
    assert page.complete_list_size == 1002
    assert page.cursor == 1001


@pytest.mark.parametrize(
    "data",
    [
        b"<OAI-PMH><ListRecords><record>",
        b"not xml at all",
        b"",
        b"<html><body>Service unavailable</body></html>",
    ],
)
def test_malformed_xml_raises_source_error(data: bytes) -> None:
    with pytest.raises(SourceError):
        parse_oai(data)


def test_entity_expansion_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>'
        b"<metadata><arXivRaw><id>1501.00001</id><title>&lol3;</title></arXivRaw></metadata>"
        b"</record></ListRecords></OAI-PMH>"
    )
    with pytest.raises(SourceError, match="unsafe XML"):
        parse_oai(laughs)


# --- harvesting over HTTP -------------------------------------------------------------------


def _paged_responses(fixtures_dir: Path) -> dict[str | None, bytes]:
    """Three pages of one list, keyed by the resumption token that asks for them."""
    first = _read(fixtures_dir, MIKE_LIST)  # 6 records, token 726959|1001
    second = _read(fixtures_dir, LITPUVN_LIST).replace(b"1403493|1001", b"726959|2002")
    get_record = _read(fixtures_dir, LITPUVN_GET).decode()
    last = get_record.replace("GetRecord>", "ListRecords>").replace(
        "</ListRecords>", '<resumptionToken cursor="2002" completeListSize="2003"/></ListRecords>'
    )
    return {None: first, "726959|1001": second, "726959|2002": last.encode()}


def test_harvest_follows_resumption_tokens(fixtures_dir: Path, local_server: LocalServer) -> None:
    pages = _paged_responses(fixtures_dir)

    def oai(request: Request) -> Reply:
        return Reply(body=pages[request.query.get("resumptionToken")])

    local_server.route("/oai", oai)
    fetcher = HttpFetcher(min_interval_s=0, backoff_s=0.01)
    yielded: list[str] = []
    checkpoints: list[tuple[str | None, int]] = []

    def on_page(page: OaiPage) -> None:
        checkpoints.append((page.resumption_token, len(yielded)))

    for item in harvest(
        fetcher,
        base_url=local_server.url("/oai"),
        set_spec="math",
        from_date=date(2014, 10, 1),
        until_date=date(2014, 10, 31),
        on_page=on_page,
    ):
        assert isinstance(item, PaperRecord)
        yielded.append(item.arxiv_id)
    fetcher.close()

    assert len(yielded) == 6 + 387 + 1
    assert yielded[:2] == ["0704.0471", "0704.0716"] and yielded[-1] == "0804.2273"
    # on_page runs after each page's items were yielded: the checkpoint is safe to store.
    assert checkpoints == [("726959|1001", 6), ("726959|2002", 393), (None, 394)]
    queries = [request.query for request in local_server.requests]
    assert queries[0] == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "math",
        "from": "2014-10-01",
        "until": "2014-10-31",
    }
    # OAI-PMH: a request with a resumption token carries no other argument.
    assert queries[1:] == [
        {"verb": "ListRecords", "resumptionToken": "726959|1001"},
        {"verb": "ListRecords", "resumptionToken": "726959|2002"},
    ]


def test_harvest_resumes_from_a_token(fixtures_dir: Path) -> None:
    pages = _paged_responses(fixtures_dir)
    url = "https://oai.test/oai"
    fetcher = StaticFetcher(
        {f"{url}?verb=ListRecords&resumptionToken=726959%7C2002": pages["726959|2002"]}
    )
    items = list(harvest(fetcher, base_url=url, resumption_token="726959|2002"))
    assert [item.arxiv_id for item in items if isinstance(item, PaperRecord)] == ["0804.2273"]
    assert fetcher.requests == [(url, {"verb": "ListRecords", "resumptionToken": "726959|2002"})]


def test_harvest_retries_after_503(fixtures_dir: Path, local_server: LocalServer) -> None:
    busy = Reply(503, b"Retry later", "text/plain", {"Retry-After": "5"})
    local_server.route("/oai", [busy, Reply(body=_read(fixtures_dir, LITPUVN_GET))])
    slept: list[float] = []
    fetcher = HttpFetcher(min_interval_s=0, backoff_s=0.01, sleep=slept.append)
    items = list(harvest(fetcher, base_url=local_server.url("/oai")))
    fetcher.close()
    assert [item.arxiv_id for item in items if isinstance(item, PaperRecord)] == ["0804.2273"]
    assert len(local_server.requests) == 2
    assert slept == [5.0]  # arXiv's Retry-After was honoured by the fetcher, not by harvest


def test_harvest_error_status_raises(fixtures_dir: Path, local_server: LocalServer) -> None:
    local_server.route("/oai", Reply(404, b"<html>Not found</html>", "text/html"))
    fetcher = HttpFetcher(min_interval_s=0, backoff_s=0.01)
    with pytest.raises(SourceError, match="HTTP 404"):
        list(harvest(fetcher, base_url=local_server.url("/oai")))
    fetcher.close()


def test_harvest_oai_error_with_error_status(fixtures_dir: Path) -> None:
    url = "https://oai.test/oai"
    bad = _read(fixtures_dir, "mikesaelim_ErrorResponseBadArgument.xml")
    none = _read(fixtures_dir, "mikesaelim_ErrorResponseNoRecordsMatch.xml")
    with pytest.raises(OaiError) as caught:
        list(harvest(StaticFetcher({url: (400, bad)}), base_url=url))
    assert caught.value.code == "badArgument"
    assert list(harvest(StaticFetcher({url: (404, none)}), base_url=url)) == []
    assert list(harvest(StaticFetcher({url: none}), base_url=url)) == []


def test_harvest_stops_on_a_repeated_token(fixtures_dir: Path) -> None:
    url = "https://oai.test/oai"
    page = _read(fixtures_dir, MIKE_LIST)
    harvested = harvest(StaticFetcher({url: page}), base_url=url, resumption_token="726959|1001")
    with pytest.raises(SourceError, match="repeated"):
        list(harvested)
