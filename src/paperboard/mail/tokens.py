"""Signed links in emails: ``/subscribe/confirm?token=``, ``/unsubscribe?token=``, manage.

A token is ``<subscriber id>.<expiry>.<signature>``: an HMAC-SHA256 (stdlib ``hmac``, no new
dependency) over the purpose, the id, the expiry and the subscriber's address, keyed by
the installation's signing key (storage/secret_key.py). The purpose in the MAC stops a
confirm token from unsubscribing and the reverse; the address stops a token from outliving the
row it was made for; a confirm token also signs the preferences its mail described, so it
confirms those or nothing. Nothing is stored per token, so links in old emails keep working
(unsubscribe and manage never expire; confirmation links do, after ``CONFIRM_TOKEN_TTL``).
"""

from __future__ import annotations

import base64
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from paperboard.domain.topics import Topics

# Long enough for a weekend away from the inbox, short enough that a leaked link goes stale.
CONFIRM_TOKEN_TTL = timedelta(days=7)
# 24 bytes of HMAC-SHA256: far beyond guessing, short enough for a tidy link.
SIGNATURE_BYTES = 24
NEVER = 0


class Purpose(Enum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    MANAGE = "manage"


class InvalidToken(ValueError):
    """A token that is malformed, forged, for another purpose or address, or expired."""


@dataclass(frozen=True, slots=True)
class TokenClaim:
    subscriber_id: int
    expires: int  # Unix seconds; NEVER (0) for links that do not expire
    signature: str


def preferences_binding(frequency: str, topics: Topics) -> str:
    """What a confirmation link is for, as signed text: the link confirms these preferences
    and no others (a later request for the address cannot change what it confirms)."""
    interest = topics.interest or ""
    return json.dumps([frequency, list(topics.categories), list(topics.keywords), interest])


def _signature(
    key: bytes, purpose: Purpose, subscriber_id: int, expires: int, email: str, binding: str
) -> str:
    message = f"paperboard/{purpose.value}/{subscriber_id}/{expires}/{email}"
    # Unbound tokens (unsubscribe, manage) sign what they always did: links in old mails work.
    if binding:
        message += f"/{binding}"
    digest = hmac.digest(key, message.encode(), "sha256")[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(
    key: bytes,
    purpose: Purpose,
    subscriber_id: int,
    email: str,
    *,
    now: datetime | None = None,
    ttl: timedelta | None = None,
    binding: str = "",
) -> str:
    """``binding``: more that the token is only valid with (see :func:`preferences_binding`)."""
    expires = NEVER
    if ttl is not None:
        expires = int(((now or datetime.now(UTC)) + ttl).timestamp())
    signature = _signature(key, purpose, subscriber_id, expires, email, binding)
    return f"{subscriber_id}.{expires}.{signature}"


def parse_token(token: str) -> TokenClaim:
    """Split a token; the signature is checked by :func:`check_token` once the row is read."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise InvalidToken("malformed link")
    if len(parts[0]) > 18 or len(parts[1]) > 12:
        raise InvalidToken("malformed link")
    return TokenClaim(int(parts[0]), int(parts[1]), parts[2])


def check_token(
    key: bytes,
    purpose: Purpose,
    claim: TokenClaim,
    email: str,
    *,
    now: datetime | None = None,
    binding: str = "",
) -> None:
    expected = _signature(key, purpose, claim.subscriber_id, claim.expires, email, binding)
    if not hmac.compare_digest(expected, claim.signature):
        if binding:
            raise InvalidToken(
                "this link is not valid: if the address was entered again since, the newer "
                "confirmation email has the link that works"
            )
        raise InvalidToken("this link is not valid")
    moment = (now or datetime.now(UTC)).timestamp()
    if claim.expires != NEVER and moment > claim.expires:
        raise InvalidToken("this link has expired")
