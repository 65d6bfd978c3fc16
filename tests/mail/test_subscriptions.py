"""Subscribers on SQLite and PostgreSQL: double opt-in, no duplicates, signed links, status
changes; and the signed tokens themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from paperboard.config import load_settings
from paperboard.domain.addresses import InvalidAddress
from paperboard.domain.topics import Topics
from paperboard.mail import tokens
from paperboard.mail.queue import MailQueue
from paperboard.mail.sender import InMemorySender, PermanentFailure, TemporaryFailure
from paperboard.mail.service import (
    CONFIRMATION,
    REMINDER,
    RESEND_INTERVAL,
    THROTTLED,
    InvalidFrequency,
    MailUnavailable,
    RequestResult,
    Subscriptions,
)
from paperboard.mail.tokens import InvalidToken, Purpose, make_token
from paperboard.storage import secret_key
from paperboard.storage import subscriptions as store
from paperboard.storage.database import Database
from tests.digest_helpers import KEY, NOW, links, mail_config, parse, parts


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender() -> InMemorySender:
    return InMemorySender()


class MailedSubscriptions(Subscriptions):
    """Waits after each request until its mail went out (the queue sends from a thread of its
    own), so that the tests read what was sent."""

    def request(self, email: str, frequency: str, topics: Topics) -> RequestResult:
        result = super().request(email, frequency, topics)
        assert self.mail is not None and self.mail.wait_idle(10)
        return result


@pytest.fixture
def service(db: Database, sender: InMemorySender, clock: Clock) -> Iterator[Subscriptions]:
    # No retries: a failed mail is given up at once.
    queue = MailQueue(sender, retry_delays_s=())
    yield MailedSubscriptions(db, mail_config(), queue, clock=clock)
    queue.close()


def token_in(sender: InMemorySender, marker: str, index: int = -1) -> str:
    text, _ = parts(parse(sender.messages[index].data))
    (link,) = links(text, marker)
    return link.split("token=", 1)[1]


def count(db: Database) -> dict[str, int]:
    with db.read() as connection:
        return store.count_by_status(connection)


# --- double opt-in ------------------------------------------------------------------------------


def test_request_stores_pending_and_mails_a_confirmation(
    db: Database, service: Subscriptions, sender: InMemorySender
) -> None:
    result = service.request(" Ada@Example.org ", "weekly", Topics(("cs.CL",), ("rag",)))
    assert result.mailed == CONFIRMATION
    subscriber = result.subscriber
    assert (subscriber.email, subscriber.status, subscriber.frequency) == (
        "ada@example.org",
        "pending",
        "weekly",
    )
    assert subscriber.topics == Topics(("cs.CL",), ("rag",))
    (message,) = sender.messages
    assert message.recipient == "ada@example.org"
    assert parse(message.data)["Subject"] == "Confirm your paperboard weekly digest"
    confirmed = service.confirm(token_in(sender, "/subscribe/confirm?token="))
    assert confirmed.status == "confirmed" and confirmed.confirmed_at == NOW
    # Confirming twice is harmless and keeps the first time.
    assert service.confirm(token_in(sender, "/subscribe/confirm?token=")).confirmed_at == NOW


def test_resubscribing_does_not_duplicate(
    db: Database, service: Subscriptions, sender: InMemorySender, clock: Clock
) -> None:
    service.request("ada@example.org", "daily", Topics())
    # Within the resend interval: no second mail, and nothing changes (the mail that went out
    # describes what its link confirms).
    second = service.request("ADA@example.org", "weekly", Topics(keywords=("agents",)))
    assert second.mailed == THROTTLED
    assert len(sender.messages) == 1
    assert (second.subscriber.frequency, second.subscriber.topics) == ("daily", Topics())
    clock.advance(RESEND_INTERVAL)
    third = service.request("ada@example.org", "weekly", Topics(keywords=("agents",)))
    assert third.mailed == CONFIRMATION
    assert (third.subscriber.frequency, third.subscriber.topics.keywords) == ("weekly", ("agents",))
    assert count(db) == {"pending": 1}


def test_a_confirmation_link_confirms_what_its_mail_said(
    db: Database, service: Subscriptions, sender: InMemorySender, clock: Clock
) -> None:
    """Issue 14, finding 8: re-posting a pending address with other topics changed what the
    owner's confirmation link confirmed."""
    mine = Topics(("cs.CL",), ("retrieval",))
    service.request("ada@example.org", "daily", mine)
    first_link = token_in(sender, "/subscribe/confirm?token=")
    # Someone else, knowing only the address, asks for other preferences at once...
    theirs = Topics(("math.AG",), ("spam",), "anything at all")
    assert service.request("ada@example.org", "weekly", theirs).mailed == THROTTLED
    # ... and later, when a new confirmation does go out (to ada, saying what it sets up).
    clock.advance(RESEND_INTERVAL)
    assert service.request("ada@example.org", "weekly", theirs).mailed == CONFIRMATION
    text, _ = parts(parse(sender.messages[-1].data))
    assert "math.AG" in text and "weekly" in text.lower()
    # The first link no longer confirms anything: the preferences it was sent for are gone.
    with pytest.raises(InvalidToken, match="newer confirmation"):
        service.confirm(first_link)
    assert count(db) == {"pending": 1}
    # The newest link confirms exactly what its mail said.
    confirmed = service.confirm(token_in(sender, "/subscribe/confirm?token="))
    assert (confirmed.status, confirmed.frequency, confirmed.topics) == (
        "confirmed",
        "weekly",
        theirs,
    )


