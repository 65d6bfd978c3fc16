"""Job leases (storage/jobs.py) on a real SQLite file and a real PostgreSQL: claims are
exclusive under concurrency, expired leases are taken over, non-holders change nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from paperboard.storage import jobs as job_store
from paperboard.storage.database import Database

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LEASE_S = 60.0
CLAIMERS = 8


def second(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def ensure(db: Database, name: str = "sync", due: datetime = T0) -> bool:
    with db.write() as connection:
        return job_store.ensure(connection, name, due)


def claim(db: Database, holder: str, now: datetime, name: str = "sync") -> bool:
    with db.write() as connection:
        return job_store.claim(connection, name, holder, now, LEASE_S)


def row(db: Database, name: str = "sync") -> job_store.JobRow:
    with db.read() as connection:
        found = job_store.get(connection, name)
    assert found is not None
    return found


def test_ensure_creates_once_and_keeps_the_due_time(db: Database) -> None:
    assert ensure(db, due=T0)
    assert not ensure(db, due=second(999))  # a restarted worker must not move it
    created = row(db)
    assert created.next_due == T0 and created.runs == 0
    assert created.holder is None and created.lease_until is None and created.last_ok is None


def test_claim_only_when_due_and_free(db: Database) -> None:
    ensure(db, due=second(10))
    assert not claim(db, "a", second(9))  # not due yet
    assert claim(db, "a", second(10))
    claimed = row(db)
    assert claimed.holder == "a"
    assert claimed.lease_until == second(10 + LEASE_S)
    assert claimed.last_started == second(10)
    assert not claim(db, "b", second(11))  # leased
    assert not claim(db, "a", second(11))  # not even twice by its holder
    assert not claim(db, "b", second(10 + LEASE_S))  # the lease's last instant still counts


def test_an_expired_lease_is_taken_over(db: Database) -> None:
    ensure(db)
    assert claim(db, "a", T0)
    later = second(LEASE_S + 1)
    assert claim(db, "b", later)
    taken = row(db)
    assert taken.holder == "b" and taken.lease_until == later + timedelta(seconds=LEASE_S)


def test_claim_is_exclusive_under_concurrency(db: Database) -> None:
    ensure(db)
    start = threading.Barrier(CLAIMERS)
    results: dict[str, bool] = {}

    def contend(holder: str) -> None:
        start.wait()
        results[holder] = claim(db, holder, second(1))

    threads = [threading.Thread(target=contend, args=(f"w{i}",)) for i in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [holder for holder, won in results.items() if won]
    assert len(results) == CLAIMERS and len(winners) == 1
    assert row(db).holder == winners[0]


def test_claim_is_exclusive_across_database_handles(database_url: str) -> None:
    """Each contender with its own engine, as separate worker processes would have."""
    handles = [Database(database_url) for _ in range(4)]
    try:
        ensure(handles[0])
        start = threading.Barrier(len(handles))
        won: list[int] = []

        def contend(number: int) -> None:
            start.wait()
            if claim(handles[number], f"w{number}", second(1)):
                won.append(number)

        threads = [threading.Thread(target=contend, args=(n,)) for n in range(len(handles))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
    finally:
        for handle in handles:
            handle.dispose()


def test_renew_extends_only_for_the_holder(db: Database) -> None:
    ensure(db)
    claim(db, "a", T0)
    with db.write() as connection:
        assert not job_store.renew(connection, "sync", "b", second(5), LEASE_S)
    assert row(db).lease_until == second(LEASE_S)
    with db.write() as connection:
        assert job_store.renew(connection, "sync", "a", second(20), LEASE_S)
    assert row(db).lease_until == second(20 + LEASE_S)
    assert not claim(db, "b", second(LEASE_S + 1))  # the renewed lease holds


def test_renew_fails_once_another_worker_took_over(db: Database) -> None:
    ensure(db)
    claim(db, "a", T0)
    claim(db, "b", second(LEASE_S + 1))
    with db.write() as connection:
        assert not job_store.renew(connection, "sync", "a", second(LEASE_S + 2), LEASE_S)
    assert row(db).holder == "b"


def test_finish_records_only_for_the_holder(db: Database) -> None:
    ensure(db)
    claim(db, "a", T0)
    before = row(db)
    with db.write() as connection:
        recorded = job_store.finish(
            connection, "sync", "b", second(3), ok=True, error=None, next_due=second(3600)
        )
    assert not recorded and row(db) == before
    with db.write() as connection:
        recorded = job_store.finish(
            connection, "sync", "a", second(3), ok=False, error="E" * 5000, next_due=second(600)
        )
    assert recorded
    done = row(db)
    assert done.holder is None and done.lease_until is None
    assert done.last_finished == second(3) and done.last_ok is False
    assert done.last_error == "E" * job_store.MAX_ERROR_CHARS
    assert done.next_due == second(600) and done.runs == 1
    assert not claim(db, "b", second(599)) and claim(db, "b", second(600))


def test_a_taken_over_holder_cannot_finish(db: Database) -> None:
    ensure(db)
    claim(db, "a", T0)
    claim(db, "b", second(LEASE_S + 1))
    with db.write() as connection:
        assert not job_store.finish(
            connection, "sync", "a", second(LEASE_S + 2), ok=True, error=None, next_due=second(1e4)
        )
    taken = row(db)
    assert taken.holder == "b" and taken.runs == 0 and taken.next_due == T0


def test_release_leaves_the_job_due(db: Database) -> None:
    ensure(db)
    claim(db, "a", T0)
    with db.write() as connection:
        assert not job_store.release(connection, "sync", "b")
        assert job_store.release(connection, "sync", "a")
    released = row(db)
    assert released.holder is None and released.runs == 0
    assert claim(db, "b", second(1))


def test_list_jobs_in_name_order(db: Database) -> None:
    for name in ("sync-hf", "digests", "embed"):
        ensure(db, name)
    with db.read() as connection:
        names = [job.name for job in job_store.list_jobs(connection)]
    assert names == ["digests", "embed", "sync-hf"]
