"""Subscribing, confirming, unsubscribing, managing: what the web pages and the API call.

Double opt-in: a request stores a *pending* subscriber and mails a signed, expiring link;
only ``confirm`` makes it *confirmed*, and only confirmed subscribers are ever enqueued for a
digest. The answer to a request never says whether the address was known (no one learns
who subscribes by trying addresses); a confirmed address gets an "already subscribed" mail
with its manage link instead of a second subscription.

Those mails go through the ``MailQueue`` (queue.py): a request never waits on the mail server,
and takes the same time whichever mail it causes. A mail that cannot be sent in the end
un-throttles its address, so that asking again sends one at once.
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
from paperboard.mail.message import OutgoingMessage
from paperboard.mail.queue import MailQueue
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


class MailUnavailable(RuntimeError):
    """This site sends no mail (PAPERBOARD_SMTP_URL is unset): nobody can subscribe."""


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
        mail: MailQueue | None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``mail`` None: the site sends no mail; links already sent still work."""
        self.db = db
        self.config = config
        self.mail = mail
        self.composer = Composer(config)
        self.clock = clock

    @property
    def available(self) -> bool:
        return self.mail is not None

    def request(self, email: str, frequency: str, topics: Topics) -> RequestResult:
        """Store the request and queue a confirmation link (or, for a confirmed address, a
        reminder with its manage link). Raises ``InvalidAddress``/``InvalidFrequency`` for
        bad input and ``MailUnavailable`` when the site sends no mail."""
        if self.mail is None:
            raise MailUnavailable("this site sends no mail")
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
            # Marked in the same transaction: of two requests at once, one mails.
            store.mark_confirmation_sent(connection, subscriber.id, now)
        kind = REMINDER if subscriber.is_confirmed else CONFIRMATION
        self.mail.post(
            lambda: self._message(kind, subscriber, now),
            on_failure=lambda _error: self._not_sent(subscriber.id, now),
        )
        return RequestResult(subscriber, kind)

    def _message(self, kind: str, subscriber: Subscriber, now: datetime) -> OutgoingMessage:
        # The preferences the row held at the request, which a confirmation link is bound to
        # (a request at the same moment may have stored its own since).
        compose = self.composer.reminder if kind == REMINDER else self.composer.confirmation
        return compose(
            subscriber_id=subscriber.id,
            email=subscriber.email,
            frequency=subscriber.frequency,
            topics=subscriber.topics,
            now=now,
        )

    def _not_sent(self, subscriber_id: int, sent_at: datetime) -> None:
        """The mail of the request at ``sent_at`` failed for good: nothing was sent, so the
        address is not throttled."""
        with self.db.write() as connection:
            store.unmark_confirmation_sent(connection, subscriber_id, sent_at)

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