def test_a_confirmation_link_made_for_other_preferences_is_refused(
    db: Database, service: Subscriptions, sender: InMemorySender
) -> None:
    service.request("ada@example.org", "daily", Topics(("cs.CL",)))
    link = token_in(sender, "/subscribe/confirm?token=")
    subscriber = service.for_email("ada@example.org")
    assert subscriber is not None
    with db.write() as connection:  # what a later request (or anything else) leaves there
        store.update_preferences(connection, subscriber.id, "weekly", Topics(("cs.CL",)), NOW)
    with pytest.raises(InvalidToken):
        service.confirm(link)
    with db.write() as connection:
        store.update_preferences(connection, subscriber.id, "daily", Topics(("cs.CL",)), NOW)
    assert service.confirm(link).status == "confirmed"


def test_a_confirmed_address_gets_a_reminder_not_a_new_subscription(
    db: Database, service: Subscriptions, sender: InMemorySender, clock: Clock
) -> None:
    service.request("ada@example.org", "daily", Topics(("cs.LG",)))
    service.confirm(token_in(sender, "/subscribe/confirm?token="))
    clock.advance(RESEND_INTERVAL)
    result = service.request("ada@example.org", "weekly", Topics(("math.AG",)))
    assert result.mailed == REMINDER
    # Someone who only knows the address cannot change the subscription.
    assert (result.subscriber.frequency, result.subscriber.topics.categories) == (
        "daily",
        ("cs.LG",),
    )
    reminder = parse(sender.messages[-1].data)
    assert reminder["Subject"] == "You already get the paperboard daily digest"
    manage = token_in(sender, "/subscription/manage?token=")
    assert service.subscriber_for(manage, Purpose.MANAGE).id == result.subscriber.id
    assert count(db) == {"confirmed": 1}


def test_nothing_is_recorded_as_sent_when_the_mail_fails(
    db: Database, service: Subscriptions, sender: InMemorySender
) -> None:
    """The answer does not wait for the mail (it says the same either way); a mail that
    failed for good un-throttles its address, so that asking again mails at once."""
    for email, error in (
        ("ada@example.org", TemporaryFailure("451 later", 451)),
        ("bob@example.org", PermanentFailure("550 no such user", 550)),
    ):
        sender.fail(email, error)
        assert service.request(email, "daily", Topics()).mailed == CONFIRMATION
        assert sender.to(email) == []
        assert service.request(email, "daily", Topics()).mailed == CONFIRMATION
        assert len(sender.to(email)) == 1
        # Sent: the next request within the interval is throttled again.
        assert service.request(email, "daily", Topics()).mailed == THROTTLED


def test_a_site_without_mail_takes_no_requests(db: Database) -> None:
    offline = Subscriptions(db, mail_config(), None)
    assert not offline.available
    with pytest.raises(MailUnavailable):
        offline.request("ada@example.org", "daily", Topics())
    assert count(db) == {}


@pytest.mark.parametrize(
    ("email", "frequency", "error"),
    [
        ("not-an-address", "daily", InvalidAddress),
        ("ada@example.org", "hourly", InvalidFrequency),
    ],
)
def test_invalid_requests(
    db: Database, service: Subscriptions, email: str, frequency: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.request(email, frequency, Topics())
    assert count(db) == {}


# --- links ---------------------------------------------------------------------------------------


def test_unsubscribe_manage_resubscribe(
    db: Database, service: Subscriptions, sender: InMemorySender
) -> None:
    subscriber = service.request("ada@example.org", "daily", Topics()).subscriber
    service.confirm(token_in(sender, "/subscribe/confirm?token="))
    found = service.links(subscriber)
    unsubscribe = found.unsubscribe_url.split("token=")[1]
    manage = found.manage_url.split("token=")[1]
    assert service.unsubscribe(unsubscribe).status == "unsubscribed"
    assert service.unsubscribe(unsubscribe).status == "unsubscribed"  # idempotent
    changed = service.update(manage, "weekly", Topics(keywords=("graphs",)))
    assert (changed.status, changed.frequency, changed.topics.keywords) == (
        "unsubscribed",
        "weekly",
        ("graphs",),
    )
    assert service.resubscribe(manage).status == "confirmed"
    assert service.unsubscribe_managed(manage).status == "unsubscribed"
    with pytest.raises(InvalidFrequency):
        service.update(manage, "monthly", Topics())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # forged signature
        lambda t: "9" + t,  # another subscriber id
        lambda t: t.replace(".0.", ".1.", 1),  # another expiry
        lambda t: "garbage",
        lambda t: "1.2",
    ],
)
def test_tampered_links_are_refused(
    db: Database, service: Subscriptions, sender: InMemorySender, mangle: Callable[[str], str]
) -> None:
    subscriber = service.request("ada@example.org", "daily", Topics()).subscriber
    token = service.links(subscriber).unsubscribe_url.split("token=")[1]
    with pytest.raises(InvalidToken):
        service.unsubscribe(mangle(token))
    assert count(db) == {"pending": 1}


