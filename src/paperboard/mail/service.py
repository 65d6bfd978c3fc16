"""Subscribing, confirming, unsubscribing, managing: what the web pages and the API call.

Double opt-in: a request stores a *pending* subscriber and mails a signed, expiring link;
only ``confirm`` makes it *confirmed*, and only confirmed subscribers are ever enqueued for a
digest. The answer to a request never says whether the address was known (no one learns
who subscribes by trying addresses); a confirmed address gets an "already subscribed" mail
with its manage link instead of a second subscription.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from paperboard.domain.addresses import InvalidAddress, normalize_address
from paperboard.domain.topics import Topics
from paperboard.mail import tokens
from paperboard.mail.compose import Composer, Links, MailConfig, links_for
from paperboard.mail.digest import FREQUENCIES
from paperboard.mail.sender import MailSender, send_one
from paperboard.mail.tokens import InvalidToken, Purpose
from paperboard.storage import subscriptions as store
from paperboard.storage.database import Database
from paperboard.storage.subscriptions import Subscriber

# At most one confirmation (or reminder) per address in this long: the form cannot be used
# to flood someone's inbox.
RESEND_INTERVAL = timedelta(minutes=10)

CONFIRMATION = "confirmation"
REMINDER = "reminder"
THROTTLED = "throttled"


class InvalidFrequency(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RequestResult:
    subscriber: Subscriber
    mailed: str  # CONFIRMATION | REMINDER | THROTTLED


def check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise InvalidFrequency("frequency is daily or weekly")
    return frequency


class Subscriptions:
    def __init__(
        self,
        db: Database,
        config: MailConfig,
        sender: MailSender,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.config = config
        self.sender = sender
        self.composer = Composer(config)
        self.clock = clock

    def request(self, email: str, frequency: str, topics: Topics) -> RequestResult:
        """Store the request and mail a confirmation link (or, for a confirmed address, a
        reminder with its manage link). Raises ``InvalidAddress``/``InvalidFrequency`` for
        bad input and ``DeliveryError`` when the mail could not be sent."""
        address = normalize_address(email)
        check_frequency(frequency)
        now = self.clock()
        with self.db.write() as connection:
            subscriber = store.request(
                connection, address, frequency, topics, now, resend_after=now - RESEND_INTERVAL
            )
        sent_at = subscriber.confirmation_sent_at
        if sent_at is not None and now - sent_at < RESEND_INTERVAL:
            return RequestResult(subscriber, THROTTLED)
        if subscriber.is_confirmed:
            kind, message = (
                REMINDER,
                self.composer.reminder(
                    subscriber_id=subscriber.id,
                    email=address,
                    frequency=subscriber.frequency,
                    topics=subscriber.topics,
                    now=now,
                ),
            )
        else:
            # What the row holds, which the link is bound to (a request at the same moment
            # may have stored its own preferences since this one's).
            kind, message = (
                CONFIRMATION,
                self.composer.confirmation(
                    subscriber_id=subscriber.id,
                    email=address,
                    frequency=subscriber.frequency,
                    topics=subscriber.topics,
                    now=now,
                ),
            )
        send_one(self.sender, message)
        with self.db.write() as connection:
            store.mark_confirmation_sent(connection, subscriber.id, now)
        return RequestResult(subscriber, kind)

    def for_email(self, email: str) -> Subscriber | None:
        """The subscription of an address (a signed-in user's own), if there is one."""
        try:
            address = normalize_address(email)
        except InvalidAddress:
            return None
        with self.db.read() as connection:
            return store.get_by_email(connection, address)

    def subscriber_for(self, token: str, purpose: Purpose) -> Subscriber:
        """The subscriber a signed link names; ``InvalidToken`` if it is not valid."""
        claim = tokens.parse_token(token)
        with self.db.read() as connection:
            subscriber = store.get(connection, claim.subscriber_id)
        if subscriber is None:
            raise InvalidToken("this link is not valid")
        # A confirmation link confirms the preferences its mail described, or nothing.
        binding = ""
        if purpose is Purpose.CONFIRM:
            binding = tokens.preferences_binding(subscriber.frequency, subscriber.topics)
        tokens.check_token(
            self.config.signing_key,
            purpose,
            claim,
            subscriber.email,
            now=self.clock(),
            binding=binding,
        )
        return subscriber

    def _change(self, token: str, purpose: Purpose, change: Callable[..., None]) -> Subscriber:
        subscriber = self.subscriber_for(token, purpose)
        with self.db.write() as connection:
            change(connection, subscriber.id, self.clock())
            changed = store.get(connection, subscriber.id)
        assert changed is not None
        return changed

    def confirm(self, token: str) -> Subscriber:
        return self._change(token, Purpose.CONFIRM, store.confirm)

    def unsubscribe(self, token: str) -> Subscriber:
        return self._change(token, Purpose.UNSUBSCRIBE, store.unsubscribe)

    def resubscribe(self, token: str) -> Subscriber:
        """From a manage link: the link came by mail, so it proves the address is theirs."""
        return self._change(token, Purpose.MANAGE, store.confirm)

    def unsubscribe_managed(self, token: str) -> Subscriber:
        return self._change(token, Purpose.MANAGE, store.unsubscribe)

    def update(self, token: str, frequency: str, topics: Topics) -> Subscriber:
        check_frequency(frequency)

        def change(connection: object, subscriber_id: int, now: datetime) -> None:
            store.update_preferences(connection, subscriber_id, frequency, topics, now)  # type: ignore[arg-type]

        return self._change(token, Purpose.MANAGE, change)

    def links(self, subscriber: Subscriber) -> Links:
        return links_for(self.config, subscriber.id, subscriber.email)
