"""Detecting a saved file's format from its first bytes, and reading it with the right parser."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

from paperboard.domain.paper import FeaturedRecord, Malformed, PaperRecord
from paperboard.ingest import detect
from paperboard.ingest.detect import FORMATS, SNIFF_BYTES, detect_format, iter_file
from paperboard.ingest.errors import OaiError, SourceError
from paperboard.ingest.export import write_export
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.loader import load
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.storage.database import Database

SNAPSHOT = "kaggle_arxiv_snapshot/wanng-ide_arxiv-metadata-oai-snapshot_head.jsonl"
HF_BOARD = "hf_daily_papers/hf_daily_papers_2025-07-22.json"
OAI_LIST = "arxiv_oaipmh/mikesaelim_ListRecordsResponse.xml"
API_FEED = "arxiv_api/arxiv.py_2026_xml/id_1707.08567_s0_m100_6a1afebfc6a3.xml"
RSS_LISTING = "arxiv_rss/laya-reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml"
MB = 1024 * 1024

# An Atom listing as rss.arxiv.org/atom/... serves it (there is no recorded one; this follows
# https://info.arxiv.org/help/rss_specifications.html). It has the same root as an API response.
ATOM_LISTING = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.LG</id>
  <title>cs.LG updates on arXiv.org</title>
  <updated>2026-09-24T00:00:00-04:00</updated>
  <link href="http://rss.arxiv.org/atom/cs.LG" rel="self" type="application/atom+xml"/>
  <subtitle>cs.LG updates on the arXiv.org e-print archive.</subtitle>
  <entry>
    <id>oai:arXiv.org:2409.12345v1</id>
    <title>Learning to Detect Formats</title>
    <updated>2026-09-24T00:00:00-04:00</updated>
    <link href="https://arxiv.org/abs/2409.12345" rel="alternate" type="text/html"/>
    <summary>arXiv:2409.12345v1 Announce Type: new
Abstract: We detect file formats from their first bytes.</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-09-24T00:00:00-04:00</published>
    <arxiv:announce_type>new</arxiv:announce_type>
    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
  </entry>
</feed>
"""


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _gzip_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / (source.name + ".gz")
    with source.open("rb") as plain, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    return target


# --- every recorded fixture -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected", "at_least"),
    [
        ("arxiv_api/arxiv.py_2026_xml/*.xml", "arxiv-atom", 20),
        ("arxiv_api/arxiv.py_2016_xml/*.xml", "arxiv-atom", 5),
        # Error responses included: they are OAI-PMH, and its reader reports the error.
        ("arxiv_oaipmh/*.xml", "oai-pmh", 10),
        ("arxiv_oaipmh/hepcrawl/*.xml", "oai-pmh", 14),
        ("arxiv_rss/*.xml", "arxiv-rss", 1),
        ("hf_daily_papers/hf_daily_papers_*.json", "hf-daily", 3),
        ("hf_daily_papers/hf_papers_search_*.json", "hf-search", 2),
        ("kaggle_arxiv_snapshot/*.jsonl", "snapshot", 1),
    ],
)
def test_recorded_fixtures(fixtures_dir: Path, pattern: str, expected: str, at_least: int) -> None:
    paths = sorted(fixtures_dir.glob(pattern))
    assert len(paths) >= at_least
    detected = {path.name: detect_format(path) for path in paths}
    assert detected == {path.name: expected for path in paths}


@pytest.mark.parametrize("name", [SNAPSHOT, HF_BOARD, OAI_LIST, API_FEED, RSS_LISTING])
def test_gzip_is_looked_through(fixtures_dir: Path, tmp_path: Path, name: str) -> None:
    plain = fixtures_dir / name
    packed = _gzip_copy(plain, tmp_path)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert detect_format(packed) == detect_format(plain)
    assert list(iter_file(packed)) == list(iter_file(plain))


def test_damaged_gzip_is_a_source_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.json.gz", b"\x1f\x8b\x08\x00garbage" * 10)
    with pytest.raises(SourceError, match="gzip"):
        detect_format(path)


