"""Abuse limits: per account and per IP, for sign-up, sign-in, submit, vote and comment.

Fixed windows counted in the database (storage/ratelimits.py), so every web process and
machine counts against one limit. A fixed window lets a burst of up to twice the limit
straddle a window's end; that is fine for abuse limits, and it costs one upsert per action
(a sliding log would cost a row per action).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

from paperboard.community.errors import RateLimited
from paperboard.storage import ratelimits as store
from paperboard.storage.database import Database

# Expired counters are deleted every this many hits (per process): the table stays small.
PURGE_EVERY = 500


@dataclass(frozen=True, slots=True)
class Rule:
    limit: int  # actions allowed per window
    window_s: int


@dataclass(frozen=True)
class Limits:
    """The limits, named by action and scope. Generous for people, tight for scripts."""

    signup_per_ip: Rule = Rule(10, 3600)
    # Every sign-in attempt from an address, whatever the name: spraying one password over
    # many names, or many over one, stays slow.
    login_per_ip: Rule = Rule(30, 600)
    # Failures only, keyed by the address *and* the name typed (whether or not it exists).
    # Never by the name alone: a stranger's guesses would then lock the owner out.
    login_failures_per_ip_account: Rule = Rule(10, 900)
    reset_per_ip: Rule = Rule(5, 3600)
    # Links that verify an address, asked for again or for a new address.
    address_check_per_account: Rule = Rule(5, 3600)
    submit_per_account: Rule = Rule(20, 3600)
    submit_per_ip: Rule = Rule(60, 3600)
    vote_per_account: Rule = Rule(120, 60)
    vote_per_ip: Rule = Rule(600, 60)
    comment_per_account: Rule = Rule(10, 60)
    comment_per_ip: Rule = Rule(30, 60)
    token_per_account: Rule = Rule(10, 3600)
    # The personal layer (library/): collection edits, follows and dismissals, and imports
    # (each parses a file of up to library.exchange.MAX_IMPORT_BYTES).
    library_per_account: Rule = Rule(300, 60)
    import_per_account: Rule = Rule(20, 3600)

    @classmethod
    def unlimited(cls) -> Limits:
        """For load tests and benchmarks: every rule far out of reach."""
        big = Rule(10**9, 60)
        return cls(**{f.name: big for f in fields(cls)})

    def with_rules(self, **rules: Rule) -> Limits:
        return replace(self, **rules)


class RateLimiter:
    def __init__(
        self,
        db: Database,
        limits: Limits | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.limits = limits or Limits()
        self.clock = clock
        self._hits = 0

    def _key(self, name: str, rule: Rule, who: str, now: float) -> tuple[str, float]:
        window = int(now // rule.window_s)
        # ``who`` may carry what someone typed (a username at log-in): PostgreSQL text cannot
        # hold NUL, and a key with one failed the request (a 500) instead of counting it.
        who = who[:120].replace("\x00", "\ufffd")
        return f"{name}:{who}:{window}", (window + 1) * rule.window_s

    def hit(self, *checks: tuple[str, str]) -> None:
        """Count one action against each ``(rule name, who)``; raise :class:`RateLimited`
        (with the longest wait) if any is over its limit. ``who`` is e.g. ``"ip:1.2.3.4"``."""
        now = self.clock()
        moment = now.timestamp()
        waits = []
        with self.db.write() as connection:
            for name, who in checks:
                rule: Rule = getattr(self.limits, name)
                key, ends = self._key(name, rule, who, moment)
                expires_at = datetime.fromtimestamp(ends, UTC)
                if store.hit(connection, key, expires_at) > rule.limit:
                    waits.append(ends - moment)
            self._hits += 1
            if self._hits % PURGE_EVERY == 0:
                store.purge_expired(connection, now)
        if waits:
            raise RateLimited(max(waits))

    def check(self, name: str, who: str) -> None:
        """Raise :class:`RateLimited` if ``who`` already used up ``name``'s limit (counts
        nothing: the caller counts with :meth:`hit` when the action fails)."""
        rule: Rule = getattr(self.limits, name)
        moment = self.clock().timestamp()
        key, ends = self._key(name, rule, who, moment)
        with self.db.read() as connection:
            used = store.peek(connection, key)
        if used >= rule.limit:
            raise RateLimited(ends - moment)
