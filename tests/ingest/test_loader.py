"""The loader on SQLite and PostgreSQL: idempotent upserts, versions, featured entries, batches."""

from __future__ import annotations

import gzip
import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import delete

from paperboard.domain.paper import FeaturedRecord, IngestItem, Malformed, PaperRecord
from paperboard.ingest import loader as loader_module
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.loader import Loader, LoadReport, load
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.storage import featured as featured_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.schema import featured, papers
from tests.conftest import SHARED_DATA

SNAPSHOT_DIR = "kaggle_arxiv_snapshot"
SNAPSHOT_PAPERS = 200
HF_BOARD = "hf_daily_papers/hf_daily_papers_2025-07-22.json"
HF_ENTRIES = 16
ARXIV_SAMPLE = SHARED_DATA / "arxiv-sample" / "papers.jsonl.gz"

T1 = datetime(2024, 1, 1, 9, tzinfo=UTC)
T2 = datetime(2024, 2, 1, 9, tzinfo=UTC)


def snapshot_items(fixtures_dir: Path) -> list[IngestItem]:
    items: list[IngestItem] = []
    for path in sorted((fixtures_dir / SNAPSHOT_DIR).glob("*.jsonl")):
        with path.open("rb") as stream:
            items.extend(iter_snapshot(stream))
    return items


def hf_bytes(fixtures_dir: Path) -> bytes:
    return (fixtures_dir / HF_BOARD).read_bytes()


def record(arxiv_id: str = "2401.00001", **changes: Any) -> PaperRecord:
    base = PaperRecord(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        abstract="An abstract.",
        authors=["A. Author"],
        categories=["cs.LG"],
        published_at=T1,
        updated_at=T1,
        version=1,
    )
    return replace(base, **changes)


def get(db: Database, arxiv_id: str) -> PaperRecord:
    with db.read() as connection:
        found = paper_store.get_record(connection, arxiv_id)
    assert found is not None, arxiv_id
    return found


def paper_count(db: Database) -> int:
    with db.read() as connection:
        return paper_store.count(connection)


def featured_rows(db: Database) -> list[FeaturedRecord]:
    with db.read() as connection:
        return list(featured_store.iter_all(connection))


def state(db: Database) -> tuple[dict[str, PaperRecord], list[FeaturedRecord]]:
    """Everything stored, keyed by arXiv id, without the ingest time (which differs per run)."""
    with db.read() as connection:
        stored = {
            r.arxiv_id: replace(r, ingested_at=None) for r in paper_store.iter_all(connection)
        }
        entries = sorted(
            (replace(f, featured_at=None) for f in featured_store.iter_all(connection)),
            key=lambda f: (f.day, f.arxiv_id),
        )
    return stored, entries


# --- the real snapshot fixture -----------------------------------------------------------------


def test_snapshot_load_and_reload(db: Database, fixtures_dir: Path) -> None:
    items = snapshot_items(fixtures_dir)
    report = load(db, items)
    assert (report.new, report.changed, report.unchanged) == (SNAPSHOT_PAPERS, 0, 0)
    assert report.papers_seen == SNAPSHOT_PAPERS
    assert report.malformed == []
    assert report.skipped == 0
    assert paper_count(db) == SNAPSHOT_PAPERS

    first = get(db, "0704.0001")
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors[0] == "C. Balázs"
    assert first.version == 2
    assert first.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.categories == ["hep-ph"]
    parsed = next(i for i in items if isinstance(i, PaperRecord) and i.arxiv_id == "0704.0001")
    assert replace(first, ingested_at=None) == parsed

    again = load(db, snapshot_items(fixtures_dir))
    assert (again.new, again.changed, again.unchanged) == (0, 0, SNAPSHOT_PAPERS)
    assert again.as_dict() == {
        "new": 0,
        "changed": 0,
        "unchanged": SNAPSHOT_PAPERS,
        "featured_new": 0,
        "featured_changed": 0,
        "featured_unchanged": 0,
        "skipped": 0,
    }
    assert paper_count(db) == SNAPSHOT_PAPERS
    # An unchanged re-ingest writes nothing: the first ingest time is kept.
    assert get(db, "0704.0001").ingested_at == first.ingested_at


