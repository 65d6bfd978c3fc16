"""Mail to account holders: a password-reset link, a link that verifies an address. Composed
from templates (reset.*, verify.*) like every other mail and sent through the ``MailQueue``;
implements community/mailer.py's ``AccountMailer``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from paperboard.mail.compose import Composer
from paperboard.mail.message import OutgoingMessage
from paperboard.mail.queue import MailQueue

# (address, username, link), or None: nothing to send (an unknown address asking for a reset).
Letter = tuple[str, str, str] | None
Write = Callable[..., OutgoingMessage]


class AccountMails:
    def __init__(
        self,
        queue: MailQueue,
        composer: Composer,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queue = queue
        self.composer = composer
        self.clock = clock

    def post_reset(self, letter: Callable[[], Letter]) -> None:
        self.queue.post(lambda: self._message(self.composer.password_reset, letter()))

    def post_address_check(self, letter: Callable[[], Letter]) -> None:
        self.queue.post(lambda: self._message(self.composer.address_check, letter()))

    def _message(self, write: Write, letter: Letter) -> OutgoingMessage | None:
        if letter is None:
            return None
        email, username, link = letter
        return write(email=email, username=username, link=link, now=self.clock())
