"""paperboard's JSON-lines export: lossless round trip, header checks, bad lines, gzip."""

from __future__ import annotations

import gzip
import io
from dataclasses import fields
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

import orjson
import pytest

from paperboard.domain.paper import FeaturedRecord, IngestItem, Malformed, PaperRecord
from paperboard.ingest.errors import SourceError
from paperboard.ingest.export import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ExportCounts,
    iter_export,
    write_export,
)
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.loader import load
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.storage import featured as featured_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

SNAPSHOT = "kaggle_arxiv_snapshot/wanng-ide_arxiv-metadata-oai-snapshot_head.jsonl"
HF_BOARD = "hf_daily_papers/hf_daily_papers_2025-07-22.json"
SNAPSHOT_LINES = 200
HF_PAPERS = 16  # entries of that board, each a paper and a featured entry


def _database(tmp_path: Path, name: str) -> Database:
    return Database(f"sqlite:///{tmp_path}/{name}.db")


def _source_items(fixtures_dir: Path) -> list[IngestItem]:
    with (fixtures_dir / SNAPSHOT).open("rb") as stream:
        items = list(iter_snapshot(islice(stream, SNAPSHOT_LINES)))  # type: ignore[arg-type]
    items.extend(parse_daily_papers((fixtures_dir / HF_BOARD).read_bytes()))
    return items


@pytest.fixture
def loaded_db(tmp_path: Path, fixtures_dir: Path) -> Database:
    db = _database(tmp_path, "a")
    report = load(db, _source_items(fixtures_dir))
    assert report.new == SNAPSHOT_LINES + HF_PAPERS
    assert report.featured_new == HF_PAPERS
    assert not report.malformed
    return db


def _export(db: Database) -> bytes:
    out = io.BytesIO()
    write_export(db, out)
    return out.getvalue()


def _without_timestamp(export: bytes) -> list[bytes]:
    lines = export.splitlines()
    header = orjson.loads(lines[0])
    del header["exported_at"]
    return [orjson.dumps(header), *lines[1:]]


def _export_stream(lines: list[dict | str]) -> io.BytesIO:
    raw = [line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines]
    return io.BytesIO(("\n".join(raw) + "\n").encode())


HEADER = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": "2026-01-01"}
PAPER = {
    "kind": "paper",
    "arxiv_id": "2401.01234",
    "title": "T",
    "abstract": "A",
    "authors": ["Ada Lovelace"],
    "categories": ["cs.LG"],
}


# --- the round trip -------------------------------------------------------------------------


def test_export_layout(loaded_db: Database) -> None:
    out = io.BytesIO()
    counts = write_export(loaded_db, out)
    assert counts == ExportCounts(papers=SNAPSHOT_LINES + HF_PAPERS, featured=HF_PAPERS)
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1 + counts.papers + counts.featured
    header = lines[0]
    assert header["format"] == "paperboard-export"
    assert header["version"] == 1
    assert datetime.fromisoformat(header["exported_at"]).tzinfo is not None
    # Papers first (so their featured entries find them), every record field on each line.
    kinds = [line["kind"] for line in lines[1:]]
    assert kinds == ["paper"] * counts.papers + ["featured"] * counts.featured
    paper_fields = {"kind"} | {f.name for f in fields(PaperRecord)}
    featured_fields = {"kind"} | {f.name for f in fields(FeaturedRecord)}
    assert all(set(line) == paper_fields for line in lines[1 : 1 + counts.papers])
    assert all(set(line) == featured_fields for line in lines[1 + counts.papers :])
    first = lines[1]
    assert first["arxiv_id"] == "0704.0001"
    assert isinstance(first["authors"], list)
    assert first["published_at"] == "2007-04-02T19:18:42+00:00"
    assert datetime.fromisoformat(first["ingested_at"]).tzinfo is not None
    featured = lines[-1]
    assert date.fromisoformat(featured["day"]) == date(2025, 7, 22)
    assert featured["source"] == "huggingface"


def test_round_trip_is_lossless(loaded_db: Database, tmp_path: Path) -> None:
    first = _export(loaded_db)
    second_db = _database(tmp_path, "b")
    report = load(second_db, iter_export(io.BytesIO(first)))
    assert report.new == SNAPSHOT_LINES + HF_PAPERS
    assert report.featured_new == HF_PAPERS
    assert not report.malformed
    second = _export(second_db)
    assert _without_timestamp(second) == _without_timestamp(first)
    # The stores agree record by record too, first-ingest times included.
    with loaded_db.read() as a, second_db.read() as b:
        assert list(paper_store.iter_all(a)) == list(paper_store.iter_all(b))
        assert list(featured_store.iter_all(a)) == list(featured_store.iter_all(b))


def test_reimport_changes_nothing(loaded_db: Database) -> None:
    export = _export(loaded_db)
    report = load(loaded_db, iter_export(io.BytesIO(export)))
    assert (report.new, report.changed) == (0, 0)
    assert report.unchanged == SNAPSHOT_LINES + HF_PAPERS
    assert (report.featured_new, report.featured_changed) == (0, 0)
    assert report.featured_unchanged == HF_PAPERS


