"""Digest subscribers: one row per mailbox, with its frequency, topics and status.

Status moves: (new) -> pending -> confirmed -> unsubscribed | bounced; an unsubscribed or
bounced address may subscribe again (pending again, or confirmed through a manage link).
Only confirmed rows are ever enqueued for a digest (storage/outbox.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.domain.topics import Topics
from paperboard.storage.schema import subscribers

PENDING = "pending"
CONFIRMED = "confirmed"
UNSUBSCRIBED = "unsubscribed"
BOUNCED = "bounced"
STATUSES = (PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCED)


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    frequency: str
    topics: Topics
    status: str
    created_at: datetime
    updated_at: datetime
    confirmation_sent_at: datetime | None
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    bounce_reason: str | None

    @property
    def is_confirmed(self) -> bool:
        return self.status == CONFIRMED


def topics_of(data: Any) -> Topics:
    return Topics(tuple(data["categories"]), tuple(data["keywords"]), data["interest"])


def _subscriber(row: Any) -> Subscriber:
    data = row._mapping
    return Subscriber(
        id=data["id"],
        email=data["email"],
        frequency=data["frequency"],
        topics=topics_of(data),
        status=data["status"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        confirmation_sent_at=data["confirmation_sent_at"],
        confirmed_at=data["confirmed_at"],
        unsubscribed_at=data["unsubscribed_at"],
        bounced_at=data["bounced_at"],
        bounce_reason=data["bounce_reason"],
    )


def _topic_values(topics: Topics) -> dict[str, Any]:
    return {
        "categories": list(topics.categories),
        "keywords": list(topics.keywords),
        "interest": topics.interest,
    }


def get(connection: Connection, subscriber_id: int) -> Subscriber | None:
    row = connection.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return _subscriber(row) if row else None


def get_by_email(connection: Connection, email: str) -> Subscriber | None:
    row = connection.execute(select(subscribers).where(subscribers.c.email == email)).first()
    return _subscriber(row) if row else None


def _insert_ignoring_duplicates(connection: Connection, rows: list[dict[str, Any]]) -> None:
    # ON CONFLICT DO NOTHING: two requests for one address at once make one row, not an error.
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(subscribers).on_conflict_do_nothing(index_elements=["email"])
    connection.execute(statement, rows)


def request(
    connection: Connection,
    email: str,
    frequency: str,
    topics: Topics,
    now: datetime,
    *,
    resend_after: datetime,
) -> Subscriber:
    """Record a subscription request. A new address becomes a pending row; an unconfirmed,
    unsubscribed or bounced one takes the new preferences and becomes pending, unless a
    confirmation went to it after ``resend_after`` (none is sent now, so the row keeps what
    that mail described); a confirmed one is left as it is (preferences change through its
    manage link, not by anyone who knows the address)."""
    _insert_ignoring_duplicates(
        connection,
        [
            {
                "email": email,
                "frequency": frequency,
                **_topic_values(topics),
                "status": PENDING,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    not_mailed_lately = or_(
        subscribers.c.confirmation_sent_at.is_(None),
        subscribers.c.confirmation_sent_at <= resend_after,
    )
    connection.execute(
        update(subscribers)
        .where(subscribers.c.email == email, subscribers.c.status != CONFIRMED, not_mailed_lately)
        .values(frequency=frequency, **_topic_values(topics), status=PENDING, updated_at=now)
    )
    found = get_by_email(connection, email)
    assert found is not None
    return found


def mark_confirmation_sent(connection: Connection, subscriber_id: int, now: datetime) -> None:
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(confirmation_sent_at=now)
    )


def unmark_confirmation_sent(connection: Connection, subscriber_id: int, sent_at: datetime) -> None:
    """Its mail of ``sent_at`` could not be sent: not throttled any more (unless a later
    request marked the row since)."""
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.confirmation_sent_at == sent_at)
        .values(confirmation_sent_at=None)
    )


def confirm(connection: Connection, subscriber_id: int, now: datetime) -> None:
    """Confirmed from now on (idempotent: the first confirmation time is kept)."""
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status != CONFIRMED)
        .values(
            status=CONFIRMED,
            confirmed_at=now,
            unsubscribed_at=None,
            bounced_at=None,
            bounce_reason=None,
            updated_at=now,
        )
    )


def unsubscribe(connection: Connection, subscriber_id: int, now: datetime) -> None:
    """Effective at once: the outbox checks the status before each message."""
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status != UNSUBSCRIBED)
        .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
    )


def update_preferences(
    connection: Connection, subscriber_id: int, frequency: str, topics: Topics, now: datetime
) -> None:
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(frequency=frequency, **_topic_values(topics), updated_at=now)
    )


def mark_bounced(connection: Connection, subscriber_id: int, reason: str, now: datetime) -> None:
    connection.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(status=BOUNCED, bounced_at=now, bounce_reason=reason[:500], updated_at=now)
    )


def add_confirmed(
    connection: Connection,
    items: Iterable[tuple[str, str, Topics]],
    now: datetime,
) -> None:
    """Bulk-add confirmed subscribers (email, frequency, topics); known addresses are left
    as they are. For imports and benchmarks."""
    rows = [
        {
            "email": email,
            "frequency": frequency,
            **_topic_values(topics),
            "status": CONFIRMED,
            "created_at": now,
            "updated_at": now,
            "confirmed_at": now,
        }
        for email, frequency, topics in items
    ]
    if rows:
        _insert_ignoring_duplicates(connection, rows)


def count_by_status(connection: Connection) -> dict[str, int]:
    query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    return {status: count for status, count in connection.execute(query)}
