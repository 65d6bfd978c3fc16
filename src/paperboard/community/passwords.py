"""Password hashing with argon2id (argon2-cffi).

Parameters: OWASP's recommended argon2id minimum (19 MiB, 2 passes, 1 lane): ~50-80 ms per
hash on this project's 2-core reference machine. argon2-cffi's own default (RFC 9106's 64 MiB,
4 lanes) took ~450 ms there, which would let a handful of sign-in attempts occupy the server.
Hashes carry their parameters (PHC string), so raising them later re-hashes at next sign-in.

Each hash takes memory_cost of RAM: at most ``MAX_CONCURRENT`` run at once, so a burst of
sign-ins queues instead of exhausting memory or the thread pool.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1
MAX_CONCURRENT = 4
# Longer passwords are refused before hashing (argon2 hashes any length, but a megabyte of
# "password" is only a way to make the server work).
MAX_PASSWORD_CHARS = 1024
MIN_PASSWORD_CHARS = 8


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher(
            time_cost=TIME_COST,
            memory_cost=MEMORY_COST_KIB,
            parallelism=PARALLELISM,
            type=Type.ID,
        )
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        # Verified against when a username is unknown, so that a failed sign-in takes as
        # long whether or not the account exists.
        self._dummy = self.hasher.hash("not a password: timing equaliser")

    def hash(self, password: str) -> str:
        with self._slots:
            return self.hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        with self._slots:
            try:
                return self.hasher.verify(hashed, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, hashed: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time of a verification, for a username that does not exist."""
        self.verify(self._dummy, password)


def fast_passwords() -> Passwords:
    """Cheap parameters for tests (still argon2id): thousands of hashes a second."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID))
