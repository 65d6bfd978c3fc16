"""Claims on papers being embedded (storage/embedding_claims.py) and their holders
(jobs/holders.py), on a real SQLite file and a real PostgreSQL: value order, live claims
never taken twice, lapsed ones taken over, renewals, releases, dead holders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from paperboard.domain.paper import FeaturedRecord
from paperboard.ingest.loader import load
from paperboard.jobs import holders
from paperboard.jobs.embed import backfill
from paperboard.storage import embedding_claims as claims
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.embeddings import PendingPaper
from tests.search_corpus import EMBEDDER, load_corpus, records

MODEL = EMBEDDER.name
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE_S = 10.0


def claim(
    db: Database,
    holder: str,
    limit: int,
    cursor: claims.BacklogCursor | None = None,
    now: datetime = T0,
) -> tuple[list[PendingPaper], claims.BacklogCursor]:
    with db.write() as connection:
        return claims.claim(
            connection, MODEL, holder, now, LEASE_S, limit, cursor or claims.BacklogCursor()
        )


def walk(db: Database, holder: str, batch: int, now: datetime = T0) -> list[list[int]]:
    """The batches one walk from the top claims, as lists of paper ids."""
    cursor, batches = claims.BacklogCursor(), []
    while not cursor.done:
        got, cursor = claim(db, holder, batch, cursor, now)
        if got:
            batches.append([paper.id for paper in got])
    return batches


def test_the_backlog_is_walked_featured_then_newest_then_undated(db: Database) -> None:
    ids = load_corpus(db)  # 2401.00001 .. 00008, published on increasing days
    undated = [replace(records()[0], arxiv_id=f"2401.0009{n}", published_at=None) for n in (1, 2)]
    load(db, undated)
    # 00002 was featured twice: its latest day (May) puts it before 00005 (April).
    load(
        db,
        [
            FeaturedRecord("2401.00005", date(2024, 4, 1)),
            FeaturedRecord("2401.00002", date(2024, 3, 1)),
            FeaturedRecord("2401.00002", date(2024, 5, 1)),
        ],
    )
    with db.read() as connection:
        ids |= paper_store.ids_for(connection, ["2401.00091", "2401.00092"])
    batches = walk(db, "a", 3)
    order = [paper_id for batch in batches for paper_id in batch]
    newest_first = [f"2401.0000{n}" for n in (8, 7, 6, 4, 3, 1)]
    undated_newest_id_first = sorted([ids["2401.00091"], ids["2401.00092"]], reverse=True)
    assert order == [
        ids["2401.00002"],
        ids["2401.00005"],
        *[ids[arxiv_id] for arxiv_id in newest_first],
        *undated_newest_id_first,
    ]
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]
    assert walk(db, "b", 3) == []  # every paper carries a live claim of "a"


def test_a_live_claim_is_never_taken_and_a_lapsed_one_is(db: Database) -> None:
    load_corpus(db)
    first, _ = claim(db, "a", 3)
    mine = {paper.id for paper in first}
    while_live = {p for batch in walk(db, "b", 100, now=T0 + timedelta(seconds=5)) for p in batch}
    assert len(while_live) == 5 and not mine & while_live
    after_lease = T0 + timedelta(seconds=5 + LEASE_S + 1)
    taken_over = {p for batch in walk(db, "c", 100, now=after_lease) for p in batch}
    assert taken_over == mine | while_live  # b's claims lapsed too
    with db.write() as connection:
        # a finishes late: it holds nothing any more, so it stores nothing.
        assert claims.release(connection, "a", mine) == set()
        assert claims.release(connection, "c", mine) == mine


def test_renewal_keeps_a_claim_and_release_frees_it(db: Database) -> None:
    ids = load_corpus(db)
    got, _ = claim(db, "a", 2)
    held = [paper.id for paper in got]
    later = T0 + timedelta(seconds=LEASE_S + 1)
    with db.write() as connection:
        assert claims.renew(connection, "a", held, later + timedelta(seconds=LEASE_S)) == 2
        assert claims.renew(connection, "b", held, later + timedelta(seconds=LEASE_S)) == 0
    # Renewed, a's claims outlive their first lease: b gets every other paper, c nothing.
    b_got = sorted(p for batch in walk(db, "b", 100, now=later) for p in batch)
    assert b_got == sorted(set(ids.values()) - set(held))
    assert walk(db, "c", 100, now=later) == []
    with db.read() as connection:
        assert claims.count_live(connection, later) == 8
        assert claims.count_expired(connection, later) == 0
        assert {(h.holder, h.papers) for h in claims.holders(connection)} == {("a", 2), ("b", 6)}
    with db.write() as connection:
        assert claims.release(connection, "a", held[:1]) == set(held[:1])
        assert claims.drop_holders(connection, ["b"]) == 6
    with db.read() as connection:
        assert [(h.holder, h.papers) for h in claims.holders(connection)] == [("a", 1)]


def test_papers_with_a_current_vector_are_not_claimed(db: Database) -> None:
    load_corpus(db)
    backfill(db, EMBEDDER, limit=5)
    assert sum(len(batch) for batch in walk(db, "a", 100)) == 3


# --- holders --------------------------------------------------------------------------------------


def test_a_holder_here_whose_process_is_gone_is_dead() -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    machine = holders.this_machine()
    assert holders.is_dead_here(f"{machine}:{gone.stdout.strip()}:beef")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not holders.is_dead_here(f"{machine}:{alive.pid}:beef")
    finally:
        alive.kill()
        alive.wait()
    assert not holders.is_dead_here(f"elsewhere:{gone.stdout.strip()}:beef")
    assert not holders.is_dead_here(holders.new_holder())  # this very process
    assert not holders.is_dead_here("w")  # a name of another form (tests, older versions)


def test_new_holders_are_unique_and_name_this_machine() -> None:
    names = {holders.new_holder() for _ in range(100)}
    assert len(names) == 100
    assert all(name.rsplit(":", 2)[0] == holders.this_machine() for name in names)
