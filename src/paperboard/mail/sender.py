"""The ``MailSender`` interface, its failures, and an in-memory implementation.

A sender opens sessions (one SMTP connection each); a session sends messages one by one.
``send`` calls ``handing_over`` at the last moment before the message becomes the server's
(for SMTP: after the body, before the final ``.``): the outbox records "sending" there, so
that a crash before that point is safely retried and a crash after it is never resent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from paperboard.mail.message import OutgoingMessage

HandingOver = Callable[[], None]


class DeliveryError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(DeliveryError):
    """The server did not take the message and may later (4xx, connection refused): retry."""

    def __init__(self, message: str, code: int | None = None, *, connection: bool = False):
        super().__init__(message, code)
        # True when the connection failed or broke: the server is unavailable, not just busy
        # with this one recipient.
        self.connection = connection


class PermanentFailure(DeliveryError):
    """The server refused this recipient or message for good (5xx): stop mailing the address."""


class UncertainDelivery(DeliveryError):
    """The connection broke after the message was handed over: it may have been delivered."""


class MailSession(Protocol):
    def send(self, message: OutgoingMessage, handing_over: HandingOver | None = None) -> None:
        """Deliver ``message`` or raise a ``DeliveryError``. An exception raised by
        ``handing_over`` aborts the message before the server takes it, and propagates."""
        ...


class MailSender(Protocol):
    def session(self) -> AbstractContextManager[MailSession]: ...


def send_one(sender: MailSender, message: OutgoingMessage) -> None:
    with sender.session() as session:
        session.send(message)


class InMemorySender:
    """Keeps messages in a list. ``fail`` scripts failures per recipient, oldest first."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.failures: dict[str, list[DeliveryError]] = {}
        self.sessions = 0
        self._lock = threading.Lock()

    def fail(self, recipient: str, *errors: DeliveryError) -> None:
        self.failures.setdefault(recipient, []).extend(errors)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        with self._lock:
            self.sessions += 1
        yield _InMemorySession(self)

    def to(self, recipient: str) -> list[OutgoingMessage]:
        return [m for m in self.messages if m.recipient == recipient]


class _InMemorySession:
    def __init__(self, owner: InMemorySender) -> None:
        self._owner = owner

    def send(self, message: OutgoingMessage, handing_over: HandingOver | None = None) -> None:
        with self._owner._lock:
            scripted = self._owner.failures.get(message.recipient)
            error = scripted.pop(0) if scripted else None
        if error is not None and not isinstance(error, UncertainDelivery):
            raise error
        if handing_over is not None:
            handing_over()
        with self._owner._lock:
            self._owner.messages.append(message)
        if error is not None:  # delivered, but the sender never heard back
            raise error
