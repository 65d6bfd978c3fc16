"""``MailQueue``: the mail a request causes (confirmations, password resets, address checks),
sent by a thread of its own, so that no request waits on the mail server (DESIGN.md §2).

A request posts what composes a message and returns. Composing runs on the queue's thread
too, database look-ups included: a request that mails and one that does not then cost the
same, so the reset form's timing cannot tell whether an address has an account.

Temporary failures (4xx, a refused or broken connection) are tried again after
``RETRY_DELAYS_S``; a message that still fails, or fails for good (5xx), is logged and the
poster's ``on_failure`` is told (the subscription form then lets its address ask again at once).

The queue is in memory, per process, and bounded (``MAX_QUEUED``; past it a message is dropped
and logged): these mails are worth a minute or two (a reset link lives an hour), the person
asks again if one is lost in a restart, and their links (secrets) are never written to disk.
Digests, which must survive restarts and go out exactly once, have the database outbox
(delivery.py).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from paperboard.mail.message import OutgoingMessage
from paperboard.mail.sender import (
    DeliveryError,
    MailSender,
    TemporaryFailure,
    UncertainDelivery,
    send_one,
)

log = logging.getLogger(__name__)

Compose = Callable[[], OutgoingMessage | None]
OnFailure = Callable[[DeliveryError], None]

MAX_QUEUED = 1000
# Greylisting servers ask again after a minute or more; past the last try the mail is dropped.
RETRY_DELAYS_S = (15.0, 60.0, 300.0)
# How long closing waits for mail that is due to go out (a reset posted just before a restart).
CLOSE_WAIT_S = 5.0


@dataclass(order=True)
class _Job:
    due: float
    order: int
    compose: Compose = field(compare=False)
    on_failure: OnFailure | None = field(compare=False)
    message: OutgoingMessage | None = field(default=None, compare=False)  # composed once
    failures: int = field(default=0, compare=False)


class MailQueue:
    def __init__(
        self,
        sender: MailSender,
        *,
        capacity: int = MAX_QUEUED,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.capacity = capacity
        self.retry_delays_s = retry_delays_s
        self._clock = clock
        self._jobs: list[_Job] = []  # a heap, soonest due first
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._sending = False
        self._closed = False
        # Started by the first post: a CLI command that mails nothing starts no thread.
        self._thread: threading.Thread | None = None

    def post(self, compose: Compose, *, on_failure: OnFailure | None = None) -> bool:
        """Compose (None: nothing to send) and send in the background; False when the queue is
        full or closed (the mail is dropped, and logged)."""
        with self._changed:
            if self._closed or len(self._jobs) >= self.capacity:
                log.warning(
                    "mail queue %s: a message was dropped", "closed" if self._closed else "full"
                )
                return False
            job = _Job(self._clock(), next(self._order), compose, on_failure)
            heapq.heappush(self._jobs, job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="paperboard-mail", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        return True

    def wait_idle(self, timeout_s: float) -> bool:
        """True once nothing is queued or being sent (a retry waiting counts as queued)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._jobs or self._sending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def close(self, timeout_s: float = CLOSE_WAIT_S) -> None:
        """Send what is due now (for at most ``timeout_s``), drop retries that are not, stop."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        with self._changed:
            if self._jobs:
                log.warning("mail queue closed: %d message(s) not sent", len(self._jobs))

    # --- the sending thread -------------------------------------------------------------------

    def _next(self) -> _Job | None:
        """The next due job, waiting for one; None once closed with nothing due."""
        with self._changed:
            while True:
                now = self._clock()
                if self._jobs and self._jobs[0].due <= now:
                    self._sending = True
                    return heapq.heappop(self._jobs)
                if self._closed:
                    return None
                self._changed.wait(self._jobs[0].due - now if self._jobs else None)

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._attempt(job)
            except Exception:  # a bug in composing or a callback: log it, keep sending
                log.exception("sending a mail failed")
            finally:
                with self._changed:
                    self._sending = False
                    self._changed.notify_all()

    def _attempt(self, job: _Job) -> None:
        if job.message is None:
            job.message = job.compose()
            if job.message is None:
                return
        try:
            send_one(self.sender, job.message)
        except UncertainDelivery as exc:  # most likely delivered: not sent again
            log.warning("mail to %s: %s (not sent again)", job.message.recipient, exc)
        except TemporaryFailure as exc:
            if job.failures < len(self.retry_delays_s):
                delay = self.retry_delays_s[job.failures]
                job.failures += 1
                log.warning(
                    "mail to %s: %s; trying again in %.0f s", job.message.recipient, exc, delay
                )
                with self._changed:
                    job.due = self._clock() + delay
                    heapq.heappush(self._jobs, job)
                return
            self._give_up(job, exc)
        except DeliveryError as exc:
            self._give_up(job, exc)

    def _give_up(self, job: _Job, error: DeliveryError) -> None:
        assert job.message is not None
        log.error("mail to %s not sent: %s", job.message.recipient, error)
        if job.on_failure is not None:
            job.on_failure(error)