def test_arxiv_sample_head(db: Database) -> None:
    if not ARXIV_SAMPLE.exists():
        pytest.skip(f"{ARXIV_SAMPLE} not found")
    lines = 2000
    with gzip.open(ARXIV_SAMPLE, "rb") as stream:
        items = list(iter_snapshot(itertools.islice(stream, lines)))  # type: ignore[arg-type]
    report = load(db, items)
    assert report.new + len(report.malformed) == lines
    assert report.new == paper_count(db) >= lines * 0.99
    with db.read() as connection:
        stored = list(paper_store.iter_all(connection))
    with_code = [r for r in stored if r.code_urls]
    # Around one in seven ML abstracts of this sample links its code; this head has more.
    assert len(with_code) >= lines * 0.05
    assert all(url.startswith("https://") for r in with_code for url in r.code_urls)
    assert any(url.startswith("https://github.com/") for r in with_code for url in r.code_urls)
    # What the parser found is what the store returns.
    parsed = {i.arxiv_id: i for i in items if isinstance(i, PaperRecord)}
    for paper in with_code[:50]:
        assert paper.code_urls == parsed[paper.arxiv_id].code_urls
        assert paper.project_page == parsed[paper.arxiv_id].project_page


# --- versions ----------------------------------------------------------------------------------


def test_newer_version_updates_and_keeps_first_published(db: Database) -> None:
    load(db, [record(version=1, title="First title", published_at=T1, updated_at=T1)])
    v2 = record(version=2, title="Second title", published_at=T2, updated_at=T2)
    report = load(db, [v2])
    assert (report.new, report.changed, report.unchanged) == (0, 1, 0)
    stored = get(db, "2401.00001")
    assert stored.version == 2
    assert stored.title == "Second title"
    assert stored.published_at == T1  # earliest seen
    assert stored.updated_at == T2
    assert paper_count(db) == 1
    # The same v2 again changes nothing.
    again = load(db, [v2])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)


def test_older_version_does_not_overwrite(db: Database) -> None:
    load(db, [record(version=2, title="Second title", abstract="v2", updated_at=T2)])
    report = load(db, [record(version=1, title="First title", abstract="v1", updated_at=T1)])
    assert (report.new, report.changed, report.unchanged) == (0, 0, 1)
    stored = get(db, "2401.00001")
    assert (stored.version, stored.title, stored.abstract) == (2, "Second title", "v2")
    assert stored.updated_at == T2


def test_sources_enrich_each_other(db: Database) -> None:
    arxiv = record(version=3, comments="10 pages", doi="10.1/x")
    hf = record(
        categories=[], ai_summary="Summary.", ai_keywords=["k"], github_stars=7, title="HF title"
    )
    load(db, [arxiv])
    report = load(db, [hf])
    assert report.changed == 1
    stored = get(db, "2401.00001")
    assert stored.title == arxiv.title  # v3 beats HF's (unknown, so 1) version
    assert (stored.categories, stored.comments, stored.doi) == (["cs.LG"], "10 pages", "10.1/x")
    assert (stored.ai_summary, stored.ai_keywords, stored.github_stars) == ("Summary.", ["k"], 7)
    assert load(db, [arxiv, hf]).unchanged == 1


# --- Hugging Face daily papers -----------------------------------------------------------------


def test_hf_daily_creates_featured(db: Database, fixtures_dir: Path) -> None:
    data = hf_bytes(fixtures_dir)
    report = load(db, parse_daily_papers(data))
    assert (report.new, report.featured_new) == (HF_ENTRIES, HF_ENTRIES)
    assert report.malformed == []
    entries = featured_rows(db)
    assert len(entries) == HF_ENTRIES
    assert {e.day for e in entries} == {date(2025, 7, 22)}
    top = next(e for e in entries if e.arxiv_id == "2507.14683")
    assert (top.submitted_by, top.upvotes, top.num_comments) == ("veggiebird", 63, 1)
    assert top.source == "huggingface"
    assert top.featured_at == datetime(2025, 7, 22, 1, 41, 1, 897000, tzinfo=UTC)
    with db.read() as connection:
        assert featured_store.days_count(connection) == 1

    again = load(db, parse_daily_papers(data))
    assert (again.new, again.changed, again.unchanged) == (0, 0, HF_ENTRIES)
    assert (again.featured_new, again.featured_changed, again.featured_unchanged) == (
        0,
        0,
        HF_ENTRIES,
    )
    assert featured_rows(db) == entries

    board = orjson.loads(data)
    board[0]["paper"]["upvotes"] += 10
    board[1]["numComments"] = board[1].get("numComments", 0) + 2
    changed = load(db, parse_daily_papers(orjson.dumps(board)))
    assert (changed.featured_new, changed.featured_changed) == (0, 2)
    assert changed.featured_unchanged == HF_ENTRIES - 2
    after = {e.arxiv_id: e for e in featured_rows(db)}
    first_id = board[0]["paper"]["id"]
    assert after[first_id].upvotes == board[0]["paper"]["upvotes"]
    assert after[board[1]["paper"]["id"]].num_comments == board[1]["numComments"]
    assert len(after) == HF_ENTRIES


