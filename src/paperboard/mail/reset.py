"""The password-reset email: composed from templates (reset.html/.txt) like every other mail,
sent with the site's ``MailSender``. It implements community/mailer.py's ``ResetMailer``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from paperboard.mail.compose import Composer
from paperboard.mail.sender import MailSender, send_one


class ResetMail:
    def __init__(
        self,
        sender: MailSender,
        composer: Composer,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sender = sender
        self.composer = composer
        self.clock = clock

    def send_reset(self, email: str, username: str, link: str) -> None:
        message = self.composer.password_reset(
            email=email, username=username, link=link, now=self.clock()
        )
        send_one(self.sender, message)
