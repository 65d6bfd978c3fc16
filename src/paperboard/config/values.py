"""How each setting's text is read: the parsers ``SETTINGS`` names, and ``Secret``.

Each raises ``ValueError`` with a message for the user; config/__init__.py names the variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from email.utils import parseaddr
from urllib.parse import urlsplit

from paperboard.domain.addresses import is_valid_address
from paperboard.domain.secret_text import HIDDEN
from paperboard.domain.smtp_url import parse_smtp_url


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true/false (1/0, yes/no, on/off)")


def _parse_int(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value.strip())
        if not minimum <= number <= maximum:
            raise ValueError(f"expected a whole number from {minimum} to {maximum}")
        return number

    return parse


def _parse_database_url(value: str) -> str:
    scheme = urlsplit(value).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ValueError("expected sqlite:///path or postgresql://user:pass@host/db")
    if scheme == "postgres":  # a common spelling that SQLAlchemy does not accept
        value = "postgresql" + value[len("postgres") :]
    return value


def _parse_categories(value: str) -> tuple[str, ...]:
    items = tuple(part for part in value.replace(",", " ").split() if part)
    for item in items:
        if not all(c.isalnum() or c in ".-" for c in item):
            raise ValueError(f"not an arXiv category: {item!r}")
    return items


def _parse_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s):// URL")
    return value.rstrip("/")


class Secret:
    """A secret setting (a password in a URL, a signing key): shown as ``********``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _parse_smtp_url(value: str) -> Secret:
    parse_smtp_url(value)
    return Secret(value.strip())


def _parse_mail_from(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("expected one line")
    _name, address = parseaddr(value)
    if not is_valid_address(address) and not address.endswith("@localhost"):
        raise ValueError("expected an address such as 'paperboard <digest@example.org>'")
    return value.strip()


# Signing keys shorter than this are guessable; `openssl rand -hex 32` makes a good one.
MIN_SECRET_KEY_CHARS = 32
# Production wants at least this much estimated randomness in the key (see
# estimated_entropy_bits): trivial keys score under 25, random 32-hex-digit ones over 90.
MIN_SECRET_KEY_BITS = 64


def _parse_secret_key(value: str) -> Secret:
    if len(value.strip()) < MIN_SECRET_KEY_CHARS:
        raise ValueError(f"expected at least {MIN_SECRET_KEY_CHARS} characters")
    return Secret(value.strip())


def _hidden(_value: str) -> str:
    return HIDDEN


def _parse_embedder(value: str) -> str:
    spec = value.strip()
    if spec in ("minilm-int8", "hashing", "off") or re.fullmatch(r"hashing:\d{1,4}", spec):
        return spec
    if spec.startswith("sentence-transformers:") and spec.partition(":")[2].strip():
        return spec
    raise ValueError("expected minilm-int8, hashing, off or sentence-transformers:MODEL")


def _parse_time_of_day(value: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError("expected HH:MM (24-hour clock, UTC)")
    return time(int(match[1]), int(match[2]))


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_weekday(value: str) -> str:
    lowered = value.strip().lower()
    for day in WEEKDAYS:
        if len(lowered) >= 3 and day.startswith(lowered):
            return day
    raise ValueError("expected a day of the week (monday ... sunday)")