def test_hf_after_snapshot_keeps_arxiv_fields(db: Database, fixtures_dir: Path) -> None:
    items = [i for i in parse_daily_papers(hf_bytes(fixtures_dir)) if isinstance(i, PaperRecord)]
    paper = items[0]
    load(db, [replace(paper, categories=["cs.CL", "cs.AI"], comments="Tech report", version=2)])
    load(db, parse_daily_papers(hf_bytes(fixtures_dir)))
    stored = get(db, paper.arxiv_id)
    assert stored.categories == ["cs.CL", "cs.AI"]
    assert stored.comments == "Tech report"
    assert stored.ai_summary == paper.ai_summary


def test_a_board_imported_again_brings_its_thumbnails(db: Database, fixtures_dir: Path) -> None:
    """Papers imported before thumbnails were kept get them from the next import of the board;
    an arXiv update afterwards keeps them."""
    items = list(parse_daily_papers(hf_bytes(fixtures_dir)))
    papers_only = [i for i in items if isinstance(i, PaperRecord)]
    load(db, [replace(i, thumbnail_url=None) if isinstance(i, PaperRecord) else i for i in items])
    assert get(db, papers_only[0].arxiv_id).thumbnail_url is None
    again = load(db, items)
    assert again.changed == HF_ENTRIES
    assert get(db, papers_only[0].arxiv_id).thumbnail_url == papers_only[0].thumbnail_url
    load(db, [replace(papers_only[0], categories=["cs.CL"], version=2, thumbnail_url=None)])
    assert get(db, papers_only[0].arxiv_id).thumbnail_url == papers_only[0].thumbnail_url


def test_featured_for_unknown_paper_is_reported(db: Database) -> None:
    known = record("2401.00001")
    items: list[IngestItem] = [
        known,
        FeaturedRecord("2401.00001", date(2025, 1, 2), upvotes=3),
        FeaturedRecord("2401.99999", date(2025, 1, 2), upvotes=5),
    ]
    report = load(db, items)
    assert report.new == 1
    assert report.featured_new == 1
    assert len(report.malformed) == 1
    assert "2401.99999" in report.malformed[0].location
    assert report.skipped == 1
    assert [e.arxiv_id for e in featured_rows(db)] == ["2401.00001"]
    assert paper_count(db) == 1
    with db.read() as connection:
        assert paper_store.get_record(connection, "2401.99999") is None


# --- malformed and duplicates ------------------------------------------------------------------


def test_malformed_items_are_counted_and_the_rest_loaded(db: Database) -> None:
    items: list[IngestItem] = [
        record("2401.00001"),
        Malformed("line 2", "invalid JSON"),
        record("2401.00003"),
        Malformed("line 4", "record has no id"),
    ]
    report = load(db, items, batch_size=2)
    assert report.new == 2
    assert report.skipped == 2
    assert [m.location for m in report.malformed] == ["line 2", "line 4"]
    assert paper_count(db) == 2


def test_snapshot_with_bad_lines(db: Database, fixtures_dir: Path, tmp_path: Path) -> None:
    source = sorted((fixtures_dir / SNAPSHOT_DIR).glob("*.jsonl"))[0]
    lines = source.read_bytes().splitlines(keepends=True)[:10]
    lines[2] = b'{"id": "0704.0003", "title": \n'  # broken JSON
    lines[5] = b'{"title": "no id"}\n'
    lines[7] = b'{"id": "not-an-id", "title": "x"}\n'
    report = load(db, iter_snapshot(iter(lines)))  # type: ignore[arg-type]
    assert report.new == 7
    assert [m.location for m in report.malformed] == ["line 3", "line 6", "line 8"]
    assert paper_count(db) == 7


