"""The schedule shared by every worker process, coordinated through the ``jobs`` table.

Any number of ``paperboard worker`` processes, on one machine or many, share only the
database. Each job has one row (storage/jobs.py) holding its next due time and a lease: a
worker runs a job only after an atomic conditional UPDATE gave it the lease, renews the lease
from a heartbeat thread while the job runs, and records the outcome and the next due time
when it ends. So a due job runs once however many workers look at it, and a job whose worker
died (kill -9, a lost machine) is taken over by another worker once the lease expires.
A *shared* job (``Job.shared``: ``embed``) is the exception: every worker runs it on its own
cadence, and the job divides its work itself (batches under leases, jobs/embed.py).

This module holds the pure due-time functions (named constants below) and the
:class:`Scheduler`; the jobs themselves (sync, embedding, digests) are built in
``jobs/worker.py``. A job that raises is recorded (``last_ok`` false, ``last_error``) and
runs again at its next due time (or after ``retry_after_s``), never in a hot loop.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from time import monotonic

from paperboard.storage import jobs as job_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

# --- job names and their cadence --------------------------------------------------------------
SYNC_HF = "sync-hf"
SYNC_ARXIV = "sync-arxiv"
EMBED = "embed"
DIGESTS = "digests"

# arXiv announces once a day and Hugging Face's board fills through the day: hourly is plenty.
SYNC_INTERVAL_S = 3600.0
# A failed sync (offline, a source down) is tried again sooner than the next hour.
SYNC_RETRY_S = 600.0
# New papers are embedded within a minute of arriving; a round with nothing to do is cheap.
EMBED_INTERVAL_S = 60.0
# Digests go out at PAPERBOARD_DIGEST_DAILY_AT, but the outbox also needs a frequent look:
# retries of temporary SMTP failures (5 min backoff at the least) and slots sent late.
DIGEST_CHECK_INTERVAL_S = 60.0

# --- leases ------------------------------------------------------------------------------------
# A worker killed mid-job holds its job this long at most; a live one renews well before.
DEFAULT_LEASE_S = 300.0
# Renewals per lease period: two heartbeats can fail (a database blip) before the lease lapses.
RENEWALS_PER_LEASE = 3
# How often an idle worker looks at the table (sooner when a job falls due before that).
POLL_INTERVAL_S = 15.0
# The shortest sleep between looks, so that no odd clock reading can make a busy loop.
MIN_SLEEP_S = 1.0
# How often the heartbeat thread notices a stopping worker (it renews less often).
HEARTBEAT_TICK_S = 1.0
# Recording a finished run is retried through a database blip: an unrecorded run is run
# again once its lease expires.
FINISH_ATTEMPTS = 3
FINISH_RETRY_S = 2.0

Clock = Callable[[], datetime]
# (the due time just run, the time it finished) -> the next due time, later than the latter.
NextDue = Callable[[datetime, datetime], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- pure due-time functions ------------------------------------------------------------------


def next_interval(previous_due: datetime, now: datetime, interval_s: float) -> datetime:
    """The first ``previous_due + k * interval`` after ``now``: the cadence stays on its grid,
    and runs missed while no worker ran collapse into one instead of running back to back."""
    step = timedelta(seconds=interval_s)
    if previous_due > now:
        return previous_due
    missed = math.floor((now - previous_due) / step)
    return previous_due + (missed + 1) * step


def every(interval_s: float) -> NextDue:
    return lambda previous_due, now: next_interval(previous_due, now, interval_s)


def next_daily(now: datetime, at: time) -> datetime:
    """The first ``at`` (UTC time of day) strictly after ``now``."""
    now = now.astimezone(UTC)
    today = datetime.combine(now.date(), at, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


def next_weekly(now: datetime, at: time, weekday: int) -> datetime:
    """The first ``at`` on ``weekday`` (0 = Monday) strictly after ``now``."""
    candidate = next_daily(now, at)
    return candidate + timedelta(days=(weekday - candidate.weekday()) % 7)


def next_digest_due(now: datetime, send_at: time, weekly_day: int) -> datetime:
    """Digests: on the dot of the next daily or weekly send time, and in between every
    ``DIGEST_CHECK_INTERVAL_S`` for retries (jobs/digests.py decides what is due)."""
    slot = min(next_daily(now, send_at), next_weekly(now, send_at, weekly_day))
    return min(slot, now + timedelta(seconds=DIGEST_CHECK_INTERVAL_S))


# --- jobs ---------------------------------------------------------------------------------------


class JobInterrupted(Exception):
    """Raised by a job that stopped early because the worker is stopping: its lease is given
    back and it stays due, so another worker takes it over at once."""


@dataclass
class JobContext:
    """What a running job may look at."""

    name: str
    holder: str
    due: datetime  # the due time this run serves
    started: datetime
    # Set when the worker stops or the lease was lost (another worker took the job over):
    # a long job checks it between steps and stops early.
    stop: threading.Event = field(default_factory=threading.Event)
    lease_lost: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[JobContext], object]
    next_due: NextDue
    # When a job never run before is first due (default: at once).
    first_due: Callable[[datetime], datetime] = lambda now: now
    # After a failure, run again at most this long after (default: at the next due time).
    retry_after_s: float | None = None
    # Run by every scheduler on its own cadence, with no job lease: for a job that shares its
    # work out itself (``embed`` claims batches), so that every process adds capacity.
    shared: bool = False


def new_holder() -> str:
    """A name for this worker process, unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Scheduler:
    """Runs ``jobs`` when due, coordinating with every other scheduler on the same database.

    ``run_due()`` makes one synchronous pass (tests drive it with a fake ``clock``);
    ``start()`` gives each job its own thread, so a long job (a full embedding backfill)
    never delays another (the daily digest).
    """

    def __init__(
        self,
        db: Database,
        jobs: Sequence[Job],
        *,
        holder: str | None = None,
        clock: Clock = utcnow,
        lease_s: float = DEFAULT_LEASE_S,
        poll_s: float = POLL_INTERVAL_S,
        stop: threading.Event | None = None,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.db = db
        self.jobs = list(jobs)
        self.holder = holder or new_holder()
        self.clock = clock
        self.lease_s = lease_s
        self.renew_every_s = lease_s / RENEWALS_PER_LEASE
        self.poll_s = poll_s
        self.stop = stop or threading.Event()
        self._ensured = False
        # When each shared job is next due in this process (they have no common due time).
        self._shared_due: dict[str, datetime] = {}

    # --- one pass ---------------------------------------------------------------------------
    def ensure(self) -> None:
        """Create the rows of jobs never seen before (existing rows keep their due times)."""
        if self._ensured:
            return
        now = self.clock()
        for job in self.jobs:
            with self.db.write() as connection:
                job_store.ensure(connection, job.name, job.first_due(now))
        self._ensured = True

    def run_due(self) -> list[str]:
        """Run, one after another, every job that is due and free; return their names."""
        self.ensure()
        return [job.name for job in self.jobs if not self.stop.is_set() and self.run_if_due(job)]

    def run_if_due(self, job: Job) -> bool:
        """Claim ``job`` if it is due and free, run it, record the outcome. True if it ran."""
        if job.shared:
            return self._run_shared(job)
        now = self.clock()
        with self.db.read() as connection:
            row = job_store.get(connection, job.name)
        # A read first: most looks find nothing due, and need no write lock (SQLite).
        if row is None or not _claimable(row, now):
            return False
        with self.db.write() as connection:
            if not job_store.claim(connection, job.name, self.holder, now, self.lease_s):
                return False  # another worker was quicker
            # Read again under the lease: another worker may have run it since the first read.
            row = job_store.get(connection, job.name)
        assert row is not None
        context = JobContext(job.name, self.holder, due=row.next_due, started=now)
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat,
            args=(job.name, context, done),
            name=f"paperboard-lease-{job.name}",
            daemon=True,
        )
        heartbeat.start()
        ok, error = True, None
        try:
            job.run(context)
        except JobInterrupted:
            self._release(job.name)
            return False
        except Exception as exc:  # recorded on the row; the job runs again when next due
            log.exception("job %s failed", job.name)
            ok, error = False, f"{type(exc).__name__}: {exc}"
        finally:
            done.set()
            heartbeat.join()
        self._finish(job, row.next_due, ok=ok, error=error)
        return True

    def _run_shared(self, job: Job) -> bool:
        """Run a shared job if it is due in this process; record its outcome on its row for
        ``paperboard jobs`` and ``/metrics`` (last run of any process). True if it ran."""
        now = self.clock()
        due = self._shared_due.setdefault(job.name, job.first_due(now))
        if due > now:
            return False
        context = JobContext(job.name, self.holder, due=due, started=now, stop=self.stop)
        ok, error = True, None
        try:
            job.run(context)
        except JobInterrupted:
            return False  # the process is stopping; the others carry on
        except Exception as exc:
            log.exception("job %s failed", job.name)
            ok, error = False, f"{type(exc).__name__}: {exc}"
        finished = self.clock()
        self._shared_due[job.name] = _next_due(job, due, finished, ok=ok)
        with self.db.write() as connection:
            job_store.record_run(
                connection,
                job.name,
                now,
                finished,
                ok=ok,
                error=error,
                next_due=self._shared_due[job.name],
            )
        return True

    def _finish(self, job: Job, due: datetime, *, ok: bool, error: str | None) -> None:
        finished = self.clock()
        next_due = _next_due(job, due, finished, ok=ok)
        for attempt in range(1, FINISH_ATTEMPTS + 1):
            try:
                with self.db.write() as connection:
                    recorded = job_store.finish(
                        connection,
                        job.name,
                        self.holder,
                        finished,
                        ok=ok,
                        error=error,
                        next_due=next_due,
                    )
                break
            except Exception:
                if attempt == FINISH_ATTEMPTS or self.stop.wait(FINISH_RETRY_S):
                    raise  # the lease expires, and the job runs again: at least once
                log.warning("job %s: recording the outcome failed; retrying", job.name)
        if not recorded:
            log.warning("job %s: the lease was lost mid-run; its outcome is not recorded", job.name)

    def _release(self, name: str) -> None:
        with self.db.write() as connection:
            job_store.release(connection, name, self.holder)

    def _heartbeat(self, name: str, context: JobContext, done: threading.Event) -> None:
        """Renew the lease every ``renew_every_s`` until the job is done; tell the job to stop
        when the worker stops or the lease is lost."""
        last_renewal = monotonic()
        while not done.wait(min(HEARTBEAT_TICK_S, self.renew_every_s)):
            if self.stop.is_set():
                context.stop.set()
            if monotonic() - last_renewal < self.renew_every_s:
                continue
            try:
                with self.db.write() as connection:
                    held = job_store.renew(
                        connection, name, self.holder, self.clock(), self.lease_s
                    )
            except Exception:  # the database may be back before the lease runs out
                log.exception("job %s: renewing the lease failed", name)
                continue
            last_renewal = monotonic()
            if not held:
                log.warning("job %s: the lease was taken over; stopping this run", name)
                context.lease_lost.set()
                context.stop.set()
                return

    # --- running in the background ------------------------------------------------------------
    def start(self) -> list[threading.Thread]:
        """One daemon thread per job, until ``stop`` is set."""
        threads = [
            threading.Thread(
                target=self._loop, args=(job,), name=f"paperboard-job-{job.name}", daemon=True
            )
            for job in self.jobs
        ]
        for thread in threads:
            thread.start()
        return threads

    def _loop(self, job: Job) -> None:
        while not self.stop.is_set():
            try:
                self.ensure()
                self.run_if_due(job)
                sleep_s = self._sleep_s(job)
            except Exception:  # e.g. the database is unreachable: look again later
                log.exception("scheduler: job %s could not be checked", job.name)
                sleep_s = self.poll_s
            self.stop.wait(sleep_s)

    def _sleep_s(self, job: Job) -> float:
        """Until the job falls due, or its lease runs out (then another worker may have
        died), but at most ``poll_s``: other workers may have moved the due time."""
        now = self.clock()
        if job.shared:
            wake = self._shared_due.get(job.name, now)
            return min(max((wake - now).total_seconds(), MIN_SLEEP_S), self.poll_s)
        with self.db.read() as connection:
            row = job_store.get(connection, job.name)
        if row is None:
            return self.poll_s
        wake = row.next_due
        if row.lease_until is not None and row.lease_until >= now:
            wake = max(wake, row.lease_until)
        return min(max((wake - now).total_seconds(), MIN_SLEEP_S), self.poll_s)


def _next_due(job: Job, due: datetime, finished: datetime, *, ok: bool) -> datetime:
    next_due = job.next_due(due, finished)
    if not ok and job.retry_after_s is not None:
        next_due = min(next_due, finished + timedelta(seconds=job.retry_after_s))
    return next_due


def _claimable(row: job_store.JobRow, now: datetime) -> bool:
    # The same test as storage.jobs.claim, which repeats it atomically.
    return row.next_due <= now and (row.lease_until is None or row.lease_until < now)
