"""Accounts: sign-up, sign-in, sessions, CSRF tokens, password reset, settings (the address
included) and roles. Verifying an address is addresses.py's job."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from paperboard.community import signed_links
from paperboard.community.addresses import Addresses
from paperboard.community.context import Context, digest
from paperboard.community.errors import InvalidInput, LoginFailed, NotFound
from paperboard.community.mailer import AccountMailer, Letter
from paperboard.community.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from paperboard.domain.addresses import InvalidAddress, normalize_address
from paperboard.domain.bidi import BIDI_CONTROLS_REFUSED, has_bidi_controls
from paperboard.storage import tokens as token_store
from paperboard.storage import users as store
from paperboard.storage.database import Database
from paperboard.storage.users import ROLES, DuplicateUser, User

# 2-39 letters, digits, "-" and "_", starting with a letter or digit: safe in URLs (/u/name)
# and unambiguous on a page. ASCII only, so that look-alike letters cannot imitate a name.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,38}", re.ASCII)
MAX_DISPLAY_NAME_CHARS = 100
SESSION_TTL = timedelta(days=30)
# Long enough to find the email, short enough that a leaked link goes stale.
RESET_TTL = timedelta(hours=1)
RESET_PURPOSE = "password-reset"
CSRF_BYTES = 24


# One IPv6 host is handed a /64 network (RFC 6177): counted by address, it could change
# address for every request; counted by /64, it is one client like an IPv4 host.
IPV6_CLIENT_PREFIX = 64


@dataclass(frozen=True, slots=True)
class Client:
    """Who is asking, for per-IP limits: the peer address the server saw (a proxy in front
    must pass the real one, e.g. uvicorn's --forwarded-allow-ips)."""

    ip: str

    @property
    def who(self) -> str:
        try:
            address = ipaddress.ip_address(self.ip)
        except ValueError:  # "unknown", or a test client's name
            return f"ip:{self.ip}"
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return f"ip:{address.ipv4_mapped}"
            network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
            return f"ip:{network}"
        return f"ip:{address}"

    def trying(self, name: str) -> str:
        """The key of sign-in failures from this client for the name typed."""
        return f"{self.who}|{account(name)}"


def account(user_or_name: User | str) -> str:
    name = user_or_name.username if isinstance(user_or_name, User) else user_or_name
    return f"user:{name.lower()}"


def check_username(username: str) -> str:
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "A username has 2 to 39 letters, digits, “-” or “_”, and starts with a letter "
            "or a digit.",
            field="username",
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            f"A password has at least {MIN_PASSWORD_CHARS} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"A password has at most {MAX_PASSWORD_CHARS} characters.", field="password"
        )
    return password


def check_email(email: str) -> str:
    try:
        return normalize_address(email)
    except InvalidAddress:
        raise InvalidInput("That is not an email address.", field="email") from None


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character (NUL, ESC, DEL...). Such text is refused as a
    name: PostgreSQL cannot store NUL at all (a 500 there), and the others are invisible."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def check_display_name(name: str | None) -> str | None:
    name = " ".join((name or "").split())
    if has_control_characters(name):
        raise InvalidInput("A display name cannot hold control characters.", field="display_name")
    if has_bidi_controls(name):
        raise InvalidInput(f"A display name {BIDI_CONTROLS_REFUSED}", field="display_name")
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise InvalidInput(
            f"A display name has at most {MAX_DISPLAY_NAME_CHARS} characters.",
            field="display_name",
        )
    return name or None


