"""``AccountMailer``: how accounts mail their holders (a password-reset link, a link that
verifies an address), without knowing about mail.

The composition root (runtime.py) hands accounts mail/account_mail.py's implementation when the
site can send mail (PAPERBOARD_SMTP_URL, or a test's in-memory sender); without one there is no
mailer: ``paperboard user reset-link USER`` prints a reset link for an operator to pass on, and
addresses cannot be verified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# What a mail to an account holder needs: (address, username, link); None: send nothing.
Letter = tuple[str, str, str] | None


class AccountMailer(Protocol):
    """Each call returns at once: ``letter`` runs in the background with the composing and
    sending, database look-ups included, so a request that mails and one that does not take
    the same time (the reset form tells no one which addresses have accounts)."""

    def post_reset(self, letter: Callable[[], Letter]) -> None: ...

    def post_address_check(self, letter: Callable[[], Letter]) -> None: ...
