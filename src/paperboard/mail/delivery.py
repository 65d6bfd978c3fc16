"""Digest runs: enqueue a period in the outbox, then claim, send and record, batch by batch.

Guarantees, and the one window where they are weaker
----------------------------------------------------
* Enqueueing creates one row per (subscriber, period) (a unique constraint), before any mail
  goes out, so a rerun finds every address of the period, sent or not.
* A message is sent only by the run holding its row's lease, and only after that run
  committed ``sending`` (a fenced update: a run whose lease was taken over sends nothing).
* ``sending`` is committed immediately before the SMTP DATA's final ``.``; ``sent`` right
  after the server's 250 reply. A run killed at any point before the ``sending`` commit
  leaves a ``pending`` row (the server discards a transaction without its dot), which a
  rerun sends once the lease expires: nothing is skipped. A run killed after it leaves a
  ``sending`` row, which a rerun marks ``uncertain`` and does *not* resend: nothing is sent
  twice.
* The remaining at-most-once window: a kill after the ``sending`` commit returns and before
  the final dot reaches the socket (a few microseconds: no I/O in between) leaves a row
  that looks handed over but was not; that address misses this one digest and the run
  report counts it as ``uncertain``. Likewise a connection that breaks after the dot but
  before the reply is not retried (RFC 1047: the server usually delivered). We prefer this
  to at-least-once because a duplicate cannot be taken back; the Message-ID is the same on
  every attempt so mailbox providers that collapse duplicates would hide one anyway.
* Temporary failures (4xx, refused or broken connections) retry with exponential backoff
  (``next_attempt_at``) up to ``MAX_ATTEMPTS``; permanent ones (5xx) fail the row and mark
  the address bounced, so it is never mailed again until its owner subscribes anew.
"""

from __future__ import annotations

import copy
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta

from paperboard import boards
from paperboard.domain.periods import Period, parse_day, parse_week
from paperboard.mail.compose import Composer, MailConfig
from paperboard.mail.digest import (
    DAILY,
    DIGEST_SIZE,
    WEEKLY,
    PeriodDigest,
    TopicMatcher,
    digest_paper,
    last_complete_week,
)
from paperboard.mail.message import OutgoingMessage
from paperboard.mail.sender import (
    MailSender,
    MailSession,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
)
from paperboard.storage import board as board_store
from paperboard.storage import outbox as store
from paperboard.storage import subscriptions as subscriber_store
from paperboard.storage.database import Database
from paperboard.storage.outbox import ClaimedRow

log = logging.getLogger(__name__)

# Messages claimed (leased) at once and sent over one SMTP connection.
BATCH_SIZE = 200
# SMTP connections a scheduled or command-line run uses at once: enough to overlap one
# message's round trips with the next one's rendering, few enough for any mail relay.
DEFAULT_CONNECTIONS = 2
# How long a claim holds: far longer than a batch takes (~0.5 s on loopback, ~1 min over a
# slow link), short enough that a crashed run's rows are picked up by the next scheduled run.
LEASE = timedelta(minutes=5)
# Temporary failures wait 5, 10, 20, 40, 80 minutes (capped at 2 hours), then give up.
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=2)
MAX_ATTEMPTS = 6
# A digest that could not go out within this long after its period was enqueued is stale.
MAX_DELAY = {DAILY: timedelta(hours=20), WEEKLY: timedelta(days=3)}


def retry_delay(failed_attempts: int) -> timedelta:
    """Backoff after the n-th failed attempt (1-based): RETRY_BASE * 2^(n-1), capped."""
    return min(RETRY_BASE * (2 ** max(failed_attempts - 1, 0)), RETRY_CAP)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunReport:
    enqueued: int = 0
    sent: int = 0
    skipped: int = 0  # unsubscribed since, or no paper matched the topics
    retrying: int = 0  # temporary failure: pending again, with backoff
    bounced: int = 0  # permanent failure: the address is marked bounced
    failed: int = 0  # gave up (retries exhausted, or too late for the period)
    uncertain: int = 0  # handed to the server, no reply (not resent)
    recovered: int = 0  # rows of an earlier, crashed run found "sending" (now uncertain)
    lost_leases: int = 0  # rows another run took over while this one was slow
    stopped: str | None = None  # why the run ended early (mail server unavailable)
    skip_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return self.retrying + self.bounced + self.failed

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"failures": self.failures}

    def add(self, other: RunReport) -> None:
        """Fold in the report of a parallel worker of the same run."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, int):
                setattr(self, item.name, mine + theirs)
        self.stopped = self.stopped or other.stopped
        for reason, count in other.skip_reasons.items():
            self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + count

    def summary(self) -> str:
        text = (
            f"{self.sent} sent, {self.skipped} skipped, {self.failures} failed "
            f"({self.retrying} will retry, {self.bounced} bounced, {self.failed} gave up)"
        )
        if self.uncertain or self.recovered:
            text += f", {self.uncertain + self.recovered} uncertain (not resent)"
        if self.stopped:
            text += f"; stopped early: {self.stopped}"
        return text


def period_from_key(frequency: str, key: str) -> Period:
    return parse_day(key) if frequency == DAILY else parse_week(key)


def default_period(db: Database, frequency: str, today: date) -> Period | None:
    """Daily: the latest board day before ``today`` (a complete day; None if there is none).
    Weekly: the last complete ISO week."""
    if frequency != DAILY:
        return last_complete_week(today)
    with db.read() as connection:
        day = board_store.latest_day(connection, on_or_before=today - timedelta(days=1))
    return parse_day(day.isoformat()) if day else None


def load_period(
    db: Database,
    frequency: str,
    period: Period,
    matcher: TopicMatcher | None = None,
    size: int = DIGEST_SIZE,
) -> PeriodDigest:
    """The period's board, ranked as the board page ranks it (boards.board)."""
    entries = boards.board(db, period).entries
    return PeriodDigest(frequency, period, [digest_paper(e) for e in entries], matcher, size)


