"""``PAPERBOARD_SMTP_URL``: ``smtp://user:pass@host:587?starttls=1`` or ``smtps://...``.

Kept free of heavy imports: ``config`` validates the setting with :func:`parse_smtp_url`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

# Well-known ports: plain SMTP submission, and implicit TLS (RFC 8314).
DEFAULT_SMTP_PORT = 25
DEFAULT_SMTPS_PORT = 465
DEFAULT_TIMEOUT_S = 30.0
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    # "ssl": TLS from the first byte (smtps://); "starttls": upgrade after EHLO; "none".
    security: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT_S


def _flag(params: dict[str, list[str]], name: str) -> bool | None:
    if name not in params:
        return None
    value = params[name][-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}= expects 1 or 0")


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse and validate; raises ``ValueError`` with a message fit for the user."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("expected smtp://user:pass@host:587?starttls=1 or smtps://host:465")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    params = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(params) - {"starttls", "timeout"})
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r} (known: starttls, timeout)")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    starttls = _flag(params, "starttls")
    if parts.scheme == "smtps":
        if starttls:
            raise ValueError("smtps:// is TLS already; starttls=1 applies to smtp:// only")
        security = "ssl"
    else:
        # A password is never sent in the clear unless the URL says so (starttls=0).
        security = "starttls" if (starttls if starttls is not None else bool(username)) else "none"
    timeout = DEFAULT_TIMEOUT_S
    if "timeout" in params:
        try:
            timeout = float(params["timeout"][-1])
        except ValueError:
            raise ValueError("timeout= expects seconds") from None
        if not 0 < timeout <= 600:
            raise ValueError("timeout= expects 0 < seconds <= 600")
    default_port = DEFAULT_SMTPS_PORT if security == "ssl" else DEFAULT_SMTP_PORT
    return SmtpConfig(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=username,
        password=password,
        timeout=timeout,
    )
