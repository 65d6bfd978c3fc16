"""The digest outbox: one row per (subscriber, period), created before anything is sent.

States::

    pending --claim (lease)--> pending+lease --mark_sending--> sending --mark_sent--> sent
       ^                            |                             |
       +------ mark_retry ----------+ (4xx, connection)           +-- 4xx to the dot: retry
       |                            +-- skipped (unsubscribed,    +-- 5xx to the dot: failed
       |                            |   nothing matched)          +-- no reply, or the run
       +-- (lease expired) ---------+-- failed (5xx: bounced;         died: uncertain
                                        or retries exhausted)

* Claiming sets ``lease_owner``/``lease_until`` on a batch (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite serialises writers). A run that dies leaves its leases to expire; then
  any run may claim the rows again.
* ``mark_sending`` is committed right before the message's final ``.`` goes to the SMTP
  server, and only if this run still holds the lease (a fence: a run whose lease expired and
  was taken over sends nothing). ``mark_sent`` is committed right after the server's reply.
* A row found in ``sending`` with an expired lease belonged to a run that died between those
  two commits: the server has (almost certainly) taken the message, so it is *not* resent;
  it becomes ``uncertain`` and is reported. This is the at-most-once window (delivery.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.domain.topics import Topics
from paperboard.storage.database import Database
from paperboard.storage.schema import digest_outbox, subscribers
from paperboard.storage.subscriptions import CONFIRMED, topics_of

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"
UNCERTAIN = "uncertain"
STATES = (PENDING, SENDING, SENT, SKIPPED, FAILED, UNCERTAIN)
# Longest error text kept on a row (SMTP replies can be long).
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """An outbox row claimed by a run, with what is needed to compose its message."""

    id: int
    subscriber_id: int
    frequency: str
    period: str
    attempts: int
    created_at: datetime
    email: str
    subscriber_status: str
    subscriber_frequency: str
    topics: Topics


class Writer:
    """One connection kept by a sending run (or a worker of one) for its per-message writes.

    ``Database.write()`` checks a connection out of the pool for each transaction; a run
    commits twice per message, and the check-out cost more than the SQL. A connection
    outside a transaction holds no lock, so keeping it between messages blocks no one. After
    an error the connection is dropped; the next write opens a fresh one.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection: Connection | None = None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if self._connection is None:
            # As Database.write(): SQLite takes the write lock up front (BEGIN IMMEDIATE).
            self._connection = self._db.engine.connect().execution_options(sqlite_immediate=True)
        try:
            with self._connection.begin():
                yield self._connection
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def enqueue(connection: Connection, frequency: str, period: str, now: datetime) -> int:
    """Create a pending row for every confirmed subscriber of ``frequency`` that has none for
    ``period`` yet. Idempotent; returns how many rows were created."""
    constants = {
        "frequency": frequency,
        "period": period,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    # Typed literals, so that the UTC column type binds the datetimes as it does elsewhere.
    source = select(
        subscribers.c.id,
        *(
            literal(value, digest_outbox.c[name].type).label(name)
            for name, value in constants.items()
        ),
    ).where(subscribers.c.status == CONFIRMED, subscribers.c.frequency == frequency)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(digest_outbox)
        .from_select(["subscriber_id", *constants], source)
        .on_conflict_do_nothing(index_elements=["subscriber_id", "frequency", "period"])
        # rowcount of INSERT ... SELECT is not reported by every driver (psycopg: -1).
        .returning(digest_outbox.c.id)
    )
    return len(connection.execute(statement).all())


def recover_stale(connection: Connection, now: datetime) -> int:
    """Rows left in ``sending`` by a run that died: ``uncertain``, never resent."""
    result = connection.execute(
        update(digest_outbox)
        .where(digest_outbox.c.state == SENDING, digest_outbox.c.lease_until < now)
        .values(
            state=UNCERTAIN,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
            last_error="the sending run stopped after handing the message to the mail server; "
            "not resent (it was most likely delivered)",
        )
    )
    return result.rowcount or 0


def claim(
    connection: Connection,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    frequency: str | None = None,
) -> list[ClaimedRow]:
    """Lease up to ``limit`` due pending rows to ``owner`` (oldest first)."""
    due = (
        select(digest_outbox.c.id)
        .where(
            digest_outbox.c.state == PENDING,
            digest_outbox.c.next_attempt_at <= now,
            or_(digest_outbox.c.lease_until.is_(None), digest_outbox.c.lease_until < now),
        )
        .order_by(digest_outbox.c.id)
        .limit(limit)
    )
    if frequency is not None:
        due = due.where(digest_outbox.c.frequency == frequency)
    if connection.dialect.name == "postgresql":
        # Concurrent runs on several machines take disjoint batches instead of waiting.
        due = due.with_for_update(skip_locked=True)
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    connection.execute(
        update(digest_outbox)
        .where(digest_outbox.c.id.in_(ids))
        .values(lease_owner=owner, lease_until=now + lease, updated_at=now)
    )
    query = (
        select(
            digest_outbox.c.id,
            digest_outbox.c.subscriber_id,
            digest_outbox.c.frequency,
            digest_outbox.c.period,
            digest_outbox.c.attempts,
            digest_outbox.c.created_at,
            subscribers.c.email,
            subscribers.c.status,
            subscribers.c.frequency.label("subscriber_frequency"),
            subscribers.c.categories,
            subscribers.c.keywords,
            subscribers.c.interest,
        )
        .join(subscribers, subscribers.c.id == digest_outbox.c.subscriber_id)
        .where(digest_outbox.c.id.in_(ids))
        .order_by(digest_outbox.c.id)
    )
    return [
        ClaimedRow(
            id=row.id,
            subscriber_id=row.subscriber_id,
            frequency=row.frequency,
            period=row.period,
            attempts=row.attempts,
            created_at=row.created_at,
            email=row.email,
            subscriber_status=row.status,
            subscriber_frequency=row.subscriber_frequency,
            topics=topics_of(row._mapping),
        )
        for row in connection.execute(query)
    ]