def test_a_link_works_only_for_its_purpose(
    db: Database, service: Subscriptions, sender: InMemorySender
) -> None:
    subscriber = service.request("ada@example.org", "daily", Topics()).subscriber
    confirm = token_in(sender, "/subscribe/confirm?token=")
    unsubscribe = service.links(subscriber).unsubscribe_url.split("token=")[1]
    with pytest.raises(InvalidToken):
        service.unsubscribe(confirm)
    with pytest.raises(InvalidToken):
        service.confirm(unsubscribe)
    with pytest.raises(InvalidToken):
        service.update(unsubscribe, "daily", Topics())


def test_confirmation_links_expire(
    db: Database, service: Subscriptions, sender: InMemorySender, clock: Clock
) -> None:
    service.request("ada@example.org", "daily", Topics())
    token = token_in(sender, "/subscribe/confirm?token=")
    clock.advance(tokens.CONFIRM_TOKEN_TTL + timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="expired"):
        service.confirm(token)
    assert count(db) == {"pending": 1}


def test_tokens_name_the_address() -> None:
    token = make_token(KEY, Purpose.UNSUBSCRIBE, 3, "ada@example.org")
    claim = tokens.parse_token(token)
    tokens.check_token(KEY, Purpose.UNSUBSCRIBE, claim, "ada@example.org")
    with pytest.raises(InvalidToken):
        tokens.check_token(KEY, Purpose.UNSUBSCRIBE, claim, "eve@example.org")
    with pytest.raises(InvalidToken):
        tokens.check_token(b"another key" * 4, Purpose.UNSUBSCRIBE, claim, "ada@example.org")


def test_signing_key_from_settings_or_a_kept_file(tmp_path: Path) -> None:
    given = load_settings({"PAPERBOARD_SECRET_KEY": "k" * 40}, data_dir=tmp_path)
    assert secret_key.signing_key(given) == b"k" * 40
    default = load_settings({}, data_dir=tmp_path / "data")
    first = secret_key.signing_key(default)
    assert len(first) == 64 and secret_key.signing_key(default) == first
    key_file = tmp_path / "data" / secret_key.KEY_FILE_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind


# --- storage --------------------------------------------------------------------------------------


def test_storage_round_trip_and_status_changes(db: Database) -> None:
    topics = Topics(("cs.CL", "stat.ML"), ("diffusion", "graph neural network"), "LLM agents")
    with db.write() as connection:
        subscriber = store.request(
            connection, "ada@example.org", "weekly", topics, NOW, resend_after=NOW
        )
        store.request(connection, "ada@example.org", "daily", topics, NOW, resend_after=NOW)
        assert store.get(connection, subscriber.id) == store.get_by_email(
            connection, "ada@example.org"
        )
        store.confirm(connection, subscriber.id, NOW)
        store.mark_bounced(connection, subscriber.id, "550 no such user", NOW + timedelta(days=1))
        bounced = store.get(connection, subscriber.id)
        store.confirm(connection, subscriber.id, NOW + timedelta(days=2))
        again = store.get(connection, subscriber.id)
    assert bounced is not None and again is not None
    assert bounced.topics == topics and bounced.frequency == "daily"
    assert (bounced.status, bounced.bounce_reason) == ("bounced", "550 no such user")
    assert bounced.bounced_at == NOW + timedelta(days=1)
    # Subscribing again clears the bounce.
    assert (again.status, again.bounced_at, again.bounce_reason) == ("confirmed", None, None)


def test_bulk_add_ignores_known_addresses(db: Database) -> None:
    with db.write() as connection:
        store.add_confirmed(
            connection, [(f"u{n}@example.org", "daily", Topics()) for n in range(5)], NOW
        )
        store.add_confirmed(
            connection, [(f"u{n}@example.org", "weekly", Topics()) for n in range(3, 8)], NOW
        )
    assert count(db) == {"confirmed": 8}