class Accounts:
    def __init__(
        self,
        context: Context,
        mailer: AccountMailer | None = None,
        addresses: Addresses | None = None,
    ) -> None:
        self.context = context
        self.mailer = mailer
        self.addresses = addresses or Addresses(context, mailer)

    @property
    def _db(self) -> Database:
        return self.context.db

    # --- creating accounts -------------------------------------------------------------------

    def sign_up(self, username: str, email: str, password: str, *, client: Client) -> User:
        """A new account with the role "user", and a link mailed to verify its address.
        Raises ``InvalidInput`` (naming the field)."""
        username = check_username(username)
        address = check_email(email)
        check_password(password)
        self.context.limiter.hit(("signup_per_ip", client.who))
        user = self._create(username, address, password, "user")
        self.addresses.send_check(user)
        return user

    def create_user(self, username: str, email: str, password: str, role: str = "user") -> User:
        """For the CLI and admins: any role, no rate limit."""
        if role not in ROLES:
            raise InvalidInput(f"A role is one of {', '.join(ROLES)}.", field="role")
        return self._create(
            check_username(username), check_email(email), check_password(password), role
        )

    def _create(self, username: str, email: str, password: str, role: str) -> User:
        hashed = self.context.passwords.hash(password)
        try:
            with self._db.write() as connection:
                return store.insert_user(
                    connection,
                    username=username,
                    email=email,
                    password_hash=hashed,
                    role=role,
                    now=self.context.clock(),
                )
        except DuplicateUser as exc:
            if exc.field == "username":
                raise InvalidInput("That username is taken.", field="username") from None
            # Saying so for an email address tells whoever types it that the address has an
            # account; sign-up cannot avoid that without email verification of every sign-up,
            # and the message points to the reset form instead of confirming more.
            raise InvalidInput(
                "That email address cannot be used for a new account. If it is yours, "
                "reset your password instead.",
                field="email",
            ) from None

    # --- signing in ----------------------------------------------------------------------------

    def log_in(self, username: str, password: str, *, client: Client) -> User:
        """The account, or ``LoginFailed`` with the same message, status and (near enough)
        time whether the username is unknown, the password wrong or the account disabled."""
        self.context.limiter.hit(("login_per_ip", client.who))
        name = username.strip()[:64]
        # Checked before the password, so a guesser learns nothing once over the limit; keyed
        # by the address too, so the owner elsewhere is never refused for a stranger's guesses.
        self.context.limiter.check("login_failures_per_ip_account", client.trying(name))
        password = password[:MAX_PASSWORD_CHARS]
        with self._db.read() as connection:
            found = store.credentials(connection, name) if USERNAME.fullmatch(name) else None
        if found is None:
            self.context.passwords.burn(password)
        else:
            user, hashed = found
            if self.context.passwords.verify(hashed, password) and user.is_active:
                if self.context.passwords.needs_rehash(hashed):
                    # Parameters were raised since this hash was made: upgrade it now, while
                    # the password is at hand.
                    rehashed = self.context.passwords.hash(password)
                    with self._db.write() as connection:
                        store.set_password_hash(connection, user.id, rehashed)
                return user
        self.context.limiter.hit(("login_failures_per_ip_account", client.trying(name)))
        raise LoginFailed()

    def start_session(self, user: User) -> str:
        """A new session for ``user``: the random token for the cookie (stored hashed)."""
        token = secrets.token_urlsafe(32)
        now = self.context.clock()
        with self._db.write() as connection:
            store.insert_session(connection, digest(token), user.id, now, now + SESSION_TTL)
            # Sweep expired sessions now and then (cheap: an indexed range delete).
            if secrets.randbelow(100) == 0:
                store.delete_expired_sessions(connection, now)
        return token

    def session_user(self, token: str) -> User | None:
        """The account signed in by a session cookie (None: unknown, expired or disabled)."""
        if not token or len(token) > 100:
            return None
        with self._db.read() as connection:
            user = store.user_for_session(connection, digest(token), self.context.clock())
        return user if user is not None and user.is_active else None

    def end_session(self, token: str) -> None:
        with self._db.write() as connection:
            store.delete_session(connection, digest(token))

    # --- CSRF ----------------------------------------------------------------------------------

    def csrf_token(self, anchor: str) -> str:
        """The form token for a session (``anchor``: the session token, or the anonymous
        CSRF cookie's value). An attacker's page can neither read it nor compute it."""
        mac = hmac.new(self.context.key_for("csrf"), anchor.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:CSRF_BYTES]).decode()

    def check_csrf(self, anchor: str, token: str) -> bool:
        return bool(anchor) and hmac.compare_digest(self.csrf_token(anchor), token or "")

    # --- passwords -----------------------------------------------------------------------------

    def change_password(self, user: User, current: str, new: str) -> None:
        self._check_current_password(user, current)
        self._set_password(user.id, check_password(new))

    def _check_current_password(self, user: User, current: str) -> None:
        with self._db.read() as connection:
            hashed = store.password_hash(connection, user.id)
        if hashed is None or not self.context.passwords.verify(hashed, current[:1024]):
            raise InvalidInput("The current password is wrong.", field="current_password")

    def _set_password(self, user_id: int, password: str) -> None:
        hashed = self.context.passwords.hash(password)
        with self._db.write() as connection:
            store.set_password_hash(connection, user_id, hashed)
            # Every session and API token ends: a change or reset is what someone does when
            # the password or a session was stolen, and the thief may have made tokens.
            store.delete_user_sessions(connection, user_id)
            token_store.revoke_all_of(connection, user_id, self.context.clock())

    def reset_link(self, username_or_email: str) -> str:
        """A password-reset link for the account (the CLI prints it for an operator). It is
        bound to the password hash (one use ends it, as does any password change) and to the
        address (a new address ends it)."""
        with self._db.read() as connection:
            text = username_or_email.strip()
            user = store.by_email(connection, text.lower()) if "@" in text else None
            user = user or store.by_username(connection, text)
            if user is None:
                raise NotFound(f"No account {text!r}.")
            hashed = store.password_hash(connection, user.id)
        assert hashed is not None
        token = signed_links.make(
            self.context, RESET_PURPOSE, user.id, RESET_TTL, hashed, user.email
        )
        return f"{self.context.base_url}/reset-password?token={token}"

    def request_reset(self, email: str, *, client: Client) -> bool:
        """Mail a reset link if ``email`` has an account and a mailer is configured. Neither
        the answer (True: a mailer exists) nor its time says whether the address had an
        account: the look-up runs in the background with the mail."""
        self.context.limiter.hit(("reset_per_ip", client.who))
        if self.mailer is None:
            return False
        try:
            address = normalize_address(email)
        except InvalidAddress:
            return True
        self.mailer.post_reset(lambda: self._reset_letter(address))
        return True

    def _reset_letter(self, address: str) -> Letter:
        with self._db.read() as connection:
            user = store.by_email(connection, address)
        if user is None or not user.is_active:
            return None
        return user.email, user.username, self.reset_link(user.username)

    def reset_password(self, token: str, new_password: str) -> User:
        """A new password; the account's address is verified too: the link was mailed to it."""
        user = self.check_reset_token(token)
        self._set_password(user.id, check_password(new_password))
        return self.addresses.mark_verified(user)

    def check_reset_token(self, token: str) -> User:
        invalid = InvalidInput("This reset link is not valid any more: ask for a new one.")
        claim = signed_links.claim_of(token)
        if claim is None:
            raise invalid
        with self._db.read() as connection:
            user = store.by_id(connection, claim.user_id)
            hashed = store.password_hash(connection, claim.user_id)
        if user is None or hashed is None or not user.is_active:
            raise invalid
        if not signed_links.is_valid(self.context, RESET_PURPOSE, claim, hashed, user.email):
            raise invalid
        return user

    # --- the address ---------------------------------------------------------------------------

    def change_email(self, user: User, email: str, current_password: str) -> User:
        """A new address for the account (the current password proves it is the owner
        asking): unverified until the link mailed to it is followed."""
        address = check_email(email)
        self._check_current_password(user, current_password)
        if address == user.email:
            return user
        self.context.limiter.hit(("address_check_per_account", account(user)))
        try:
            with self._db.write() as connection:
                store.set_email(connection, user.id, address)
                updated = store.by_id(connection, user.id)
        except DuplicateUser:
            raise InvalidInput(
                "That email address cannot be used for this account.", field="email"
            ) from None
        assert updated is not None
        self.addresses.send_check(updated)
        return updated

    def request_address_check(self, user: User) -> bool:
        """Mail the link that verifies the account's address again; False without mail."""
        if not self.addresses.can_mail:
            return False
        self.context.limiter.hit(("address_check_per_account", account(user)))
        return self.addresses.send_check(user)

    # --- settings and roles ----------------------------------------------------------------

    def update_settings(self, user: User, *, display_name: str | None, votes_public: bool) -> User:
        name = check_display_name(display_name)
        with self._db.write() as connection:
            store.update_profile(connection, user.id, display_name=name, votes_public=votes_public)
            updated = store.by_id(connection, user.id)
        assert updated is not None
        return updated

    def set_role(self, username: str, role: str) -> User:
        if role not in ROLES:
            raise InvalidInput(f"A role is one of {', '.join(ROLES)}.", field="role")
        with self._db.write() as connection:
            user = store.by_username(connection, username)
            if user is None:
                raise NotFound(f"No account {username!r}.")
            store.set_role(connection, user.id, role)
            updated = store.by_id(connection, user.id)
        assert updated is not None
        return updated

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable an account (it cannot sign in, its sessions end and its tokens are revoked
        at once) or enable it again. Its comments stay; curators hide them if need be."""
        with self._db.write() as connection:
            user = store.by_username(connection, username)
            if user is None:
                raise NotFound(f"No account {username!r}.")
            store.set_disabled(connection, user.id, self.context.clock() if disabled else None)
            if disabled:
                # Ended, not only suspended: enabling the account again brings none back.
                store.delete_user_sessions(connection, user.id)
                token_store.revoke_all_of(connection, user.id, self.context.clock())
            updated = store.by_id(connection, user.id)
        assert updated is not None
        return updated

    def by_username(self, username: str) -> User | None:
        if not USERNAME.fullmatch(username):
            return None
        with self._db.read() as connection:
            return store.by_username(connection, username)
