"""Composing messages: a digest, a confirmation, an "already subscribed" reminder, and the
mails to account holders (a password reset, an address check).

Turns rendered parts (render.py) into ``OutgoingMessage`` bytes (message.py), with the
signed links (tokens.py) and the list headers a digest needs (RFC 2369, RFC 8058).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import cached_property
from urllib.parse import urlsplit

from paperboard.config import Settings
from paperboard.domain.addresses import address_domain
from paperboard.domain.topics import Topics
from paperboard.mail import tokens
from paperboard.mail.digest import PeriodDigest
from paperboard.mail.message import (
    EncodedPart,
    OutgoingMessage,
    address_header,
    build_message,
    header_line,
    list_unsubscribe,
    message_id,
)
from paperboard.mail.render import SITE_NAME, MailRenderer, Recipient, Rendered
from paperboard.mail.tokens import Purpose
from paperboard.storage.secret_key import signing_key

# RFC 3834: tells autoresponders (vacation replies) not to answer.
AUTO_SUBMITTED = header_line("Auto-Submitted", "auto-generated")
# RFC 8058: a POST of this body to the List-Unsubscribe https URL unsubscribes, no questions.
ONE_CLICK = header_line("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


@dataclass(frozen=True)
class MailConfig:
    base_url: str
    from_header: str  # "paperboard <digest@example.org>"
    signing_key: bytes
    site_name: str = SITE_NAME

    @cached_property
    def envelope_from(self) -> str:
        return parseaddr(self.from_header)[1]

    @cached_property
    def domain(self) -> str:
        return address_domain(self.envelope_from)

    @classmethod
    def from_settings(cls, settings: Settings, *, key: bytes | None = None) -> MailConfig:
        """``key`` defaults to the installation's (runtime.py passes the one it read)."""
        return cls(
            base_url=settings.base_url,
            from_header=default_mail_from(settings),
            signing_key=key if key is not None else signing_key(settings),
        )


def default_mail_from(settings: Settings) -> str:
    """``PAPERBOARD_MAIL_FROM``, else ``paperboard <digest@HOST>`` for the base URL's host."""
    if settings.mail_from:
        return settings.mail_from
    host = urlsplit(settings.base_url).hostname or "localhost"
    if host.replace(".", "").isdigit() or ":" in host:  # an IP address is no mail domain
        host = "localhost"
    return f"{SITE_NAME} <digest@{host}>"


@dataclass(frozen=True, slots=True)
class Links:
    unsubscribe_url: str
    manage_url: str
    unsubscribe_mailto: str


def links_for(config: MailConfig, subscriber_id: int, email: str) -> Links:
    unsubscribe = tokens.make_token(config.signing_key, Purpose.UNSUBSCRIBE, subscriber_id, email)
    manage = tokens.make_token(config.signing_key, Purpose.MANAGE, subscriber_id, email)
    return Links(
        unsubscribe_url=f"{config.base_url}/unsubscribe?token={unsubscribe}",
        manage_url=f"{config.base_url}/subscription/manage?token={manage}",
        # Mail to the sender address with the token in the subject; whoever reads that mailbox
        # (or a future inbound hook) unsubscribes it. Mail clients prefer the https one-click.
        # The token is URL-safe already (digits, dots, base64url): only the space is quoted.
        unsubscribe_mailto=f"mailto:{config.envelope_from}?subject=unsubscribe%20{unsubscribe}",
    )


