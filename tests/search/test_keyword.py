"""The embedded keyword index (tantivy): sync from the database, search, crash consistency."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from paperboard.domain.paper import PaperRecord
from paperboard.ingest.loader import load
from paperboard.search.keyword import (
    INDEXED_KEYS_FILE,
    LATE_COMMIT_WINDOW,
    SYNC_FILE,
    KeywordIndex,
    rebuild,
    sync,
)
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from tests.conftest import PROJECT_ROOT


def paper(number: int, **changes: object) -> PaperRecord:
    fields: dict[str, object] = {
        "arxiv_id": f"2411.{number:05d}",
        "title": f"Paper number {number} on graph transformers",
        "abstract": f"We study attention in graphs, experiment {number}.",
        "authors": ["Ada Lovelace", f"Author{number} Person"],
        "categories": ["cs.LG"],
    }
    fields.update(changes)
    return PaperRecord(**fields)  # type: ignore[arg-type]


SPECIAL = [
    paper(
        1,
        title="Quokka Networks for Marsupial Image Segmentation",
        abstract="A convolutional approach to counting wallabies.",
        authors=["Grace Hopper", "Zoë Müller"],
        categories=["cs.CV"],
    ),
    paper(
        2,
        title="Sparse Mixture of Experts at Scale",
        abstract="Routing tokens with a platypus-inspired gating function.",
        authors=["Alan Turing"],
        categories=["cs.CL"],
    ),
]
COUNT = 30


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'paperboard.db'}")
    yield db
    db.dispose()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[KeywordIndex]:
    keyword_index = KeywordIndex(tmp_path / "keyword-index")
    yield keyword_index
    keyword_index.close()


def load_papers(db: Database) -> None:
    report = load(db, [*SPECIAL, *(paper(n) for n in range(3, COUNT + 1))])
    assert report.new == COUNT


def ids_of(db: Database, *arxiv_ids: str) -> set[int]:
    with db.read() as connection:
        return set(paper_store.ids_for(connection, list(arxiv_ids)).values())


def hit_ids(index: KeywordIndex, text: str) -> list[int]:
    return [paper_id for paper_id, _score in index.search(text)]


# --- sync and search -----------------------------------------------------------------------


def test_sync_indexes_every_paper(database: Database, index: KeywordIndex) -> None:
    load_papers(database)
    assert sync(database, index) == COUNT
    assert index.num_docs() == COUNT
    # Nothing new: a second sync indexes nothing and adds no duplicates.
    assert sync(database, index) == 0
    assert index.num_docs() == COUNT


def test_search_by_title_author_and_abstract(database: Database, index: KeywordIndex) -> None:
    load_papers(database)
    sync(database, index)
    quokka = ids_of(database, "2411.00001")
    experts = ids_of(database, "2411.00002")
    assert hit_ids(index, "quokka segmentation")[:1] == list(quokka)  # title words
    assert hit_ids(index, "Marsupial") == list(quokka)  # case-insensitive
    assert hit_ids(index, "wallabies") == list(quokka)  # abstract word
    assert hit_ids(index, "hopper") == list(quokka)  # author
    assert hit_ids(index, "Turing") == list(experts)
    assert hit_ids(index, "platypus") == list(experts)
    # English stemming: the singular finds the plural of the title.
    assert set(hit_ids(index, "expert")) == experts
    # A word in every paper finds many, each paper at most once.
    many = hit_ids(index, "attention")
    assert len(many) == len(set(many)) == min(20, COUNT - len(SPECIAL))
    assert index.search("nonexistentword") == []


@pytest.mark.parametrize(
    "query",
    [
        "attention AND (",
        '"',
        "*",
        "🙂🚀",
        "",
        "   ",
        "title:",
        "a:b:c ~ ^ [ ] { } \\",
        "NOT",
        "attention " * 500,  # 4,000+ characters
        "x" * 4000,
        "\x00\x01 control",
    ],
)
def test_hostile_queries_never_raise(database: Database, index: KeywordIndex, query: str) -> None:
    load_papers(database)
    sync(database, index)
    hits = index.search(query)
    assert isinstance(hits, list)
    assert len({paper_id for paper_id, _ in hits}) == len(hits)


def test_changed_paper_is_reindexed_without_duplicate(
    database: Database, index: KeywordIndex
) -> None:
    load_papers(database)
    sync(database, index)
    (quokka,) = ids_of(database, "2411.00001")
    report = load(
        database,
        [
            paper(
                1,
                title="Wombat Networks for Marsupial Image Segmentation",
                abstract="A convolutional approach to counting bandicoots.",
                authors=["Grace Hopper"],
                categories=["cs.CV"],
                version=2,
            )
        ],
    )
    assert report.changed == 1
    assert sync(database, index) == 1
    assert index.num_docs() == COUNT
    assert hit_ids(index, "wombat") == [quokka]
    assert hit_ids(index, "bandicoots") == [quokka]
    assert hit_ids(index, "quokka") == []
    assert hit_ids(index, "wallabies") == []


def test_changed_paper_in_a_new_process_is_reindexed(tmp_path: Path, database: Database) -> None:
    """A reopened index (fresh cursor, sidecar watermark) still replaces rather than adds."""
    load_papers(database)
    first = KeywordIndex(tmp_path / "kw")
    sync(database, first)
    first.close()
    del first
    gc.collect()
    load(database, [paper(2, title="Dense Experts Revisited", version=2)])
    reopened = KeywordIndex(tmp_path / "kw")
    try:
        assert sync(database, reopened) >= 1
        assert reopened.num_docs() == COUNT
        assert hit_ids(reopened, "revisited") == list(ids_of(database, "2411.00002"))
        assert hit_ids(reopened, "sparse") == []
    finally:
        reopened.close()


def reopen_and_sync(path: Path, database: Database) -> int:
    """What a new process (an ingest, a ``serve`` start) does first; returns papers indexed."""
    gc.collect()
    index = KeywordIndex(path)
    try:
        return sync(database, index)
    finally:
        index.close()
        del index
        gc.collect()


def test_a_new_process_indexes_only_what_changed(tmp_path: Path, database: Database) -> None:
    """Issue 18: 20 papers ingested minutes after a bulk load took 27 s (15 s when nothing
    changed): each new process re-indexed every paper of the late-commit window. It knows the
    versions the index holds, so it indexes only the new ones."""
    path = tmp_path / "kw"
    load(database, [paper(n) for n in range(1, 1001)])
    assert reopen_and_sync(path, database) == 1000
    load(database, [paper(n) for n in range(1001, 1021)])
    assert reopen_and_sync(path, database) == 20
    assert reopen_and_sync(path, database) == 0  # a rerun that changes nothing
    load(database, [paper(7, title="Echidna spines", version=2)])
    assert reopen_and_sync(path, database) == 1
    reopened = KeywordIndex(path)
    try:
        assert reopened.num_docs() == 1020
        assert hit_ids(reopened, "echidna") == list(ids_of(database, "2411.00007"))
    finally:
        reopened.close()


def test_a_late_commit_behind_the_watermark_is_found_by_a_new_process(
    tmp_path: Path, database: Database
) -> None:
    """The late-commit guarantee (module docstring of search/keyword.py) holds as before: a
    batch stamped before the watermark but committed after it is indexed by the next process."""
    path = tmp_path / "kw"
    load(database, [paper(n) for n in range(1, 11)])
    assert reopen_and_sync(path, database) == 10
    stamp = KeywordIndex(path).committed_watermark
    assert stamp is not None
    gc.collect()
    with database.write() as connection:
        late = [paper(11, title="Belated numbat")]
        paper_store.insert_records(connection, late, stamp - LATE_COMMIT_WINDOW / 2)
    assert reopen_and_sync(path, database) == 1
    reopened = KeywordIndex(path)
    try:
        assert hit_ids(reopened, "numbat") == list(ids_of(database, "2411.00011"))
        assert reopened.num_docs() == 11
    finally:
        reopened.close()


def test_without_its_record_of_versions_a_new_process_reindexes_the_window(
    tmp_path: Path, database: Database
) -> None:
    """A lost or unreadable record (a crash before it was written, a copied index) costs
    time, never a paper: the whole window is indexed again, each paper once."""
    path = tmp_path / "kw"
    load(database, [paper(n) for n in range(1, 31)])
    assert reopen_and_sync(path, database) == 30
    (path / INDEXED_KEYS_FILE).write_bytes(b"not numpy")
    assert reopen_and_sync(path, database) == 30
    (path / INDEXED_KEYS_FILE).unlink()
    assert reopen_and_sync(path, database) == 30
    reopened = KeywordIndex(path)
    try:
        assert reopened.num_docs() == 30
    finally:
        reopened.close()


def test_change_before_commit_replaces_the_pending_doc(
    database: Database, index: KeywordIndex
) -> None:
    load(database, [paper(1)])
    sync(database, index, commit=False)
    load(database, [paper(1, title="Echidna spines", version=2)])
    sync(database, index, commit=False)
    index.commit()
    assert index.num_docs() == 1
    assert len(hit_ids(index, "echidna")) == 1
    assert hit_ids(index, "transformers") == []


# --- crash consistency ---------------------------------------------------------------------


def test_sync_catches_up_with_papers_loaded_without_indexing(
    database: Database, index: KeywordIndex
) -> None:
    load(database, [paper(n) for n in range(1, 11)])
    assert sync(database, index) == 10
    # A crash after the database commit, before the index heard of it: loaded, not indexed.
    load(database, [paper(n) for n in range(11, 26)])
    assert index.num_docs() == 10
    assert sync(database, index) == 15
    assert index.num_docs() == 25
    assert sync(database, index) == 0


def test_sync_after_crash_between_add_and_commit(tmp_path: Path, database: Database) -> None:
    load_papers(database)
    path = tmp_path / "kw"
    crashed = KeywordIndex(path)
    assert sync(database, crashed, commit=False) == COUNT
    assert crashed.committed_watermark is None
    # The process dies: the writer goes away without a commit.
    del crashed
    gc.collect()
    reopened = KeywordIndex(path)
    try:
        assert reopened.num_docs() == 0
        assert sync(database, reopened) == COUNT
        assert reopened.num_docs() == COUNT
        assert len(hit_ids(reopened, "quokka")) == 1
    finally:
        reopened.close()


def test_crash_after_partial_progress_keeps_committed_part(
    tmp_path: Path, database: Database
) -> None:
    path = tmp_path / "kw"
    load(database, [paper(n) for n in range(1, 11)])
    first = KeywordIndex(path)
    sync(database, first)
    load(database, [paper(n) for n in range(11, 21)])
    sync(database, first, commit=False)  # added, never committed
    del first
    gc.collect()
    reopened = KeywordIndex(path)
    try:
        assert reopened.num_docs() == 10
        sync(database, reopened)
        assert reopened.num_docs() == 20
    finally:
        reopened.close()


def test_crash_between_index_commit_and_sidecar_write(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(database, [paper(n) for n in range(1, 11)])
    path = tmp_path / "kw"
    crashed = KeywordIndex(path)
    sync(database, crashed, commit=False)
    real_write_state = KeywordIndex._write_state
    calls = 0

    def write_state_then_die(self: KeywordIndex, watermark: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # after tantivy's commit: the process "dies" before the watermark
            raise SystemExit("killed")
        real_write_state(self, watermark)  # type: ignore[arg-type]

    monkeypatch.setattr(KeywordIndex, "_write_state", write_state_then_die)
    with pytest.raises(SystemExit):
        crashed.commit()
    monkeypatch.setattr(KeywordIndex, "_write_state", real_write_state)
    del crashed
    gc.collect()
    reopened = KeywordIndex(path)
    try:
        sync(database, reopened)
        assert reopened.num_docs() == 10
    finally:
        reopened.close()


def test_watermark_is_persisted_in_the_sidecar(tmp_path: Path, database: Database) -> None:
    path = tmp_path / "kw"
    index = KeywordIndex(path)
    assert index.committed_watermark is None
    load_papers(database)
    sync(database, index)
    index.close()
    state = json.loads((path / SYNC_FILE).read_text())
    assert state["schema"] == 1
    assert state["max_id"] == max(ids_of(database, *(f"2411.{n:05d}" for n in range(1, 31))))
    watermark = datetime.fromisoformat(state["watermark"])
    with database.read() as connection:
        newest = paper_store.modified_since(connection, None, None, 1000)[-1]["modified_at"]
    assert watermark == newest
    # A new process reads it back and has nothing to do.
    reopened = KeywordIndex(path)
    try:
        assert reopened.committed_watermark == watermark
        assert reopened.num_docs() == COUNT
        load(database, [paper(99)])
        assert sync(database, reopened) >= 1  # the new paper (plus a second of overlap)
        assert reopened.num_docs() == COUNT + 1
    finally:
        reopened.close()


def test_uncommitted_sync_does_not_move_the_persisted_watermark(
    database: Database, index: KeywordIndex
) -> None:
    load_papers(database)
    sync(database, index, commit=False)
    assert index.committed_watermark is None
    assert index.watermark is not None  # pending in memory
    index.commit()
    assert index.committed_watermark == index.watermark


def test_rebuild_gives_the_same_count(database: Database, index: KeywordIndex) -> None:
    load_papers(database)
    sync(database, index)
    assert rebuild(database, index) == COUNT
    assert index.num_docs() == COUNT
    assert len(hit_ids(index, "platypus")) == 1
    assert rebuild(database, index) == COUNT
    assert index.num_docs() == COUNT


def test_old_schema_sidecar_is_wiped_and_rebuilt(tmp_path: Path, database: Database) -> None:
    path = tmp_path / "kw"
    index = KeywordIndex(path)
    load_papers(database)
    sync(database, index)
    index.close()
    del index
    gc.collect()
    (path / SYNC_FILE).write_text(json.dumps({"schema": 0, "watermark": None, "max_id": 0}))
    reopened = KeywordIndex(path)
    try:
        assert reopened.num_docs() == 0
        assert sync(database, reopened) == COUNT
        assert reopened.num_docs() == COUNT
    finally:
        reopened.close()


# --- one writer at a time ------------------------------------------------------------------


def test_second_instance_in_process_is_busy_then_catches_up(
    tmp_path: Path, database: Database
) -> None:
    path = tmp_path / "kw"
    holder = KeywordIndex(path)
    load(database, [paper(1)])
    sync(database, holder)  # holds the writer (and tantivy's lock) from now on
    other = KeywordIndex(path)
    try:
        load(database, [paper(n) for n in range(2, 6)])
        assert sync(database, other) == 0  # busy: no exception
        holder.close()  # releases the lock
        # The 4 new papers; the one the holder indexed and committed is not indexed again.
        assert sync(database, other) == 4
        assert other.num_docs() == 5
    finally:
        other.close()
        holder.close()


HOLD_WRITER = """
import sys, time
from pathlib import Path
from paperboard.search.keyword import KeywordIndex
index = KeywordIndex(Path(sys.argv[1]))
assert index._writer_or_none() is not None
print("ready", flush=True)
time.sleep(60)
"""


def test_writer_held_by_another_process(tmp_path: Path, database: Database) -> None:
    path = tmp_path / "kw"
    KeywordIndex(path).close()
    load_papers(database)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    index = KeywordIndex(path)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        assert sync(database, index) == 0
        assert index.num_docs() == 0
        holder.kill()
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        while (count := sync(database, index)) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count == COUNT
        assert index.num_docs() == COUNT
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
        index.close()
