"""Messages as bytes on the wire: RFC 5322 headers and a multipart/alternative body.

Built by hand rather than with ``email.message.EmailMessage`` because a digest run builds
100,000 of them and the structure is fixed: a UTF-8 quoted-printable text part, and an HTML
part sent as 7bit: non-ASCII as character references, lines joined up to RFC 5322's limit.
Quoted-printable cuts lines at 76 characters, and a receiving server handles a message line
by line, so the 7bit form costs the server (and us) several times less per message.
The tests parse every kind of message back with the standard library's parser.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

CRLF = b"\r\n"
# RFC 5322: header lines SHOULD stay within 78 characters (folding below).
HEADER_LINE_CHARS = 78
# RFC 5322: body lines MUST stay within 998 characters; we fold the HTML well below that.
HTML_LINE_CHARS = 900
QUOTED_PRINTABLE = "quoted-printable"
SEVEN_BIT = "7bit"


class HeaderInjection(ValueError):
    """A header value with a line break: refused, never folded into a new header."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message for one recipient: the SMTP envelope and the bytes of the message."""

    sender: str  # MAIL FROM (bare address)
    recipient: str  # RCPT TO (bare address)
    data: bytes  # CRLF line endings; not dot-stuffed (the SMTP session does that)
    message_id: str


def _check(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection("line break in a header value")
    return value


_ENCODED: dict[str, bytes] = {}


def header_line(name: str, value: str) -> bytes:
    """``Name: value`` + CRLF; non-ASCII or long values encoded and folded (RFC 2047)."""
    _check(value)
    if value.isascii() and len(name) + 2 + len(value) <= HEADER_LINE_CHARS:
        return f"{name}: {value}".encode() + CRLF
    key = f"{name}\0{value}"
    found = _ENCODED.get(key)
    if found is None:
        if value.isascii():
            encoded = Header(value, "us-ascii", HEADER_LINE_CHARS, header_name=name).encode(
                linesep="\r\n"
            )
        else:
            encoded = encoded_words(value)
        found = f"{name}: {encoded}".encode() + CRLF
        if len(_ENCODED) > 10_000:  # subjects repeat within a run; do not grow without end
            _ENCODED.clear()
        _ENCODED[key] = found
    return found


# UTF-8 bytes per RFC 2047 encoded word: 52 base64 characters, a 64-character word.
_WORD_BYTES = 39


def encoded_words(value: str) -> str:
    """RFC 2047 "B" encoded words, one per folded line, never splitting a character.

    (``email.header.Header`` does the same but tries both encodings for the shortest and
    took ~15 ms per subject.)"""
    words = []
    chunk = bytearray()
    for char in value:
        data = char.encode()
        if len(chunk) + len(data) > _WORD_BYTES:
            words.append(chunk)
            chunk = bytearray()
        chunk += data
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


def address_header(display: str) -> str:
    """``Name <addr>`` with a non-ASCII name encoded; the address itself must be ASCII."""
    name, address = parseaddr(display)
    return formataddr((name, address), charset="utf-8") if name else address


def list_unsubscribe(https_url: str, mailto_url: str) -> bytes:
    """RFC 2369 ``List-Unsubscribe`` with the https link first (RFC 8058 one-click uses it)."""
    _check(https_url + mailto_url)
    return f"List-Unsubscribe: <{https_url}>,\r\n <{mailto_url}>".encode() + CRLF


@dataclass(frozen=True, slots=True)
class EncodedPart:
    """A body part ready for the wire: its Content-Transfer-Encoding and CRLF lines."""

    encoding: str  # QUOTED_PRINTABLE | SEVEN_BIT
    body: bytes


def quoted_printable(text: str) -> bytes:
    """UTF-8, quoted-printable, CRLF lines of at most 76 characters."""
    body = text.replace("\r\n", "\n").encode()
    return binascii.b2a_qp(body, quotetabs=False, istext=True, header=False).replace(b"\n", CRLF)


# Whitespace that contains a line break: HTML renders any run of it as one space.
_HTML_BREAKS = re.compile(r"[ \t]*(?:\r?\n[ \t]*)+")


def compact_html(html: str) -> str:
    """Runs of whitespace with a line break as one space (the same rendering: no <pre>)."""
    return _HTML_BREAKS.sub(" ", html).rstrip() if "\n" in html else html


def seven_bit_html(html: str) -> bytes | None:
    """The HTML as 7bit lines, or None when it cannot be folded safely.

    Runs of whitespace with a line break become one space (the same rendering, as our mail
    has no <pre>); non-ASCII characters become character references (``&#233;``), which
    HTML decodes in text and attribute values alike; lines are folded only where a tag ends
    and a space follows (``> ``), which is never inside an attribute value of our templates
    (Jinja escapes ``>`` in values): so a line break replaces a space between tags or in
    text, which renders the same.
    """
    data = compact_html(html).encode("ascii", "xmlcharrefreplace")
    lines = []
    start = 0
    while len(data) - start > HTML_LINE_CHARS:
        cut = data.rfind(b"> ", start, start + HTML_LINE_CHARS)
        if cut < 0:
            return None
        lines.append(data[start : cut + 1])
        start = cut + 2
    lines.append(data[start:])
    return CRLF.join(lines) + CRLF


def encode_html(html: str) -> EncodedPart:
    folded = seven_bit_html(html)
    if folded is None:
        return EncodedPart(QUOTED_PRINTABLE, quoted_printable(html))
    return EncodedPart(SEVEN_BIT, folded)


def encode_text(text: str) -> EncodedPart:
    return EncodedPart(QUOTED_PRINTABLE, quoted_printable(text))


def _part(content_type: str, part: EncodedPart) -> list[bytes]:
    return [
        f'Content-Type: {content_type}; charset="utf-8"'.encode() + CRLF,
        f"Content-Transfer-Encoding: {part.encoding}".encode() + CRLF,
        CRLF,
        part.body,
    ]


def build_message(
    *,
    from_header: str,
    to: str,
    subject: str,
    text: str | EncodedPart,
    html: str | EncodedPart,
    message_id: str,
    date: datetime,
    extra_headers: Sequence[bytes] = (),
) -> bytes:
    """A complete message: headers, then a text/plain and a text/html alternative.

    ``text``/``html`` may come encoded already (a digest run encodes the papers shared by
    many messages once; see render.py).
    """
    text_part = text if isinstance(text, EncodedPart) else encode_text(text)
    html_part = html if isinstance(html, EncodedPart) else encode_html(html)
    # Quoted-printable text never holds "=_" (it writes "=" as "=3D"); the HTML is checked.
    boundary = f"=_paperboard_{secrets.token_hex(8)}"
    while boundary.encode() in html_part.body:
        boundary = f"=_paperboard_{secrets.token_hex(8)}"
    head = b"".join(
        [
            header_line("From", from_header),
            header_line("To", to),
            header_line("Subject", subject),
            header_line("Date", format_datetime(date)),
            header_line("Message-ID", message_id),
            *extra_headers,
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode() + CRLF,
        ]
    )
    delimiter = f"--{boundary}".encode() + CRLF
    return b"".join(
        [
            head,
            CRLF,
            delimiter,
            *_part("text/plain", text_part),
            CRLF,
            delimiter,
            *_part("text/html", html_part),
            CRLF,
            f"--{boundary}--".encode(),
            CRLF,
        ]
    )


def message_id(local: str, domain: str) -> str:
    return f"<{local}@{domain}>"
