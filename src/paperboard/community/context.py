"""What every community service shares: the database, the clock, hashing, limits, keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from paperboard.community.passwords import Passwords
from paperboard.community.ratelimit import RateLimiter
from paperboard.storage.database import Database


@dataclass
class Context:
    db: Database
    clock: Callable[[], datetime]
    passwords: Passwords
    limiter: RateLimiter
    # PAPERBOARD_SECRET_KEY (or the data dir's key file): each purpose derives its own key
    # from it, so a value signed for one purpose means nothing for another.
    secret_key: bytes
    base_url: str

    def key_for(self, purpose: str) -> bytes:
        return hmac.new(self.secret_key, f"paperboard/{purpose}".encode(), hashlib.sha256).digest()


def digest(token: str) -> str:
    """SHA-256 hex of a random token (sessions, API tokens). A fast hash is right here: the
    tokens have 256 bits of entropy, so there is nothing to brute-force, unlike passwords."""
    return hashlib.sha256(token.encode()).hexdigest()