def test_duplicates_within_a_batch_are_merged(db: Database) -> None:
    day = date(2025, 1, 2)
    items: list[IngestItem] = [
        FeaturedRecord("2401.00001", day, upvotes=1),
        record(version=1, title="v1", published_at=T1),
        FeaturedRecord("2401.00001", day, upvotes=9, num_comments=2),
        record(categories=[], ai_summary="From HF", github_stars=3),
        record(version=2, title="v2", published_at=T2, updated_at=T2),
        record(version=1, title="v1 again"),
    ]
    report = load(db, items)
    assert (report.new, report.changed, report.unchanged) == (1, 0, 0)
    stored = get(db, "2401.00001")
    assert (stored.version, stored.title) == (2, "v2")
    assert stored.published_at == T1
    assert stored.updated_at == T2
    assert stored.categories == ["cs.LG"]
    assert (stored.ai_summary, stored.github_stars) == ("From HF", 3)
    # The same featured entry twice: the last one counts.
    assert report.featured_new == 1
    assert [(e.upvotes, e.num_comments) for e in featured_rows(db)] == [(9, 2)]


# --- batches -----------------------------------------------------------------------------------


def _mixed_items(fixtures_dir: Path) -> list[IngestItem]:
    """Snapshot papers, a HF board, and later versions and enrichments of earlier papers."""
    items = snapshot_items(fixtures_dir)
    papers_only = [i for i in items if isinstance(i, PaperRecord)]
    items.extend(parse_daily_papers(hf_bytes(fixtures_dir)))
    for n, paper in enumerate(papers_only[:40]):
        if n % 3 == 0:
            items.append(replace(paper, version=paper.version + 1, title=f"{paper.title} (v+1)"))
        elif n % 3 == 1 and paper.version > 1:
            # An older version: it must not overwrite, but its AI summary fills the gap.
            older = replace(paper, version=paper.version - 1, title="stale")
            items.append(replace(older, ai_summary=f"summary {n}"))
        else:
            items.append(Malformed(f"line {1000 + n}", "bad"))
        items.append(FeaturedRecord(paper.arxiv_id, date(2025, 1, 1 + n % 5), upvotes=n))
    # A featured entry seen twice with different counts, in different batches.
    items.append(FeaturedRecord(papers_only[0].arxiv_id, date(2025, 1, 1), upvotes=1000))
    return items


def test_small_batches_give_the_same_state(db: Database, fixtures_dir: Path) -> None:
    items = _mixed_items(fixtures_dir)
    small = load(db, items, batch_size=7)
    small_state = state(db)
    with db.write() as connection:
        connection.execute(delete(featured))
        connection.execute(delete(papers))
    big = load(db, items, batch_size=100_000)
    assert state(db) == small_state
    assert len(small_state[0]) == SNAPSHOT_PAPERS + HF_ENTRIES
    assert small.skipped == big.skipped
    assert small.new == big.new == SNAPSHOT_PAPERS + HF_ENTRIES
    # The later versions and enrichments took effect.
    stored = small_state[0]
    bumped = [r for r in stored.values() if r.title.endswith("(v+1)")]
    assert len(bumped) == 14
    assert all(r.title != "stale" for r in stored.values())
    enriched = [r for r in stored.values() if (r.ai_summary or "").startswith("summary")]
    stale = [i for i in items if isinstance(i, PaperRecord) and i.title == "stale"]
    assert len(enriched) == len(stale) > 3
    first = next(i for i in items if isinstance(i, PaperRecord))
    entry = next(
        e for e in small_state[1] if e.arxiv_id == first.arxiv_id and e.day == date(2025, 1, 1)
    )
    assert entry.upvotes == 1000


