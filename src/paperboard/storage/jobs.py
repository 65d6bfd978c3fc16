"""Leases on scheduled jobs: which worker runs a due job, and what happened last time.

Every statement that changes a lease is one conditional ``UPDATE`` whose row count says
whether it took effect, so no worker ever reads a row and then decides:

* SQLite serialises writers (``Database.write()`` begins with ``BEGIN IMMEDIATE``), so the
  condition is evaluated with no other writer in between.
* PostgreSQL takes the row lock for the ``UPDATE``; a second claimer blocks on it and, under
  READ COMMITTED, re-evaluates the ``WHERE`` on the committed row once the first commits, and
  finds the lease taken. No ``SELECT ... FOR UPDATE`` or advisory lock is needed.

Times are the workers' own clocks (passed in, so tests drive them): keep machines
NTP-synchronised; leases are minutes long, far above ordinary clock skew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.storage.schema import jobs

# Longest error text kept on a row (a traceback's last line is what matters).
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class JobRow:
    name: str
    holder: str | None
    lease_until: datetime | None
    next_due: datetime
    last_started: datetime | None
    last_finished: datetime | None
    last_ok: bool | None
    last_error: str | None
    runs: int


def ensure(connection: Connection, name: str, first_due: datetime) -> bool:
    """Create the job's row, due at ``first_due``, unless it exists (then nothing changes:
    a restarted worker must not make a job due again). True if created."""
    values = {"name": name, "next_due": first_due, "runs": 0}
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(jobs).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(jobs).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports no row count for INSERT ... ON CONFLICT here.
    created = connection.execute(statement.returning(jobs.c.name)).first()
    return created is not None


def claim(connection: Connection, name: str, holder: str, now: datetime, lease_s: float) -> bool:
    """Take the job if it is due and nobody holds a live lease on it. True if taken."""
    statement = (
        update(jobs)
        .where(
            jobs.c.name == name,
            jobs.c.next_due <= now,
            or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now),
        )
        .values(holder=holder, lease_until=now + timedelta(seconds=lease_s), last_started=now)
    )
    return connection.execute(statement).rowcount == 1


def _held_by(name: str, holder: str):  # type: ignore[no-untyped-def]
    return and_(jobs.c.name == name, jobs.c.holder == holder)


def renew(connection: Connection, name: str, holder: str, now: datetime, lease_s: float) -> bool:
    """Extend the lease to ``now + lease_s``, only while ``holder`` still holds it. True if
    extended. A lease that expired unclaimed may be extended: a claim by another worker
    would have replaced the holder, and this check is atomic with the extension."""
    statement = (
        update(jobs)
        .where(_held_by(name, holder))
        .values(lease_until=now + timedelta(seconds=lease_s))
    )
    return connection.execute(statement).rowcount == 1


def finish(
    connection: Connection,
    name: str,
    holder: str,
    now: datetime,
    *,
    ok: bool,
    error: str | None,
    next_due: datetime,
) -> bool:
    """Record the outcome and the next due time and release the lease, only if ``holder``
    still holds it: a worker whose lease was taken over records nothing (the new holder
    will). True if recorded."""
    statement = (
        update(jobs)
        .where(_held_by(name, holder))
        .values(holder=None, lease_until=None, **_outcome(now, ok, error, next_due))
    )
    return connection.execute(statement).rowcount == 1


def _outcome(
    finished: datetime, ok: bool, error: str | None, next_due: datetime
) -> dict[str, object]:
    """The columns that record a finished run."""
    return {
        "last_finished": finished,
        "last_ok": ok,
        "last_error": error[:MAX_ERROR_CHARS] if error else None,
        "next_due": next_due,
        "runs": jobs.c.runs + 1,
    }


def record_run(
    connection: Connection,
    name: str,
    started: datetime,
    finished: datetime,
    *,
    ok: bool,
    error: str | None,
    next_due: datetime,
) -> None:
    """Record a run of a shared job (one that every worker runs, with no lease): the row
    then shows the latest run of any worker, and the next due time of the one recording."""
    statement = (
        update(jobs)
        .where(jobs.c.name == name)
        .values(last_started=started, **_outcome(finished, ok, error, next_due))
    )
    connection.execute(statement)


def release(connection: Connection, name: str, holder: str) -> bool:
    """Give the lease back without recording a run (a worker stopping before it started the
    job): the job stays due, so another worker takes it at once."""
    statement = update(jobs).where(_held_by(name, holder)).values(holder=None, lease_until=None)
    return connection.execute(statement).rowcount == 1


def get(connection: Connection, name: str) -> JobRow | None:
    row = connection.execute(select(jobs).where(jobs.c.name == name)).mappings().one_or_none()
    return JobRow(**row) if row is not None else None


def list_jobs(connection: Connection) -> list[JobRow]:
    rows = connection.execute(select(jobs).order_by(jobs.c.name)).mappings()
    return [JobRow(**row) for row in rows]