# --- the Atom formats: API response or listing ----------------------------------------------


def test_atom_listing_is_not_an_api_response(tmp_path: Path) -> None:
    path = _write(tmp_path, "listing.xml", ATOM_LISTING)
    assert detect_format(path) == "arxiv-rss"
    (paper,) = list(iter_file(path))
    assert isinstance(paper, PaperRecord)
    assert paper.arxiv_id == "2409.12345"
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]


@pytest.mark.parametrize(
    "data",
    [
        # Entries identified by OAI id, no link to rss.arxiv.org.
        ATOM_LISTING.replace(b"rss.arxiv.org", b"example.org").replace(b"announce_type", b"x"),
        # Only the announce type says so.
        ATOM_LISTING.replace(b"rss.arxiv.org", b"example.org").replace(b"oai:arXiv.org:", b""),
        # A day without announcements: no entries, but the feed's own address.
        ATOM_LISTING[: ATOM_LISTING.index(b"<entry>")] + b"</feed>\n",
    ],
)
def test_each_listing_mark(tmp_path: Path, data: bytes) -> None:
    assert detect_format(_write(tmp_path, "listing.xml", data)) == "arxiv-rss"


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0"?>\n<!-- saved from export.arxiv.org -->\n',
        b"\xef\xbb\xbf  \n<?xml-stylesheet href='feed.xsl'?>",
        b'<!DOCTYPE atom:feed [ <!ENTITY e "<x>"> ]>\n',
    ],
)
def test_prolog_and_prefixed_atom_root(tmp_path: Path, prolog: bytes) -> None:
    data = prolog + (
        b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">'
        b"<atom:id>http://arxiv.org/api/x</atom:id></atom:feed>"
    )
    assert detect_format(_write(tmp_path, "api.xml", data)) == "arxiv-atom"


def test_empty_board(tmp_path: Path) -> None:
    path = _write(tmp_path, "weekend.json", b"[ ]\n")
    assert detect_format(path) == "hf-daily"
    assert list(iter_file(path)) == []


# --- exports --------------------------------------------------------------------------------


@pytest.fixture
def export_path(tmp_path: Path, fixtures_dir: Path) -> Path:
    db = Database(f"sqlite:///{tmp_path}/a.db")
    load(db, parse_daily_papers((fixtures_dir / HF_BOARD).read_bytes()))
    path = tmp_path / "papers.jsonl"
    with path.open("wb") as out:
        write_export(db, out)
    return path


def test_export_file(export_path: Path, tmp_path: Path) -> None:
    assert detect_format(export_path) == "export"
    items = list(iter_file(export_path))
    assert sum(isinstance(i, PaperRecord) for i in items) == 16
    assert sum(isinstance(i, FeaturedRecord) for i in items) == 16
    packed = _gzip_copy(export_path, tmp_path)
    assert detect_format(packed) == "export"
    assert list(iter_file(packed)) == items


def test_export_of_another_version_is_detected_and_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "future.jsonl", b'{"format": "paperboard-export", "version": 9}\n')
    assert detect_format(path) == "export"
    with pytest.raises(SourceError, match="version 9"):
        list(iter_file(path))


# --- unknown files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"hello, world\n",
        b"\x00\x01\x02binary",
        b'{"name": "not a paper"}\n',
        b'{"id": "2401.01234"}\n',  # an id but neither title nor abstract
        b"[1, 2, 3]",
        b'[{"title": "no paper key"}]',
        b"<html><body>Not Found</body></html>",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A blog</title></feed>',
        b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='x'/>",
        b"<unclosed",
    ],
)
def test_unknown_files(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "mystery.dat", data)
    with pytest.raises(SourceError, match="unrecognised format") as raised:
        detect_format(path)
    message = str(raised.value)
    assert str(path) in message
    assert all(name in message for name in FORMATS)
    with pytest.raises(SourceError):
        iter_file(path)


