"""Accounts and their sign-in sessions. Passwords arrive here already hashed (community/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperboard.storage.schema import sessions, users

ROLES = ("user", "curator", "admin")


class DuplicateUser(ValueError):
    """The username or the email address belongs to another account. ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already in use")
        self.field = field


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str
    display_name: str | None
    role: str
    votes_public: bool
    created_at: datetime
    disabled_at: datetime | None
    # None until the owner follows the link mailed to ``email`` (changing it resets this).
    email_verified_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        """Whether ``email`` is proven to be the account owner's: only then is anything bound
        to the address (its digest subscription) shown to the account."""
        return self.email_verified_at is not None

    @property
    def name(self) -> str:
        """What pages show: the display name, else the username."""
        return self.display_name or self.username

    @property
    def is_curator(self) -> bool:
        """Curators and admins moderate (admins can do everything curators can)."""
        return self.role in ("curator", "admin")

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.display_name,
    users.c.role,
    users.c.votes_public,
    users.c.created_at,
    users.c.disabled_at,
    users.c.email_verified_at,
)


def row_to_user(row: Any) -> User:
    data = row._mapping
    return User(
        id=data["id"],
        username=data["username"],
        email=data["email"],
        display_name=data["display_name"],
        role=data["role"],
        votes_public=bool(data["votes_public"]),
        created_at=data["created_at"],
        disabled_at=data["disabled_at"],
        email_verified_at=data["email_verified_at"],
    )


def insert_user(
    connection: Connection,
    *,
    username: str,
    email: str,
    password_hash: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
) -> User:
    """Create an account; raises :class:`DuplicateUser` if the username or email is taken.

    The unique constraints decide (two sign-ups racing for one name: one wins); the look-ups
    before the insert only say which field collided.
    """
    key = username.lower()
    if connection.execute(select(users.c.id).where(users.c.username_key == key)).first():
        raise DuplicateUser("username")
    if connection.execute(select(users.c.id).where(users.c.email == email)).first():
        raise DuplicateUser("email")
    values = {
        "username": username,
        "username_key": key,
        "email": email,
        "display_name": display_name,
        "password_hash": password_hash,
        "role": role,
        "votes_public": True,
        "created_at": now,
    }
    try:
        with connection.begin_nested():
            user_id = connection.execute(users.insert().values(values)).inserted_primary_key[0]
    except IntegrityError:
        raise DuplicateUser("username or email") from None
    found = by_id(connection, user_id)
    assert found is not None
    return found


def by_id(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(select(*USER_COLUMNS).where(users.c.id == user_id)).first()
    return row_to_user(row) if row else None


def by_username(connection: Connection, username: str) -> User | None:
    query = select(*USER_COLUMNS).where(users.c.username_key == username.lower())
    row = connection.execute(query).first()
    return row_to_user(row) if row else None


def by_email(connection: Connection, email: str) -> User | None:
    row = connection.execute(select(*USER_COLUMNS).where(users.c.email == email)).first()
    return row_to_user(row) if row else None


def set_email(connection: Connection, user_id: int, email: str) -> None:
    """A new address, not verified; raises :class:`DuplicateUser` if another account has it.
    Setting the address it has already changes nothing (a verified one stays verified)."""
    taken = select(users.c.id).where(users.c.email == email, users.c.id != user_id)
    if connection.execute(taken).first():
        raise DuplicateUser("email")
    try:
        with connection.begin_nested():
            connection.execute(
                update(users)
                .where(users.c.id == user_id, users.c.email != email)
                .values(email=email, email_verified_at=None)
            )
    except IntegrityError:
        raise DuplicateUser("email") from None


def mark_email_verified(connection: Connection, user_id: int, email: str, now: datetime) -> None:
    """``email`` is the owner's, if it is still the account's address (idempotent: the first
    verification time is kept)."""
    connection.execute(
        update(users)
        .where(users.c.id == user_id, users.c.email == email, users.c.email_verified_at.is_(None))
        .values(email_verified_at=now)
    )


def credentials(connection: Connection, username: str) -> tuple[User, str] | None:
    """The account and its password hash, for signing in."""
    query = select(*USER_COLUMNS, users.c.password_hash).where(
        users.c.username_key == username.lower()
    )
    row = connection.execute(query).first()
    return (row_to_user(row), row.password_hash) if row else None


def password_hash(connection: Connection, user_id: int) -> str | None:
    query = select(users.c.password_hash).where(users.c.id == user_id)
    return connection.execute(query).scalar_one_or_none()


def set_password_hash(connection: Connection, user_id: int, hashed: str) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(password_hash=hashed))


def update_profile(
    connection: Connection, user_id: int, *, display_name: str | None, votes_public: bool
) -> None:
    statement = (
        update(users)
        .where(users.c.id == user_id)
        .values(display_name=display_name, votes_public=votes_public)
    )
    connection.execute(statement)


def set_role(connection: Connection, user_id: int, role: str) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(role=role))


def set_disabled(connection: Connection, user_id: int, when: datetime | None) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(disabled_at=when))


def count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(users)).scalar_one()


# --- sessions ----------------------------------------------------------------------------------


def insert_session(
    connection: Connection, token_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> None:
    connection.execute(
        sessions.insert().values(
            token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
        )
    )


def user_for_session(connection: Connection, token_hash: str, now: datetime) -> User | None:
    """The signed-in account of an unexpired session (None for unknown or expired ones)."""
    query = (
        select(*USER_COLUMNS)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
    )
    row = connection.execute(query).first()
    return row_to_user(row) if row else None


def delete_session(connection: Connection, token_hash: str) -> None:
    connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def delete_user_sessions(connection: Connection, user_id: int) -> None:
    connection.execute(delete(sessions).where(sessions.c.user_id == user_id))


def delete_expired_sessions(connection: Connection, now: datetime) -> int:
    return connection.execute(delete(sessions).where(sessions.c.expires_at <= now)).rowcount