class Composer:
    def __init__(self, config: MailConfig, renderer: MailRenderer | None = None) -> None:
        self.config = config
        self.renderer = renderer or MailRenderer(config.base_url, config.site_name)
        self._from = address_header(config.from_header)

    def _message(
        self,
        *,
        to: str,
        subject: str,
        text: str | EncodedPart,
        html: str | EncodedPart,
        local_id: str,
        now: datetime,
        headers: list[bytes],
    ) -> OutgoingMessage:
        ident = message_id(local_id, self.config.domain)
        data = build_message(
            from_header=self._from,
            to=to,
            subject=subject,
            text=text,
            html=html,
            message_id=ident,
            date=now,
            extra_headers=headers,
        )
        return OutgoingMessage(self.config.envelope_from, to, data, ident)

    def digest(
        self,
        digest: PeriodDigest,
        selection: tuple[int, ...],
        *,
        subscriber_id: int,
        email: str,
        topics: Topics,
        now: datetime | None = None,
    ) -> OutgoingMessage:
        links = links_for(self.config, subscriber_id, email)
        recipient = Recipient(email, topics.describe(), links.unsubscribe_url, links.manage_url)
        rendered = self.renderer.digest(digest, selection, recipient)
        list_id = f"{self.config.site_name} {digest.frequency} digest"
        headers = [
            list_unsubscribe(links.unsubscribe_url, links.unsubscribe_mailto),
            ONE_CLICK,
            header_line("List-Id", f"{list_id} <{digest.frequency}.digest.{self.config.domain}>"),
            AUTO_SUBMITTED,
        ]
        return self._message(
            to=email,
            subject=rendered.subject,
            text=rendered.text_part or rendered.text,
            html=rendered.html_part or rendered.html,
            # The same for a (subscriber, period) on every attempt: mailbox providers that
            # drop duplicate Message-IDs (Gmail does) hide a resend if one ever happens.
            local_id=f"digest.{digest.frequency}.{digest.period.key}.{subscriber_id}",
            now=now or datetime.now(UTC),
            headers=headers,
        )

    def confirmation(
        self,
        *,
        subscriber_id: int,
        email: str,
        frequency: str,
        topics: Topics,
        now: datetime,
    ) -> OutgoingMessage:
        token = tokens.make_token(
            self.config.signing_key,
            Purpose.CONFIRM,
            subscriber_id,
            email,
            now=now,
            ttl=tokens.CONFIRM_TOKEN_TTL,
            binding=tokens.preferences_binding(frequency, topics),
        )
        expires = now + tokens.CONFIRM_TOKEN_TTL
        rendered = self.renderer.confirmation(
            email=email,
            frequency=frequency,
            topics=topics.describe(),
            confirm_url=f"{self.config.base_url}/subscribe/confirm?token={token}",
            expires=f"{expires:%B} {expires.day}, {expires.year} ({expires:%H:%M} UTC)",
        )
        return self._message(
            to=email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            local_id=f"confirm.{subscriber_id}.{int(now.timestamp())}",
            now=now,
            headers=[AUTO_SUBMITTED],
        )

    def reminder(
        self,
        *,
        subscriber_id: int,
        email: str,
        frequency: str,
        topics: Topics,
        now: datetime,
    ) -> OutgoingMessage:
        links = links_for(self.config, subscriber_id, email)
        rendered = self.renderer.reminder(
            email=email,
            frequency=frequency,
            topics=topics.describe(),
            manage_url=links.manage_url,
            unsubscribe_url=links.unsubscribe_url,
        )
        return self._message(
            to=email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            local_id=f"reminder.{subscriber_id}.{int(now.timestamp())}",
            now=now,
            headers=[AUTO_SUBMITTED],
        )

    def password_reset(
        self, *, email: str, username: str, link: str, now: datetime
    ) -> OutgoingMessage:
        rendered = self.renderer.password_reset(username=username, link=link)
        return self._account_message(email, rendered, "reset", now)

    def address_check(
        self, *, email: str, username: str, link: str, now: datetime
    ) -> OutgoingMessage:
        """The link that verifies an account's address."""
        rendered = self.renderer.address_check(username=username, email=email, link=link)
        return self._account_message(email, rendered, "verify", now)

    def _account_message(
        self, email: str, rendered: Rendered, kind: str, now: datetime
    ) -> OutgoingMessage:
        return self._message(
            to=email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            local_id=f"{kind}.{secrets.token_hex(8)}",
            now=now,
            headers=[AUTO_SUBMITTED],
        )