def test_given_format_skips_detection(fixtures_dir: Path, tmp_path: Path) -> None:
    # A snapshot under a misleading name and contents read as what the caller says it is.
    items = list(iter_file(fixtures_dir / SNAPSHOT, "snapshot"))
    assert len(items) == 200
    with pytest.raises(SourceError, match="unknown format 'csv'"):
        iter_file(fixtures_dir / SNAPSHOT, "csv")


# --- reading through iter_file --------------------------------------------------------------


def test_iter_file_matches_each_parser(fixtures_dir: Path) -> None:
    with (fixtures_dir / SNAPSHOT).open("rb") as stream:
        assert list(iter_file(fixtures_dir / SNAPSHOT)) == list(iter_snapshot(stream))
    board = list(iter_file(fixtures_dir / HF_BOARD))
    assert board == list(parse_daily_papers((fixtures_dir / HF_BOARD).read_bytes()))
    for name in (OAI_LIST, API_FEED, RSS_LISTING):
        items = list(iter_file(fixtures_dir / name))
        assert items
        assert all(isinstance(i, PaperRecord | Malformed) for i in items)


def test_oai_error_response_raises_while_reading(fixtures_dir: Path) -> None:
    path = fixtures_dir / "arxiv_oaipmh/mikesaelim_ErrorResponseBadVerb.xml"
    with pytest.raises(OaiError, match="badVerb"):
        list(iter_file(path))
    assert (
        list(iter_file(fixtures_dir / "arxiv_oaipmh/mikesaelim_ErrorResponseNoRecordsMatch.xml"))
        == []
    )


def test_snapshot_is_streamed(fixtures_dir: Path) -> None:
    items = iter_file(fixtures_dir / SNAPSHOT)
    first = next(items)
    assert isinstance(first, PaperRecord)
    assert first.arxiv_id == "0704.0001"


# --- huge files are not read whole ----------------------------------------------------------


class _CountingReader:
    """Wraps a stream and counts the bytes read from it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.bytes_read += len(data)
        return data

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stream.close()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[_CountingReader]:
    readers: list[_CountingReader] = []
    real_open = detect.open_maybe_gzip

    def counting_open(path: Path) -> _CountingReader:
        reader = _CountingReader(real_open(path))
        readers.append(reader)
        return reader

    monkeypatch.setattr(detect, "open_maybe_gzip", counting_open)
    return readers


HUGE_OAI_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
)


def test_huge_xml_file_is_sniffed_from_a_prefix(
    tmp_path: Path, counted: list[_CountingReader]
) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.write(HUGE_OAI_HEAD)
        junk = b"<junk>&&& not xml at all </" * 4096
        for _ in range(50 * MB // len(junk) + 1):
            out.write(junk)
    assert path.stat().st_size >= 50 * MB
    assert detect_format(path) == "oai-pmh"
    assert sum(r.bytes_read for r in counted) <= SNIFF_BYTES


def test_huge_gzip_file_is_sniffed_from_a_prefix(
    tmp_path: Path, counted: list[_CountingReader]
) -> None:
    path = tmp_path / "huge.xml.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(HUGE_OAI_HEAD)
        out.write(b" " * (50 * MB))
    assert detect_format(path) == "oai-pmh"
    assert sum(r.bytes_read for r in counted) <= SNIFF_BYTES


def test_huge_json_junk_reads_a_bounded_prefix(
    tmp_path: Path, counted: list[_CountingReader]
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.write(b'[{"paper": "')
        out.write(b"x" * (50 * MB))
    with pytest.raises(SourceError, match="unrecognised format"):
        detect_format(path)
    assert sum(r.bytes_read for r in counted) <= detect.MAX_JSON_SNIFF_BYTES


def test_long_first_json_record_is_read_on(tmp_path: Path) -> None:
    # A paper with thousands of authors makes a first record longer than the sniffed prefix.
    authors = [{"name": f"Author {n}"} for n in range(SNIFF_BYTES // 10)]
    entry = {"paper": {"id": "2407.21783", "authors": authors}, "highlightedTitle": "x"}
    path = _write(tmp_path, "search.json", orjson.dumps([entry]))
    assert path.stat().st_size > SNIFF_BYTES
    assert detect_format(path) == "hf-search"