class _LeaseLost(Exception):
    pass


def _owner_id() -> str:
    """Names a run (or a worker of one) in ``lease_owner``: host, process, random."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


class DigestRun:
    """One run's state: its lease owner id, loaded periods, composer and report."""

    def __init__(
        self,
        db: Database,
        sender: MailSender,
        config: MailConfig,
        *,
        matcher: TopicMatcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = BATCH_SIZE,
        lease: timedelta = LEASE,
        size: int = DIGEST_SIZE,
    ) -> None:
        self.db = db
        self.sender = sender
        self.composer = Composer(config)
        self.matcher = matcher
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.size = size
        self.owner = _owner_id()
        self.report = RunReport()
        self._writer = store.Writer(db)
        self._periods: dict[tuple[str, str], PeriodDigest] = {}
        self._periods_lock = threading.Lock()

    # --- periods -------------------------------------------------------------------------------

    def period_digest(self, frequency: str, key: str) -> PeriodDigest:
        with self._periods_lock:  # parallel workers share one loaded period
            found = self._periods.get((frequency, key))
            if found is None:
                period = period_from_key(frequency, key)
                found = load_period(self.db, frequency, period, self.matcher, self.size)
                self._periods[(frequency, key)] = found
        return found

    def enqueue(self, frequency: str, period: Period) -> int:
        """Rows for every confirmed subscriber of ``frequency``; none for an empty period."""
        if self.period_digest(frequency, period.key).is_empty:
            return 0
        with self.db.write() as connection:
            created = store.enqueue(connection, frequency, period.key, self.clock())
        self.report.enqueued += created
        return created

    # --- sending -------------------------------------------------------------------------------

    def deliver(
        self, *, frequency: str | None = None, limit: int | None = None, connections: int = 1
    ) -> RunReport:
        """Send every due row (of ``frequency``), batch by batch, until none is left, the mail
        server is unavailable, or ``limit`` rows were claimed.

        ``connections`` > 1 sends over that many SMTP connections at once, each in a thread
        with its own batches and lease owner: a round trip to the server then overlaps with
        rendering the next message (SMTP without PIPELINING is four round trips a message).
        """
        with self.db.write() as connection:
            self.report.recovered += store.recover_stale(connection, self.clock())
        if connections <= 1:
            try:
                self._deliver_batches(frequency, limit)
            finally:
                self._writer.close()
            return self.report
        if limit is not None:
            raise ValueError("limit applies to a run over one connection")
        workers = [self._worker() for _ in range(connections)]
        threads = [threading.Thread(target=w._run, args=(frequency,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for worker in workers:
            self.report.add(worker.report)
        return self.report

    def _worker(self) -> DigestRun:
        """A worker of this run: its own lease owner and report; periods and templates shared."""
        worker = copy.copy(self)
        worker.owner = _owner_id()
        worker.report = RunReport()
        worker._writer = store.Writer(self.db)
        return worker

    def _run(self, frequency: str | None) -> None:
        try:
            self._deliver_batches(frequency, None)
        finally:
            self._writer.close()

    def _deliver_batches(self, frequency: str | None, limit: int | None) -> None:
        claimed = 0
        while limit is None or claimed < limit:
            size = self.batch_size if limit is None else min(self.batch_size, limit - claimed)
            with self._writer.write() as connection:
                rows = store.claim(
                    connection, self.owner, self.clock(), self.lease, size, frequency=frequency
                )
            if not rows:
                return
            claimed += len(rows)
            if not self._deliver_batch(rows):
                return

    def _skip(self, row: ClaimedRow, reason: str) -> None:
        with self._writer.write() as connection:
            store.mark_skipped(connection, row.id, self.owner, self.clock(), reason)
        self.report.skipped += 1
        self.report.skip_reasons[reason] = self.report.skip_reasons.get(reason, 0) + 1

    def compose(self, row: ClaimedRow) -> OutgoingMessage | None:
        """The row's message, or None when the row was settled without one."""
        if row.subscriber_status != subscriber_store.CONFIRMED:
            self._skip(row, row.subscriber_status)
            return None
        if row.subscriber_frequency != row.frequency:
            self._skip(row, f"changed to {row.subscriber_frequency}")
            return None
        if self.clock() - row.created_at > MAX_DELAY.get(row.frequency, MAX_DELAY[DAILY]):
            with self._writer.write() as connection:
                store.mark_failed(connection, row.id, self.owner, self.clock(), "too late")
            self.report.failed += 1
            return None
        digest = self.period_digest(row.frequency, row.period)
        selection = digest.select(row.topics)
        if not selection:
            self._skip(row, "no papers on the topics")
            return None
        return self.composer.digest(
            digest,
            selection,
            subscriber_id=row.subscriber_id,
            email=row.email,
            topics=row.topics,
            now=self.clock(),
        )

    def _deliver_batch(self, rows: list[ClaimedRow]) -> bool:
        """False when the mail server is unavailable (the rest of the batch will retry)."""
        with self.sender.session() as session:
            for index, row in enumerate(rows):
                message = self.compose(row)
                if message is None:
                    continue
                error = self._send(session, row, message)
                if error is not None:
                    self.report.stopped = f"mail server unavailable: {error}"
                    for rest in rows[index + 1 :]:
                        self._retry(rest, f"not attempted: {error}")
                    return False
        return True

    def _send(self, session: MailSession, row: ClaimedRow, message: OutgoingMessage) -> str | None:
        """Send one row's message and record the outcome; the error text when the server is
        unavailable (after one fresh connection was tried)."""
        handed_over = False

        def handing_over() -> None:
            nonlocal handed_over
            with self._writer.write() as connection:
                if not store.mark_sending(connection, row.id, self.owner, self.clock(), self.lease):
                    raise _LeaseLost
            handed_over = True

        for attempt in (1, 2):
            try:
                session.send(message, handing_over)
            except _LeaseLost:
                self.report.lost_leases += 1
                return None
            except TemporaryFailure as exc:
                if exc.connection and attempt == 1 and not handed_over:
                    continue  # the server may have hung up an idle or full connection
                # Refused (4xx), also after the final dot: the server did not take it.
                self._retry(row, str(exc))
                return str(exc) if exc.connection and not handed_over else None
            except PermanentFailure as exc:
                with self._writer.write() as connection:
                    now = self.clock()
                    store.mark_failed(connection, row.id, self.owner, now, str(exc))
                    subscriber_store.mark_bounced(connection, row.subscriber_id, str(exc), now)
                self.report.bounced += 1
                log.warning("digest to subscriber %s bounced: %s", row.subscriber_id, exc)
                return None
            except UncertainDelivery as exc:
                with self._writer.write() as connection:
                    store.mark_uncertain(connection, row.id, self.owner, self.clock(), str(exc))
                self.report.uncertain += 1
                return None
            with self._writer.write() as connection:
                store.mark_sent(connection, row.id, self.owner, self.clock())
            self.report.sent += 1
            return None
        return None  # not reached: the second attempt returns

    def _retry(self, row: ClaimedRow, error: str) -> None:
        failed_attempts = row.attempts + 1
        now = self.clock()
        with self._writer.write() as connection:
            if failed_attempts >= MAX_ATTEMPTS:
                store.mark_failed(
                    connection, row.id, self.owner, now, f"gave up after {failed_attempts}: {error}"
                )
                self.report.failed += 1
            else:
                at = now + retry_delay(failed_attempts)
                store.mark_retry(connection, row.id, self.owner, now, at, error)
                self.report.retrying += 1


def run_digest(
    db: Database,
    sender: MailSender,
    config: MailConfig,
    frequency: str,
    period: Period | None,
    **options: object,
) -> RunReport:
    """Enqueue ``period`` (None: only retries are due) and deliver every due row of
    ``frequency``."""
    connections = int(options.pop("connections", 1))  # type: ignore[call-overload]
    run = DigestRun(db, sender, config, **options)  # type: ignore[arg-type]
    if period is not None:
        run.enqueue(frequency, period)
    return run.deliver(frequency=frequency, connections=connections)
