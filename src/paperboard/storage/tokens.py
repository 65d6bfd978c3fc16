"""API tokens, stored as SHA-256 digests (the token itself is shown once, at creation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from paperboard.storage.schema import api_tokens, users
from paperboard.storage.users import USER_COLUMNS, User, row_to_user


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None  # None: never

    def state_at(self, now: datetime) -> str:
        """ "revoked", "expired" or "active"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
    api_tokens.c.expires_at,
)


def insert_token(
    connection: Connection,
    *,
    user_id: int,
    name: str,
    token_hash: str,
    prefix: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> int:
    values = {
        "user_id": user_id,
        "name": name,
        "token_hash": token_hash,
        "prefix": prefix,
        "created_at": now,
        "expires_at": expires_at,
    }
    return connection.execute(api_tokens.insert().values(values)).inserted_primary_key[0]


def user_for_token(connection: Connection, token_hash: str) -> tuple[User, TokenInfo] | None:
    """The owner of an unrevoked token, and the token."""
    query = (
        select(*USER_COLUMNS, *(c.label(f"t_{c.name}") for c in _TOKEN_COLUMNS))
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    data = row._mapping
    info = TokenInfo(**{c.name: data[f"t_{c.name}"] for c in _TOKEN_COLUMNS})
    return row_to_user(row), info


def touch(connection: Connection, token_id: int, now: datetime) -> None:
    connection.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now)
    )


def tokens_of(connection: Connection, user_id: int) -> list[TokenInfo]:
    query = (
        select(*_TOKEN_COLUMNS)
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    )
    return [TokenInfo(**row._mapping) for row in connection.execute(query)]


def token_by_id(connection: Connection, token_id: int) -> TokenInfo | None:
    row = connection.execute(select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id)).first()
    return TokenInfo(**row._mapping) if row else None


def revoke(connection: Connection, token_id: int, now: datetime) -> bool:
    """Revoke a token; False if it was unknown or already revoked."""
    statement = (
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return connection.execute(statement).rowcount == 1


def revoke_all_of(connection: Connection, user_id: int, now: datetime) -> int:
    """Revoke every unrevoked token of an account; returns how many."""
    statement = (
        update(api_tokens)
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return connection.execute(statement).rowcount
