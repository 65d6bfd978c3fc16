"""The password-reset email, sent through the digest work's ``MailSender`` (mail/sender.py).

``ResetMailer`` is the small interface accounts use; ``MailSenderResetMailer`` builds the
message with mail/message.py and sends it with whatever sender the app has (SMTP when
PAPERBOARD_SMTP_URL is set, an in-memory one in tests). Without a sender there is no mailer
and ``paperboard user reset-link USER`` prints the link for an operator to pass on.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.utils import parseaddr
from html import escape
from typing import Protocol

from paperboard.mail.message import OutgoingMessage, build_message, message_id
from paperboard.mail.sender import MailSender, send_one


class ResetMailer(Protocol):
    def send_reset(self, email: str, username: str, link: str) -> None: ...


class MailSenderResetMailer:
    def __init__(self, sender: MailSender, from_header: str, site_name: str = "paperboard"):
        self.sender = sender
        self.from_header = from_header
        self.site_name = site_name

    def send_reset(self, email: str, username: str, link: str) -> None:
        envelope_from = parseaddr(self.from_header)[1]
        domain = envelope_from.rpartition("@")[2] or "localhost"
        text = (
            f"Hello {username},\n\n"
            f"Someone (we hope you) asked to reset the password of your {self.site_name} "
            f"account. Choose a new password here within the hour:\n\n{link}\n\n"
            "If it was not you, ignore this email: your password stays as it is.\n"
        )
        html = (
            f"<p>Hello {escape(username)},</p><p>Someone (we hope you) asked to reset the "
            f"password of your {escape(self.site_name)} account. Choose a new password "
            f'within the hour:</p><p><a href="{escape(link)}">Reset your password</a></p>'
            "<p>If it was not you, ignore this email: your password stays as it is.</p>"
        )
        ident = message_id(f"reset.{secrets.token_hex(8)}", domain)
        data = build_message(
            from_header=self.from_header,
            to=email,
            subject=f"Reset your {self.site_name} password",
            text=text,
            html=html,
            message_id=ident,
            date=datetime.now(UTC),
        )
        send_one(self.sender, OutgoingMessage(envelope_from, email, data, ident))
