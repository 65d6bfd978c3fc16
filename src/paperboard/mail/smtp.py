"""The SMTP ``MailSender`` (smtplib): STARTTLS or implicit TLS per ``PAPERBOARD_SMTP_URL``.

One connection per session; a session sends a batch of messages over it (RSET-free: each
transaction is MAIL, RCPT, DATA). The DATA phase is done by hand instead of with
``smtplib.SMTP.data`` so that ``handing_over`` runs between the body and the final ``.``:
until that dot the server discards everything if the connection drops, so a crash before it
loses nothing and a crash after it cannot resend (see ``delivery.py``).

Reply codes: 4xx, refused or broken connections are temporary (retry later); 5xx to RCPT or
to the message is permanent (the address bounces); 5xx to MAIL FROM is about *our* sender
address, not the recipient, so it is treated as temporary and logged loudly.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from paperboard.domain.smtp_url import SmtpConfig, parse_smtp_url
from paperboard.mail.message import OutgoingMessage
from paperboard.mail.sender import (
    DeliveryError,
    HandingOver,
    MailSession,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
)

log = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"(?m)^\.")


def dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 4.5.2: a line that starts with "." gets another; the body ends with CRLF."""
    stuffed = _LEADING_DOT.sub(b"..", data) if data[:1] == b"." or b"\n." in data else data
    return stuffed if stuffed.endswith(b"\r\n") else stuffed + b"\r\n"


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


# "Service not available, closing transmission channel": the server hangs up (often after a
# per-connection message limit); the next message needs a new connection.
SERVICE_CLOSING = 421


def classify(code: int, reply: bytes | str, stage: str) -> DeliveryError:
    message = f"{stage}: {code} {_reply_text(reply)}"
    if code == SERVICE_CLOSING:
        return TemporaryFailure(message, code, connection=True)
    if 500 <= code < 600 and stage != "MAIL FROM":
        return PermanentFailure(message, code)
    if 500 <= code < 600:
        log.error("the mail server refuses our sender address: %s", message)
    return TemporaryFailure(message, code)


class SmtpSender:
    def __init__(
        self,
        config: SmtpConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.config = config
        # Certificates are verified by default; tests pass a context that trusts theirs.
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.local_hostname = local_hostname

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> SmtpSender:
        return cls(parse_smtp_url(url), **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        session = SmtpSession(self)
        try:
            yield session
        finally:
            session.close()

    def connect(self) -> smtplib.SMTP:
        """An open, authenticated connection; ``TemporaryFailure(connection=True)`` if not."""
        config = self.config
        try:
            if config.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    local_hostname=self.local_hostname,
                    timeout=config.timeout,
                    context=self.ssl_context,
                )
            else:
                smtp = smtplib.SMTP(
                    config.host,
                    config.port,
                    local_hostname=self.local_hostname,
                    timeout=config.timeout,
                )
            try:
                # The body and the final dot go out in two writes (see SmtpSession.send): with
                # Nagle's algorithm the dot would wait for the ACK of the body, which the
                # server delays (~40 ms a message).
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                smtp.ehlo()
                if config.security == "starttls":
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if config.username:
                    smtp.login(config.username, config.password or "")
            except BaseException:
                _quietly_close(smtp)
                raise
        except smtplib.SMTPResponseException as exc:
            raise TemporaryFailure(
                f"connect: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                exc.smtp_code,
                connection=True,
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{config.host}:{config.port}"
            raise TemporaryFailure(f"connect to {where}: {exc}", connection=True) from exc
        return smtp


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with suppress(OSError):
        smtp.close()


class SmtpSession:
    def __init__(self, sender: SmtpSender) -> None:
        self._sender = sender
        self._smtp: smtplib.SMTP | None = None

    def _drop(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """After a refused step, RSET so that the next transaction starts clean."""
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def send(self, message: OutgoingMessage, handing_over: HandingOver | None = None) -> None:
        if self._smtp is None:
            self._smtp = self._sender.connect()  # reconnects after a dropped connection
        smtp = self._smtp
        try:
            # Addresses were validated when stored (domain/addresses.py): sent as they are,
            # without smtplib's re-parsing (``quoteaddr``), a measurable cost per message.
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.docmd("MAIL", f"FROM:<{message.sender}>")
            if code != 250:
                self._reset(smtp)
                raise classify(code, reply, "MAIL FROM")
            code, reply = smtp.docmd("RCPT", f"TO:<{message.recipient}>")
            if code not in (250, 251):
                self._reset(smtp)
                raise classify(code, reply, "RCPT TO")
            code, reply = smtp.docmd("DATA")
            if code != 354:
                self._reset(smtp)
                raise classify(code, reply, "DATA")
            smtp.send(dot_stuffed(message.data))
        except DeliveryError as exc:
            if isinstance(exc, TemporaryFailure) and exc.connection:
                self._drop()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryFailure(f"connection lost: {exc}", connection=True) from exc
        if handing_over is not None:
            try:
                handing_over()
            except BaseException:
                # Closing without the final dot makes the server discard the message.
                self._drop()
                raise
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:  # TimeoutError is an OSError
            self._drop()
            raise UncertainDelivery(f"no reply after the message was sent: {exc}") from exc
        if code != 250:
            error = classify(code, reply, "message")
            if isinstance(error, TemporaryFailure) and error.connection:
                self._drop()
            raise error
