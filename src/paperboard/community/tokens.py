"""API tokens for scripts: ``Authorization: Bearer pb_...`` acts as the token's owner.

A token is shown once, when created; the database keeps its SHA-256 only, so a leaked copy
of the database signs no one in. Revoked tokens stop working at once (every request looks
the token up; there is no cache to expire). A token may be given an expiry when it is made;
a password change or reset, and disabling the account, revoke all of an account's tokens
(accounts.py), so that re-enabling it brings none back.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from paperboard.community.accounts import account, has_control_characters
from paperboard.community.context import Context, digest
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.domain.bidi import BIDI_CONTROLS_REFUSED, has_bidi_controls
from paperboard.storage import tokens as store
from paperboard.storage import users as user_store
from paperboard.storage.tokens import TokenInfo
from paperboard.storage.users import User

PREFIX = "pb_"
PREFIX_SHOWN = 10  # "pb_" and 7 characters: enough to tell one's tokens apart
MAX_TOKEN_CHARS = 100
MAX_NAME_CHARS = 100
# last_used_at is written at most this often per token: not one write per API call.
TOUCH_INTERVAL = timedelta(hours=1)
# Expiries people choose from (days; the account page offers these, the CLI any up to the max).
EXPIRY_CHOICES_DAYS = (7, 30, 90, 365)
MAX_EXPIRY = timedelta(days=3650)


EXPIRY_REFUSED = f"A token expires after 1 to {MAX_EXPIRY.days} days, or never."


def check_expiry(expires_in: timedelta | None) -> timedelta | None:
    if expires_in is not None and not timedelta(0) < expires_in <= MAX_EXPIRY:
        raise InvalidInput(EXPIRY_REFUSED, "expires_days")
    return expires_in


def expiry_in_days(days: int) -> timedelta:
    """An expiry typed as a number of days (checked before timedelta() can overflow)."""
    if not 1 <= days <= MAX_EXPIRY.days:
        raise InvalidInput(EXPIRY_REFUSED, "expires_days")
    return timedelta(days=days)


class ApiTokens:
    def __init__(self, context: Context) -> None:
        self.context = context

    def create(
        self, user: User, name: str = "", *, expires_in: timedelta | None = None
    ) -> tuple[TokenInfo, str]:
        """A new token for ``user``: its record and the token itself (shown once).
        ``expires_in``: how long it works (None: until revoked)."""
        check_expiry(expires_in)
        name = " ".join(name.split()) or "token"
        if has_control_characters(name):
            raise InvalidInput("A token name cannot hold control characters.", "name")
        if has_bidi_controls(name):
            raise InvalidInput(f"A token name {BIDI_CONTROLS_REFUSED}", "name")
        if len(name) > MAX_NAME_CHARS:
            raise InvalidInput(f"A token name has at most {MAX_NAME_CHARS} characters.", "name")
        self.context.limiter.hit(("token_per_account", account(user)))
        return self._create(user, name, expires_in)

    def create_for(
        self, username: str, name: str = "", *, expires_in: timedelta | None = None
    ) -> tuple[TokenInfo, str]:
        """For the CLI: a token for the named account, no rate limit."""
        check_expiry(expires_in)
        with self.context.db.read() as connection:
            user = user_store.by_username(connection, username)
        if user is None:
            raise NotFound(f"No account {username!r}.")
        return self._create(user, " ".join(name.split()) or "token", expires_in)

    def _create(self, user: User, name: str, expires_in: timedelta | None) -> tuple[TokenInfo, str]:
        token = PREFIX + secrets.token_urlsafe(32)
        now = self.context.clock()
        with self.context.db.write() as connection:
            token_id = store.insert_token(
                connection,
                user_id=user.id,
                name=name,
                token_hash=digest(token),
                prefix=token[:PREFIX_SHOWN],
                now=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
            info = store.token_by_id(connection, token_id)
        assert info is not None
        return info, token

    def authenticate(self, token: str) -> User | None:
        """The owner of an unrevoked, unexpired token (None for anything else, active
        accounts only). Notes when it was used (at most hourly)."""
        if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
            return None
        with self.context.db.read() as connection:
            found = store.user_for_token(connection, digest(token))
        if found is None:
            return None
        user, info = found
        now = self.context.clock()
        if not user.is_active or info.state_at(now) != "active":
            return None
        if info.last_used_at is None or now - info.last_used_at >= TOUCH_INTERVAL:
            with self.context.db.write() as connection:
                store.touch(connection, info.id, now)
        return user

    def tokens_of(self, user: User) -> list[TokenInfo]:
        with self.context.db.read() as connection:
            return store.tokens_of(connection, user.id)

    def revoke(self, token_id: int, *, by: User | None) -> TokenInfo:
        """Revoke a token. ``by`` must own it (or be an admin); None is the operator (CLI)."""
        with self.context.db.write() as connection:
            info = store.token_by_id(connection, token_id)
            if info is None:
                raise NotFound(f"No token {token_id}.")
            if by is not None and by.id != info.user_id and by.role != "admin":
                # The same answer as for an unknown id: whose token it is stays private.
                raise NotFound(f"No token {token_id}.")
            store.revoke(connection, token_id, self.context.clock())
            revoked = store.token_by_id(connection, token_id)
        assert revoked is not None
        return revoked

    def revoke_token(self, token: str) -> TokenInfo:
        """Revoke by the token itself (someone found it in a log, say). For the CLI."""
        with self.context.db.write() as connection:
            found = store.user_for_token(connection, digest(token.strip()))
            if found is None:
                raise NotFound("No such active token.")
            store.revoke(connection, found[1].id, self.context.clock())
            return found[1]