def _owned(row_id: int, owner: str, *states: str) -> Any:
    return and_(
        digest_outbox.c.id == row_id,
        digest_outbox.c.lease_owner == owner,
        digest_outbox.c.state.in_(states),
    )


# The two statements every message runs are built once: constructing a statement costs more
# than executing it on SQLite (the 100k-subscriber benchmark spent more time there than in SQL).
_MARK_SENDING = (
    update(digest_outbox)
    .where(
        digest_outbox.c.id == bindparam("row_id"),
        digest_outbox.c.lease_owner == bindparam("owner"),
        digest_outbox.c.state == PENDING,
    )
    .values(state=SENDING, lease_until=bindparam("until"), updated_at=bindparam("now"))
)
_MARK_SENT = (
    update(digest_outbox)
    .where(
        digest_outbox.c.id == bindparam("row_id"),
        digest_outbox.c.lease_owner == bindparam("owner"),
        # UNCERTAIN too: a slow run whose lease ran out may have been marked so by another.
        digest_outbox.c.state.in_([SENDING, UNCERTAIN]),
    )
    .values(
        state=SENT,
        sent_at=bindparam("now"),
        attempts=digest_outbox.c.attempts + 1,
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("now"),
        last_error=None,
    )
)


def mark_sending(
    connection: Connection, row_id: int, owner: str, now: datetime, lease: timedelta
) -> bool:
    """The message is about to become the server's. False: the lease was lost, do not send."""
    parameters = {"row_id": row_id, "owner": owner, "until": now + lease, "now": now}
    return connection.execute(_MARK_SENDING, parameters).rowcount == 1


def mark_sent(connection: Connection, row_id: int, owner: str, now: datetime) -> None:
    connection.execute(_MARK_SENT, {"row_id": row_id, "owner": owner, "now": now})


def _finish(connection: Connection, row_id: int, owner: str, now: datetime, **values: Any) -> None:
    if values.get("last_error"):
        values["last_error"] = values["last_error"][:MAX_ERROR_CHARS]
    connection.execute(
        update(digest_outbox)
        .where(_owned(row_id, owner, PENDING, SENDING))
        .values(lease_owner=None, lease_until=None, updated_at=now, **values)
    )


def mark_retry(
    connection: Connection, row_id: int, owner: str, now: datetime, at: datetime, error: str
) -> None:
    _finish(
        connection,
        row_id,
        owner,
        now,
        state=PENDING,
        attempts=digest_outbox.c.attempts + 1,
        next_attempt_at=at,
        last_error=error,
    )


def mark_failed(connection: Connection, row_id: int, owner: str, now: datetime, error: str) -> None:
    _finish(
        connection,
        row_id,
        owner,
        now,
        state=FAILED,
        attempts=digest_outbox.c.attempts + 1,
        last_error=error,
    )


def mark_skipped(
    connection: Connection, row_id: int, owner: str, now: datetime, reason: str
) -> None:
    _finish(connection, row_id, owner, now, state=SKIPPED, last_error=reason)


def mark_uncertain(
    connection: Connection, row_id: int, owner: str, now: datetime, error: str
) -> None:
    _finish(
        connection,
        row_id,
        owner,
        now,
        state=UNCERTAIN,
        attempts=digest_outbox.c.attempts + 1,
        last_error=error,
    )


def release(connection: Connection, row_ids: list[int], owner: str, now: datetime) -> None:
    """Give claimed rows back untouched (a run that stops early)."""
    if row_ids:
        connection.execute(
            update(digest_outbox)
            .where(
                digest_outbox.c.id.in_(row_ids),
                digest_outbox.c.lease_owner == owner,
                digest_outbox.c.state == PENDING,
            )
            .values(lease_owner=None, lease_until=None, updated_at=now)
        )


def counts(
    connection: Connection, *, frequency: str | None = None, period: str | None = None
) -> dict[str, int]:
    query = select(digest_outbox.c.state, func.count()).group_by(digest_outbox.c.state)
    if frequency is not None:
        query = query.where(digest_outbox.c.frequency == frequency)
    if period is not None:
        query = query.where(digest_outbox.c.period == period)
    return {state: count for state, count in connection.execute(query)}


def rows_for(connection: Connection, subscriber_id: int) -> list[dict[str, Any]]:
    """A subscriber's outbox rows (tests, support)."""
    query = (
        select(digest_outbox)
        .where(digest_outbox.c.subscriber_id == subscriber_id)
        .order_by(digest_outbox.c.id)
    )
    return [dict(row._mapping) for row in connection.execute(query)]