def test_after_flush_once_per_batch(db: Database) -> None:
    committed: list[int] = []

    def after_flush() -> None:
        # Called after the commit: a new connection already sees the batch.
        committed.append(paper_count(db))

    items = [record(f"2401.{n:05d}") for n in range(1, 21)]
    load(db, items, batch_size=7, after_flush=after_flush)
    assert committed == [7, 14, 20]

    committed.clear()
    load(db, [], batch_size=7, after_flush=after_flush)
    assert committed == []

    committed.clear()
    calls: list[tuple[int, int]] = []
    done: list[bool] = []

    def note_progress(seen: int, report: LoadReport) -> None:
        calls.append((seen, report.new + report.unchanged))
        done.append(report.done)

    load(
        db,
        [record(f"2401.{n:05d}") for n in range(1, 25)],
        batch_size=7,
        after_flush=after_flush,
        progress=note_progress,
    )
    assert committed == [20, 20, 21, 24]  # flushed after items 7, 14, 21 and at the end
    assert calls[-1] == (24, 24)
    assert done == [False, False, False, True]  # only the last call is the finished load
    assert [seen for seen, _ in calls] == sorted(seen for seen, _ in calls)
    assert all(new <= seen for seen, new in calls)


# --- atomicity ---------------------------------------------------------------------------------


class Interrupted(Exception):
    pass


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, call: int) -> None:
    """Make ``module.name`` do its work and then raise on its ``call``-th call (1-based)."""
    original = getattr(module, name)
    calls = itertools.count(1)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if next(calls) == call:
            raise Interrupted(f"{name} interrupted")
        return result

    monkeypatch.setattr(module, name, wrapper)


def test_failed_batch_leaves_nothing_of_itself(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = 5
    items = [record(f"2401.{n:05d}") for n in range(1, 16)]
    # The second batch's rows are written, then the batch fails before its commit.
    _fail_on_call(monkeypatch, paper_store, "insert_records", 2)
    loader = Loader(db, batch_size=batch)
    with pytest.raises(Interrupted):
        for item in items:
            loader.add(item)
    with db.read() as connection:
        ids = {r.arxiv_id for r in paper_store.iter_all(connection)}
    assert ids == {r.arxiv_id for r in items[:batch]}
    assert loader.report.new == batch  # only what was committed is counted

    # A rerun completes it.
    monkeypatch.undo()
    report = load(db, items, batch_size=batch)
    assert (report.new, report.unchanged) == (len(items) - batch, batch)
    assert paper_count(db) == len(items)


def test_failed_update_rolls_back_the_batch(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    load(db, [record("2401.00001", title="old")])
    _fail_on_call(monkeypatch, paper_store, "update_records", 1)
    with pytest.raises(Interrupted):
        load(db, [record("2401.00002"), record("2401.00001", version=2, title="new")])
    assert get(db, "2401.00001").title == "old"
    assert paper_count(db) == 1


def test_failed_featured_write_rolls_back_papers_of_the_batch(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_call(monkeypatch, featured_store, "insert", 1)
    items: list[IngestItem] = [record(), FeaturedRecord("2401.00001", date(2025, 1, 1))]
    with pytest.raises(Interrupted):
        load(db, items)
    assert paper_count(db) == 0
    assert featured_rows(db) == []


def test_loader_uses_the_store_modules() -> None:
    # The atomicity tests patch these module attributes; the loader must look them up there.
    assert loader_module.paper_store is paper_store
    assert loader_module.featured_store is featured_store


def test_report_defaults() -> None:
    report = LoadReport()
    assert report.papers_seen == 0
    assert report.skipped == 0
    assert set(report.as_dict()) == {
        "new",
        "changed",
        "unchanged",
        "featured_new",
        "featured_changed",
        "featured_unchanged",
        "skipped",
    }


def test_ingest_time_is_first_write(db: Database) -> None:
    before = datetime.now(UTC)
    load(db, [record(title="first")])
    first = get(db, "2401.00001").ingested_at
    assert first is not None
    assert before - timedelta(seconds=1) <= first <= datetime.now(UTC) + timedelta(seconds=1)
    load(db, [record(version=2, title="second")])
    assert get(db, "2401.00001").ingested_at == first
    # An explicit ingest time (paperboard import) is kept.
    given = datetime(2020, 5, 5, tzinfo=UTC)
    load(db, [record("2401.00002", ingested_at=given)])
    assert get(db, "2401.00002").ingested_at == given
