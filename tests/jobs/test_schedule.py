"""The shared schedule (jobs/schedule.py, jobs/worker.py) on a real SQLite file and a real
PostgreSQL: due times, several workers running each due job once, a killed worker's job taken
over after its lease, heartbeats, failures, and the worker and ``paperboard jobs`` wiring."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time as wall
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import update

from paperboard.jobs.schedule import (
    DIGEST_CHECK_INTERVAL_S,
    SYNC_ARXIV,
    SYNC_HF,
    SYNC_RETRY_S,
    Job,
    JobContext,
    JobInterrupted,
    Scheduler,
    every,
    next_daily,
    next_digest_due,
    next_interval,
    next_weekly,
)
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import jobs as job_store
from paperboard.storage.database import Database
from paperboard.storage.schema import jobs as jobs_table
from tests.conftest import PROJECT_ROOT
from tests.httpserver import LocalServer

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # a Friday


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Recorder:
    """Job callables that record each run: (job, due time it served, worker)."""

    runs: list[tuple[str, datetime, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, context: JobContext) -> None:
        with self.lock:
            self.runs.append((context.name, context.due, context.holder))

    def job(self, name: str, interval_s: float, *, fails: bool = False, **options: object) -> Job:
        def run(context: JobContext) -> None:
            self.record(context)
            if fails:
                raise RuntimeError(f"{name} broke")

        return Job(name, run, every(interval_s), **options)  # type: ignore[arg-type]


def job_row(db: Database, name: str) -> job_store.JobRow:
    with db.read() as connection:
        row = job_store.get(connection, name)
    assert row is not None, name
    return row


def runs(db: Database, name: str) -> int:
    """Finished runs of ``name``; 0 also before any worker created its row."""
    with db.read() as connection:
        row = job_store.get(connection, name)
    return row.runs if row is not None else 0


def wait_for(condition, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = wall.monotonic() + timeout
    while not condition():
        if wall.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        wall.sleep(0.05)


# --- due times (pure) ---------------------------------------------------------------------------


def test_next_interval_keeps_the_grid_and_collapses_missed_runs() -> None:
    assert next_interval(T0, T0, 600) == at(600)
    assert next_interval(T0, at(5), 600) == at(600)  # a run that took 5 s keeps the grid
    assert next_interval(T0, at(600), 600) == at(1200)
    # A worker that was down for 5 hours runs once, not 30 times back to back.
    assert next_interval(T0, at(5 * 3600 + 1), 600) == at(5 * 3600 + 600)


def test_next_daily_and_weekly_are_strictly_later() -> None:
    seven = time(7, 0)
    assert next_daily(T0, time(9, 30)) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert next_daily(T0, seven) == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    assert next_daily(T0, time(8, 0)) == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    # Friday 08:00: the next Monday (0) 07:00, the next Friday (4) 09:00, a week on at 08:00.
    assert next_weekly(T0, seven, 0) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert next_weekly(T0, time(9, 0), 4) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert next_weekly(T0, time(8, 0), 4) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_digests_are_due_on_the_dot_and_checked_in_between() -> None:
    check = timedelta(seconds=DIGEST_CHECK_INTERVAL_S)
    assert next_digest_due(T0, time(7, 0), 0) == T0 + check
    just_before = datetime(2026, 11, 20, 6, 59, 30, tzinfo=UTC)
    assert next_digest_due(just_before, time(7, 0), 0) == datetime(2026, 11, 20, 7, tzinfo=UTC)


# --- one scheduler ------------------------------------------------------------------------------


def test_runs_when_due_then_at_the_next_due_time(db: Database) -> None:
    clock, recorder = FakeClock(), Recorder()
    later = recorder.job("later", 300, first_due=lambda now: now + timedelta(seconds=90))
    scheduler = Scheduler(db, [recorder.job("sync", 300), later], holder="w", clock=clock)
    assert scheduler.run_due() == ["sync"]
    assert scheduler.run_due() == []  # not again at the same time
    clock.now = at(90)
    assert scheduler.run_due() == ["later"]
    clock.now = at(300)
    assert scheduler.run_due() == ["sync"]
    row = job_row(db, "sync")
    assert (row.runs, row.last_ok, row.next_due, row.holder) == (2, True, at(600), None)
    assert row.last_started == row.last_finished == at(300)


def test_a_failing_job_is_recorded_and_retried_later_not_at_once(db: Database) -> None:
    clock, recorder = FakeClock(), Recorder()
    broken = recorder.job("broken", 3600, fails=True)
    flaky = recorder.job("flaky", 3600, fails=True, retry_after_s=120)
    scheduler = Scheduler(db, [broken, flaky], holder="w", clock=clock)
    assert scheduler.run_due() == ["broken", "flaky"]
    row = job_row(db, "broken")
    assert row.last_ok is False and row.last_error == "RuntimeError: broken broke"
    assert row.next_due == at(3600) and row.holder is None and row.runs == 1
    assert job_row(db, "flaky").next_due == at(120)
    for second in (1, 60, 119):  # no hot loop
        clock.now = at(second)
        assert scheduler.run_due() == []
    clock.now = at(120)
    assert scheduler.run_due() == ["flaky"]
    assert len(recorder.runs) == 3


def test_two_workers_over_an_hour_run_each_job_exactly_once(
    db: Database, database_url: str
) -> None:
    """Two schedulers, each with its own Database (as two processes), step a fake clock
    through an hour in lockstep and race for every due job (``db``: migrated beforehand)."""
    step_s, steps = 30, 121  # 08:00:00 .. 09:00:00 inclusive
    half_past = time(8, 30)
    recorder = Recorder()

    def jobs() -> list[Job]:
        daily = Job(
            "daily",
            recorder.record,
            lambda _due, now: next_daily(now, half_past),
            first_due=lambda now: next_daily(now, half_past),
        )
        return [
            recorder.job("often", 300),
            recorder.job("sync", 1200),
            recorder.job("broken", 900, fails=True),
            daily,
        ]

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(holder: str) -> None:
        db = Database(database_url)
        clock = FakeClock()
        scheduler = Scheduler(db, jobs(), holder=holder, clock=clock)
        try:
            for step in range(steps):
                clock.now = at(step * step_s)
                barrier.wait(timeout=60)
                scheduler.run_due()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            db.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors

    expected = Counter(
        [("often", at(s), "") for s in range(0, 3601, 300)]
        + [("sync", at(s), "") for s in range(0, 3601, 1200)]
        + [("broken", at(s), "") for s in range(0, 3601, 900)]
        + [("daily", at(1800), "")]
    )
    ran = Counter((name, due, "") for name, due, _holder in recorder.runs)
    assert ran == expected  # every due run, each exactly once
    assert job_row(db, "often").runs == 13 and job_row(db, "daily").runs == 1
    broken = job_row(db, "broken")
    assert broken.runs == 5 and broken.last_ok is False and broken.next_due == at(4500)


# --- leases while a job runs (real clock) --------------------------------------------------------


def test_the_heartbeat_keeps_a_long_jobs_lease(db: Database) -> None:
    lease_s, work_s = 0.9, 2.0  # the job outlasts two leases; renewed every 0.3 s
    started = threading.Event()

    def slow(_context: JobContext) -> None:
        started.set()
        wall.sleep(work_s)

    holder = Scheduler(db, [Job("slow", slow, every(3600))], holder="a", lease_s=lease_s)
    rival = Scheduler(db, [Job("slow", slow, every(3600))], holder="b", lease_s=lease_s)
    thread = threading.Thread(target=holder.run_due)
    thread.start()
    assert started.wait(30)
    rival_runs = 0
    while thread.is_alive():
        rival_runs += rival.run_if_due(rival.jobs[0])
        wall.sleep(0.05)
    thread.join()
    assert rival_runs == 0
    row = job_row(db, "slow")
    assert row.runs == 1 and row.last_ok is True and row.holder is None


def test_a_job_whose_lease_was_taken_over_is_told_to_stop(db: Database) -> None:
    started, finished = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def patient(context: JobContext) -> None:
        started.set()
        outcome["stopped"] = context.stop.wait(30)
        outcome["lost"] = context.lease_lost.is_set()
        finished.set()

    scheduler = Scheduler(db, [Job("patient", patient, every(3600))], holder="a", lease_s=0.6)
    thread = threading.Thread(target=scheduler.run_due)
    thread.start()
    assert started.wait(30)
    # As if this worker had stalled past its lease and another had claimed the job.
    with db.write() as connection:
        connection.execute(update(jobs_table).values(holder="b"))
    assert finished.wait(10)
    thread.join()
    assert outcome == {"stopped": True, "lost": True}
    row = job_row(db, "patient")
    assert row.holder == "b" and row.runs == 0  # the stale run recorded nothing


def test_a_stopping_worker_hands_an_interrupted_job_back(db: Database) -> None:
    started = threading.Event()

    def interruptible(context: JobContext) -> None:
        started.set()
        if context.stop.wait(30):
            raise JobInterrupted

    stop = threading.Event()
    job = Job("embed", interruptible, every(60))
    scheduler = Scheduler(db, [job], holder="a", stop=stop)
    thread = threading.Thread(target=scheduler.run_due)
    thread.start()
    assert started.wait(30)
    stop.set()
    thread.join(10)
    row = job_row(db, "embed")
    assert row.holder is None and row.runs == 0  # still due: another worker takes it at once
    assert Scheduler(db, [Job("embed", lambda c: None, every(60))], holder="b").run_due()


def test_background_schedulers_share_the_runs(db: Database, database_url: str) -> None:
    """Two schedulers with their own threads and the real clock: each due time runs once."""
    recorder = Recorder()
    other_db = Database(database_url)
    stops = [threading.Event(), threading.Event()]
    schedulers = [
        Scheduler(db, [recorder.job("tick", 1.0)], holder="a", poll_s=0.2, stop=stops[0]),
        Scheduler(other_db, [recorder.job("tick", 1.0)], holder="b", poll_s=0.2, stop=stops[1]),
    ]
    threads = [thread for scheduler in schedulers for thread in scheduler.start()]
    wait_for(lambda: len(recorder.runs) >= 3, what="three runs")
    for stop in stops:
        stop.set()
    for thread in threads:
        thread.join(10)
    other_db.dispose()
    dues = [due for _name, due, _holder in recorder.runs]
    assert len(dues) == len(set(dues)) >= 3
    assert job_row(db, "tick").runs == len(dues)


def test_a_shared_job_runs_in_every_worker_on_its_own_cadence(db: Database) -> None:
    """``embed`` divides its work itself: every worker runs it, none waits for a lease."""
    recorder = Recorder()
    clock = FakeClock()
    a = Scheduler(db, [recorder.job("share", 60, shared=True)], holder="a", clock=clock)
    b = Scheduler(db, [recorder.job("share", 60, shared=True)], holder="b", clock=clock)
    assert a.run_due() == ["share"] and b.run_due() == ["share"]  # the same due time, twice
    assert a.run_due() == [] and b.run_due() == []
    clock.now = at(60)
    assert a.run_due() == ["share"]
    assert [(due, holder) for _name, due, holder in recorder.runs] == [
        (T0, "a"),
        (T0, "b"),
        (at(60), "a"),
    ]
    row = job_row(db, "share")
    assert row.runs == 3 and row.holder is None and row.lease_until is None
    assert row.last_ok is True and row.last_finished == at(60) and row.next_due == at(120)


def test_a_failing_shared_job_is_recorded_and_retried_later(db: Database) -> None:
    recorder = Recorder()
    clock = FakeClock()
    job = recorder.job("share", 3600, fails=True, shared=True, retry_after_s=600)
    scheduler = Scheduler(db, [job], holder="a", clock=clock)
    assert scheduler.run_due() == ["share"]
    row = job_row(db, "share")
    assert row.last_ok is False and row.last_error == "RuntimeError: share broke"
    assert row.next_due == at(600)
    clock.now = at(599)
    assert scheduler.run_due() == []
    clock.now = at(600)
    assert scheduler.run_due() == ["share"]


# --- a killed worker's job is taken over -------------------------------------------------------

# A worker process with one job, "slow", that logs its start, works WORK_S seconds, logs done.
WORKER_SCRIPT = """
import sys, time
from paperboard.jobs.schedule import Job, Scheduler, every
from paperboard.storage.database import Database

