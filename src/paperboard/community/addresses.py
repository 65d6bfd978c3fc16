"""Verifying account addresses: a link mailed to the address proves that it is the owner's.

Sign-up does not check the address typed, so until the link is followed nothing bound to the
address (its digest subscription) is shown or linked to the account: otherwise anyone could
sign up with someone else's address and read their subscription. A new address is unverified
again. A site that sends no mail cannot verify addresses (``can_mail``).
"""

from __future__ import annotations

from datetime import timedelta

from paperboard.community import signed_links
from paperboard.community.context import Context
from paperboard.community.errors import InvalidInput
from paperboard.community.mailer import AccountMailer, Letter
from paperboard.storage import users as store
from paperboard.storage.users import User

PURPOSE = "address-check"
# Long enough to find the mail after a weekend, short enough that an old one goes stale.
CHECK_TTL = timedelta(days=3)


class Addresses:
    def __init__(self, context: Context, mailer: AccountMailer | None) -> None:
        self.context = context
        self.mailer = mailer

    @property
    def can_mail(self) -> bool:
        return self.mailer is not None

    def check_link(self, user: User) -> str:
        token = signed_links.make(self.context, PURPOSE, user.id, CHECK_TTL, user.email)
        return f"{self.context.base_url}/verify-email?token={token}"

    def send_check(self, user: User) -> bool:
        """Mail the link to the account's address (in the background); False without mail."""
        if self.mailer is None:
            return False
        self.mailer.post_address_check(lambda: self._letter(user.id))
        return True

    def _letter(self, user_id: int) -> Letter:
        # Read when the mail is composed: the address the account has then.
        with self.context.db.read() as connection:
            user = store.by_id(connection, user_id)
        if user is None or user.email_verified or not user.is_active:
            return None
        return user.email, user.username, self.check_link(user)

    def verify(self, token: str) -> User:
        """The account whose address the link verified (idempotent); ``InvalidInput`` when the
        link is not valid (expired, forged, or mailed to an address the account has no more)."""
        invalid = InvalidInput("This link is not valid any more: ask for a new one.")
        claim = signed_links.claim_of(token)
        if claim is None:
            raise invalid
        with self.context.db.read() as connection:
            user = store.by_id(connection, claim.user_id)
        if user is None or not user.is_active:
            raise invalid
        if not signed_links.is_valid(self.context, PURPOSE, claim, user.email):
            raise invalid
        return self.mark_verified(user)

    def mark_verified(self, user: User) -> User:
        """``user.email`` is the owner's (a link mailed to it was followed)."""
        with self.context.db.write() as connection:
            store.mark_email_verified(connection, user.id, user.email, self.context.clock())
            updated = store.by_id(connection, user.id)
        assert updated is not None
        return updated
