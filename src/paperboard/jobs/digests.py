"""The digest schedule: which digests are due at a given UTC time, and the worker's tick.

Daily digests go out every day at ``PAPERBOARD_DIGEST_DAILY_AT`` (UTC) with the latest
complete board day; weekly ones on ``PAPERBOARD_DIGEST_WEEKLY_DAY`` at the same time with the
previous ISO week. The worker's ``digests`` job (jobs/worker.py, one worker at a time) calls
:func:`tick` at each send time and every minute in between: a slot missed while no worker ran
is sent late (only the latest slot; a week-old daily is not worth sending), and enqueueing is
idempotent, so even two ticks at once send nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from paperboard.config import Settings
from paperboard.config.values import WEEKDAYS
from paperboard.mail.compose import MailConfig
from paperboard.mail.delivery import DEFAULT_CONNECTIONS, DigestRun, RunReport, default_period
from paperboard.mail.digest import FREQUENCIES, WEEKLY, TopicMatcher
from paperboard.mail.sender import MailSender
from paperboard.storage import state
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

_STATE_KEY = "digest:last_slot:{frequency}"


@dataclass(frozen=True)
class Schedule:
    send_at: time  # UTC, for both frequencies
    weekly_day: int  # 0 = Monday, as date.weekday()

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        return cls(settings.digest_daily_at, WEEKDAYS.index(settings.digest_weekly_day))


@dataclass(frozen=True, slots=True)
class DueDigest:
    frequency: str
    slot: date  # the day of the scheduled send


def latest_slot(frequency: str, now: datetime, schedule: Schedule) -> date:
    """The day of the most recent scheduled send at or before ``now`` (UTC)."""
    now = now.astimezone(UTC)
    day = now.date() if now.time() >= schedule.send_at else now.date() - timedelta(days=1)
    if frequency == WEEKLY:
        day -= timedelta(days=(day.weekday() - schedule.weekly_day) % 7)
    return day


def due_digests(
    now: datetime, schedule: Schedule, last_slots: Mapping[str, date | None]
) -> list[DueDigest]:
    """Pure: the digests whose latest slot has not been sent (``last_slots``: per frequency,
    the slot sent last, None if never)."""
    due = []
    for frequency in FREQUENCIES:
        slot = latest_slot(frequency, now, schedule)
        last = last_slots.get(frequency)
        if last is None or last < slot:
            due.append(DueDigest(frequency, slot))
    return due


def _last_slots(db: Database) -> dict[str, date | None]:
    with db.read() as connection:
        values = {f: state.get(connection, _STATE_KEY.format(frequency=f)) for f in FREQUENCIES}
    return {f: date.fromisoformat(v) if v else None for f, v in values.items()}


def tick(
    db: Database,
    sender: MailSender,
    config: MailConfig,
    schedule: Schedule,
    *,
    now: datetime | None = None,
    matcher: TopicMatcher | None = None,
) -> RunReport:
    """Enqueue every due digest, then deliver everything due (new rows and retries)."""
    moment = now or datetime.now(UTC)
    run = DigestRun(db, sender, config, matcher=matcher, clock=lambda: now or datetime.now(UTC))
    for due in due_digests(moment, schedule, _last_slots(db)):
        period = default_period(db, due.frequency, due.slot)
        created = run.enqueue(due.frequency, period) if period else 0
        with db.write() as connection:
            state.put(connection, _STATE_KEY.format(frequency=due.frequency), due.slot.isoformat())
        log.info(
            "%s digest of %s: %d enqueued",
            due.frequency,
            period.key if period else "no board",
            created,
        )
    report = run.deliver(connections=DEFAULT_CONNECTIONS)
    if report.sent or report.failures or report.uncertain or report.recovered:
        log.info("digests: %s", report.summary())
    return report