url, holder, work_s, log_path, lease_s = sys.argv[1:6]

def slow(context):
    with open(log_path, "a") as log:
        log.write(f"start {holder}\\n")
    time.sleep(float(work_s))
    with open(log_path, "a") as log:
        log.write(f"done {holder}\\n")

scheduler = Scheduler(
    Database(url), [Job("slow", slow, every(3600))], holder=holder, lease_s=float(lease_s)
)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not scheduler.run_due():
    time.sleep(0.1)
"""
KILL_LEASE_S = 2.0


def start_worker(url: str, holder: str, work_s: float, log: Path) -> subprocess.Popen[bytes]:
    args = [url, holder, str(work_s), str(log), str(KILL_LEASE_S)]
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, *args], cwd=PROJECT_ROOT, env=dict(os.environ)
    )


def test_killing_a_worker_mid_job_hands_the_job_to_another(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    first = start_worker(database_url, "first", 120, log)
    try:
        wait_for(lambda: log.exists() and "start first" in log.read_text(), what="first start")
        held = job_row(db, "slow")
        assert held.holder == "first"
        wall.sleep(KILL_LEASE_S)  # it keeps renewing its lease while alive
        renewed = job_row(db, "slow")
        assert renewed.holder == "first" and renewed.lease_until > held.lease_until
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    abandoned = job_row(db, "slow")
    second = start_worker(database_url, "second", 0.5, log)
    assert second.wait(60) == 0
    assert log.read_text().splitlines() == ["start first", "start second", "done second"]
    row = job_row(db, "slow")
    assert row.runs == 1 and row.last_ok is True and row.holder is None
    assert abandoned.lease_until is not None and row.last_started is not None
    assert row.last_started > abandoned.lease_until  # taken over only once the lease expired


# --- the worker's jobs --------------------------------------------------------------------------


def test_the_embed_job_embeds_what_is_missing(db: Database) -> None:
    from paperboard.jobs.worker import embed_job
    from tests.search_corpus import EMBEDDER, load_corpus

    load_corpus(db)
    clock = FakeClock()
    scheduler = Scheduler(db, [embed_job(db, EMBEDDER, None)], holder="w", clock=clock)
    assert scheduler.run_due() == ["embed"]
    with db.read() as connection:
        assert embedding_store.count(connection, EMBEDDER.name) == 8
        assert embedding_store.count_pending(connection, EMBEDDER.name) == 0
    clock.now = at(60)
    assert scheduler.run_due() == ["embed"]  # nothing changed: a quick round
    assert job_row(db, "embed").runs == 2 and job_row(db, "embed").next_due == at(120)


def test_two_workers_send_each_digest_once(db: Database) -> None:
    from paperboard.jobs.digests import Schedule
    from paperboard.jobs.worker import digest_job
    from paperboard.mail.sender import InMemorySender
    from tests.digest_helpers import NOW, add_subscribers, load_board, mail_config

    load_board(db)
    readers = [f"reader{n}@example.org" for n in range(3)]
    add_subscribers(db, readers)
    schedule = Schedule(NOW.time(), 0)
    clock = FakeClock(NOW - timedelta(hours=1))
    senders = [InMemorySender(), InMemorySender()]
    schedulers = [
        Scheduler(
            db,
            [digest_job(db, sender, mail_config(), schedule, clock=clock)],
            holder=name,
            clock=clock,
        )
        for name, sender in zip(("a", "b"), senders, strict=True)
    ]
    step, ticks = timedelta(minutes=10), 0
    while clock.now <= NOW + timedelta(hours=2):
        ticks += len([name for s in schedulers for name in s.run_due()])
        clock.now += step
    recipients = Counter(m.recipient for sender in senders for m in sender.messages)
    # The slot before NOW (yesterday's) was never sent: the first tick sends it late, once.
    assert recipients == Counter({reader: 1 for reader in readers})
    assert ticks == job_row(db, "digests").runs == 19  # one per 10-minute step


def test_run_worker_schedules_the_syncs(
    database_url: str, tmp_path: Path, local_server: LocalServer
) -> None:
    from paperboard.config import load_settings
    from paperboard.jobs.worker import run_worker
    from paperboard.runtime import open_runtime
    from tests.command_line import environment, run

    env = environment(
        tmp_path / "data",
        database_url=database_url,
        sync_days="1",
        arxiv_api_url=local_server.url("/arxiv"),  # answers 404: the sync fails, recorded
        hf_api_url=local_server.url("/hf"),
    )
    runtime = open_runtime(load_settings(env))
    background = run_worker(runtime, embed=False)
    try:
        wait_for(
            lambda: all(runs(runtime.db, name) for name in (SYNC_HF, SYNC_ARXIV)),
            timeout=60,
            what="both syncs",
        )
    finally:
        background.shut_down()
    arxiv = job_row(runtime.db, SYNC_ARXIV)
    assert arxiv.last_ok is False and arxiv.last_error
    assert arxiv.next_due == arxiv.last_finished + timedelta(seconds=SYNC_RETRY_S)
    runtime.close()
    listed = run(tmp_path / "data", "jobs", database_url=database_url)
    assert listed.exit_code == 0, listed.output
    assert SYNC_HF in listed.output and SYNC_ARXIV in listed.output
    assert "failed" in listed.output


def test_jobs_command_before_any_worker(tmp_path: Path) -> None:
    from tests.command_line import run

    result = run(tmp_path / "data", "jobs")
    assert result.exit_code == 0, result.output
    assert "no jobs yet" in result.output
