"""Links mailed to account holders (a password reset, an address check): ``user id . expiry .
MAC``, where the MAC (HMAC-SHA256, 192 bits) is made with a key for the link's purpose over the
id, the expiry and what the link is bound to: the address it was mailed to (a link stops
working once the account's address changes) and, for a reset, the password hash too (so that
using it, or any password change, ends it). Nothing is stored per link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from paperboard.community.context import Context

MAC_BYTES = 24
# A user id and a Unix time have at most this many digits; longer is a forgery.
MAX_ID_DIGITS = 18
MAX_EXPIRY_DIGITS = 12


@dataclass(frozen=True, slots=True)
class Claim:
    """What a link says, before it is checked."""

    user_id: int
    expires: int
    mac: str


def make(context: Context, purpose: str, user_id: int, ttl: timedelta, *bound: str) -> str:
    expires = int((context.clock() + ttl).timestamp())
    return f"{user_id}.{expires}.{_mac(context, purpose, user_id, expires, bound)}"


def claim_of(token: str) -> Claim | None:
    """The link's parts, or None when it has not the shape of one."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    user_id, expires, mac = parts
    # isascii: str.isdigit() also takes digits int() refuses ("²").
    if not (user_id.isascii() and user_id.isdigit() and expires.isascii() and expires.isdigit()):
        return None
    if len(user_id) > MAX_ID_DIGITS or len(expires) > MAX_EXPIRY_DIGITS:
        return None
    return Claim(int(user_id), int(expires), mac)


def is_valid(context: Context, purpose: str, claim: Claim, *bound: str) -> bool:
    """Not expired, and signed for ``purpose`` over these bound values (constant time)."""
    if context.clock().timestamp() > claim.expires:
        return False
    expected = _mac(context, purpose, claim.user_id, claim.expires, bound)
    return hmac.compare_digest(expected, claim.mac)


def _mac(context: Context, purpose: str, user_id: int, expires: int, bound: tuple[str, ...]) -> str:
    message = "/".join([str(user_id), str(expires), *bound]).encode()
    mac = hmac.new(context.key_for(purpose), message, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:MAC_BYTES]).decode().rstrip("=")
