"""``ResetMailer``: how accounts send a password-reset link, without knowing about mail.

The composition root (runtime.py) hands accounts mail/reset.py's implementation when the site
can send mail (PAPERBOARD_SMTP_URL, or a test's in-memory sender); without one there is no
mailer and ``paperboard user reset-link USER`` prints the link for an operator to pass on.
"""

from __future__ import annotations

from typing import Protocol


class ResetMailer(Protocol):
    def send_reset(self, email: str, username: str, link: str) -> None: ...
