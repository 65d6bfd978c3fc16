"""Email addresses: what a subscriber may type, normalised so that one mailbox is one row."""

from __future__ import annotations

import re

# RFC 5321 limits: 64 octets of local part, 254 for the whole path without the brackets.
MAX_LOCAL_CHARS = 64
MAX_ADDRESS_CHARS = 254
# The dot-atom of RFC 5322 (no quoted local parts: real subscribers do not use them, and they
# are a favourite of header-injection attempts). ASCII only: we do not speak SMTPUTF8.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


class InvalidAddress(ValueError):
    """Text that is not a deliverable email address."""


def normalize_address(text: str) -> str:
    """The address in the form we store: trimmed and lower-cased.

    Lower-casing the local part is not what RFC 5321 promises, but every mailbox provider
    people use treats it case-insensitively, and it is what stops ``Ada@x.org`` and
    ``ada@x.org`` from becoming two subscriptions of one person.
    """
    address = text.strip()
    if len(address) > MAX_ADDRESS_CHARS or address.count("@") != 1:
        raise InvalidAddress("not an email address")
    local, domain = address.split("@")
    labels = domain.split(".")
    if (
        not 0 < len(local) <= MAX_LOCAL_CHARS
        or not _LOCAL.match(local)
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
    ):
        raise InvalidAddress("not an email address")
    return address.lower()


def is_valid_address(text: str) -> bool:
    try:
        normalize_address(text)
    except InvalidAddress:
        return False
    return True


def address_domain(address: str) -> str:
    return address.rpartition("@")[2]