def test_gzip_export(loaded_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl.gz"
    with gzip.open(path, "wb") as out:
        counts = write_export(loaded_db, out)  # type: ignore[arg-type]
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    with gzip.open(path, "rb") as stream:
        items = list(iter_export(stream))  # type: ignore[arg-type]
    assert sum(isinstance(i, PaperRecord) for i in items) == counts.papers
    assert sum(isinstance(i, FeaturedRecord) for i in items) == counts.featured
    assert not any(isinstance(i, Malformed) for i in items)


def test_empty_store_exports_only_the_header(tmp_path: Path) -> None:
    db = _database(tmp_path, "empty")
    export = _export(db)
    assert len(export.splitlines()) == 1
    assert list(iter_export(io.BytesIO(export))) == []


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        ("", "no header"),
        ('{"format": "something-else", "version": 1}', "something-else"),
        ('{"format": "paperboard-export", "version": 2}', "version 2"),
        ('{"format": "paperboard-export"}', "version None"),
        ("not json", "not a JSON header"),
        (orjson.dumps(PAPER).decode(), "not an export header"),
    ],
)
def test_bad_header(first_line: str, message: str) -> None:
    stream = io.BytesIO(first_line.encode() + b"\n" + orjson.dumps(PAPER) + b"\n")
    with pytest.raises(SourceError, match=message):
        iter_export(stream)


def test_bad_lines_are_reported_and_the_rest_read() -> None:
    stream = _export_stream(
        [
            HEADER,
            PAPER,
            "{not json",
            {**PAPER, "arxiv_id": "2401.99999", "published_at": "yesterday"},
            {"kind": "vote", "arxiv_id": "2401.01234"},
            {**PAPER, "arxiv_id": "not-an-id"},
            {"kind": "paper", "arxiv_id": "2401.01235", "abstract": "no title"},
            {**PAPER, "arxiv_id": "2401.01236", "authors": "Ada Lovelace"},
            {**PAPER, "arxiv_id": "2401.01237", "version": True},
            "[1, 2]",
            {"kind": "featured", "arxiv_id": "2401.01234", "day": "2026-02-30"},
            {"kind": "featured", "arxiv_id": "2401.01234", "day": "2026-01-05", "upvotes": 7},
        ],
    )
    items = list(iter_export(stream))
    malformed = {i.location: i.reason for i in items if isinstance(i, Malformed)}
    assert set(malformed) == {f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11)}
    assert "invalid JSON" in malformed["line 3"]
    assert "published_at" in malformed["line 4"]
    assert "unknown kind 'vote'" in malformed["line 5"]
    assert "arxiv_id" in malformed["line 6"]
    assert "missing field 'title'" in malformed["line 7"]
    assert "authors" in malformed["line 8"]
    assert "version" in malformed["line 9"]
    assert "not a JSON object" in malformed["line 10"]
    assert "day" in malformed["line 11"]
    records = [i for i in items if not isinstance(i, Malformed)]
    assert records == [
        PaperRecord("2401.01234", "T", "A", ["Ada Lovelace"], ["cs.LG"]),
        FeaturedRecord("2401.01234", date(2026, 1, 5), upvotes=7),
    ]


def test_bad_line_is_skipped_and_the_rest_loaded(loaded_db: Database, tmp_path: Path) -> None:
    lines = _export(loaded_db).splitlines()
    lines[5] = b'{"kind": "paper", "arxiv_id": "0704.0005"'  # cut off mid-line
    target = _database(tmp_path, "c")
    report = load(target, iter_export(io.BytesIO(b"\n".join(lines) + b"\n")))
    assert [m.location for m in report.malformed] == ["line 6"]
    assert report.new == SNAPSHOT_LINES + HF_PAPERS - 1
    assert report.featured_new == HF_PAPERS


def test_unknown_keys_are_ignored_and_missing_optional_fields_default() -> None:
    stream = io.BytesIO(
        orjson.dumps({**HEADER, "producer": "paperboard 9"})
        + b"\n"
        + orjson.dumps({**PAPER, "future_field": {"x": 1}, "version": 3})
        + b"\n"
    )
    (record,) = list(iter_export(stream))
    assert record == PaperRecord("2401.01234", "T", "A", ["Ada Lovelace"], ["cs.LG"], version=3)


def test_times_are_read_as_utc() -> None:
    line = {
        **PAPER,
        "published_at": "2024-01-02T03:04:05.678901+02:00",
        "updated_at": "2024-01-03T00:00:00Z",
        "ingested_at": "2024-01-04T00:00:00",  # no offset: taken as UTC
        "announced_on": "2024-01-05",
    }
    stream = io.BytesIO(orjson.dumps(HEADER) + b"\n" + orjson.dumps(line) + b"\n")
    (record,) = list(iter_export(stream))
    assert isinstance(record, PaperRecord)
    assert record.published_at == datetime(2024, 1, 2, 1, 4, 5, 678901, tzinfo=UTC)
    assert record.published_at.tzinfo is UTC
    assert record.updated_at == datetime(2024, 1, 3, tzinfo=UTC)
    assert record.ingested_at == datetime(2024, 1, 4, tzinfo=UTC)
    assert record.announced_on == date(2024, 1, 5)
