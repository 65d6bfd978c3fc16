"""What ``paperboard digest preview`` shows: the digest one subscriber would get for a period,
composed as it would be sent. Nothing is sent and nothing is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from paperboard.config import Settings
from paperboard.domain.addresses import InvalidAddress, normalize_address
from paperboard.domain.periods import Period
from paperboard.mail.compose import Composer, MailConfig, links_for
from paperboard.mail.delivery import default_period, load_period
from paperboard.mail.digest import PeriodDigest, TopicMatcher, period_for_date
from paperboard.mail.message import OutgoingMessage
from paperboard.mail.render import Recipient, Rendered
from paperboard.storage import subscriptions
from paperboard.storage.database import Database
from paperboard.storage.subscriptions import Subscriber


class PreviewError(Exception):
    """No digest to preview for this address (the message says why)."""


def digest_period(db: Database, frequency: str, day: date | None) -> Period | None:
    """The period of ``day`` (the board day, or its ISO week), or by default the latest complete
    one (None: no board day has papers yet)."""
    if day is not None:
        return period_for_date(frequency, day)
    return default_period(db, frequency, datetime.now(UTC).date())


@dataclass(frozen=True)
class DigestPreview:
    subscriber: Subscriber
    period: Period | None
    digest: PeriodDigest | None
    selection: tuple[int, ...]
    settings: Settings

    @cached_property
    def composer(self) -> Composer:
        # Only when there is something to compose: the signing key may be created on first use.
        return Composer(MailConfig.from_settings(self.settings))

    @property
    def nothing_sent_because(self) -> str | None:
        """Why no digest would go out (None: one would)."""
        if self.period is None or self.digest is None:
            return "no board day has papers yet"
        if self.selection:
            return None
        return "the period is empty" if self.digest.is_empty else "no paper matches the topics"

    def message(self) -> OutgoingMessage:
        """The whole message, as the mail server would get it."""
        assert self.digest is not None, "nothing to compose (see nothing_sent_because)"
        return self.composer.digest(
            self.digest,
            self.selection,
            subscriber_id=self.subscriber.id,
            email=self.subscriber.email,
            topics=self.subscriber.topics,
        )

    def rendered(self) -> Rendered:
        """Subject, text and HTML, the HTML laid out as the templates write it (for reading)."""
        assert self.digest is not None, "nothing to render (see nothing_sent_because)"
        subscriber = self.subscriber
        links = links_for(self.composer.config, subscriber.id, subscriber.email)
        recipient = Recipient(
            subscriber.email, subscriber.topics.describe(), links.unsubscribe_url, links.manage_url
        )
        return self.composer.renderer.digest(
            self.digest, self.selection, recipient, keep_layout=True
        )


def preview_digest(
    db: Database,
    settings: Settings,
    matcher: TopicMatcher,
    email: str,
    frequency: str | None,
    day: date | None,
) -> DigestPreview:
    """The digest ``email`` would get (``frequency`` None: the subscriber's own)."""
    try:
        address = normalize_address(email)
    except InvalidAddress:
        raise PreviewError(f"{email!r} is not an email address") from None
    with db.read() as connection:
        subscriber = subscriptions.get_by_email(connection, address)
    if subscriber is None:
        raise PreviewError(f"{address} is not subscribed")
    kind = frequency or subscriber.frequency
    period = digest_period(db, kind, day)
    if period is None:
        return DigestPreview(subscriber, None, None, (), settings)
    digest = load_period(db, kind, period, matcher)
    return DigestPreview(subscriber, period, digest, digest.select(subscriber.topics), settings)
