"""Hardened XML parsing: no entity expansion, no external entities (defusedxml)."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from paperboard.ingest.errors import SourceError


def parse_xml(data: bytes, what: str) -> Element:
    """Parse ``data`` or raise :class:`SourceError` naming ``what`` and the problem."""
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise SourceError(f"{what}: refused unsafe XML ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise SourceError(f"{what}: malformed XML ({exc})") from exc


def text_of(element: Element | None) -> str | None:
    """The stripped text of an element, or None when it is absent or empty."""
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None
