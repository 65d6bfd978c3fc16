"""Values in Hugging Face's JSON formats (pure): times, ids and user objects.

``web/hf_shapes.py`` (papers) and ``library/hf_shapes.py`` (collections) build their shapes
from these; ids Hugging Face stores and paperboard derives are explained in web/hf_shapes.py.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any


def iso(moment: datetime | None) -> str | None:
    """``2026-11-26T00:00:00.000Z``: UTC, milliseconds, ``Z`` (the format Hugging Face sends)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def object_id(kind: str, *parts: str) -> str:
    """A stable 24-hex-digit id for ``kind`` and ``parts``: BLAKE2b (12 bytes) of
    ``"<kind>:<parts>"``, so ids of different kinds never collide."""
    text = ":".join((kind, *parts))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def hf_user(username: str | None, fullname: str | None) -> dict[str, Any] | None:
    """A Hugging Face user object. ``name`` is the username, as Hugging Face sends it; ``user``
    repeats it because ``huggingface_hub``'s ``User`` reads it from there."""
    if not username:
        return None
    return {
        "_id": object_id("user", username),
        "avatarUrl": None,
        "fullname": fullname or username,
        "name": username,
        "user": username,
        "type": "user",
        "isPro": False,
        "isHf": False,
        "isHfAdmin": False,
        "isMod": False,
    }
