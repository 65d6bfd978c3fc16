"""The mail queue (mail/queue.py): what requests mail goes out from a thread of its own, with
retries for temporary failures, and failures reported to whoever posted."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from paperboard.mail.message import OutgoingMessage
from paperboard.mail.queue import MailQueue
from paperboard.mail.sender import (
    DeliveryError,
    InMemorySender,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
)


def message(to: str) -> OutgoingMessage:
    return OutgoingMessage("site@example.org", to, b"Subject: hi\r\n\r\nhello\r\n", f"<{to}>")


@pytest.fixture
def sender() -> InMemorySender:
    return InMemorySender()


@pytest.fixture
def queue(sender: InMemorySender) -> Iterator[MailQueue]:
    made = MailQueue(sender, retry_delays_s=(0.01, 0.01))
    yield made
    made.close()


def test_post_returns_before_the_mail_is_composed_or_sent(
    queue: MailQueue, sender: InMemorySender
) -> None:
    started = threading.Event()
    go_on = threading.Event()

    def compose() -> OutgoingMessage:
        started.set()
        go_on.wait(5)
        return message("ada@example.org")

    assert queue.post(compose)
    assert started.wait(5)
    assert threading.current_thread().name == "MainThread"
    assert sender.messages == [] and not queue.wait_idle(0.05)
    go_on.set()
    assert queue.wait_idle(5)
    assert [m.recipient for m in sender.messages] == ["ada@example.org"]


def test_nothing_to_send_sends_nothing(queue: MailQueue, sender: InMemorySender) -> None:
    assert queue.post(lambda: None)
    assert queue.wait_idle(5) and sender.messages == [] and sender.sessions == 0


def test_temporary_failures_are_tried_again(queue: MailQueue, sender: InMemorySender) -> None:
    failures: list[DeliveryError] = []
    sender.fail("ada@example.org", TemporaryFailure("451 later", 451), TemporaryFailure("421"))
    queue.post(lambda: message("ada@example.org"), on_failure=failures.append)
    assert queue.wait_idle(5)
    assert len(sender.to("ada@example.org")) == 1 and failures == []


def test_failures_are_reported_when_tries_run_out_or_for_good(
    queue: MailQueue, sender: InMemorySender
) -> None:
    failures: list[DeliveryError] = []
    sender.fail("ada@example.org", *(TemporaryFailure("451 later", 451) for _ in range(3)))
    sender.fail("bob@example.org", PermanentFailure("550 no such user", 550))
    queue.post(lambda: message("ada@example.org"), on_failure=failures.append)
    queue.post(lambda: message("bob@example.org"), on_failure=failures.append)
    assert queue.wait_idle(5)
    assert sender.messages == []
    assert sorted(type(f).__name__ for f in failures) == ["PermanentFailure", "TemporaryFailure"]
    assert len(sender.failures["bob@example.org"]) == 0  # one try only: 5xx is for good


def test_an_uncertain_delivery_is_not_sent_again(queue: MailQueue, sender: InMemorySender) -> None:
    failures: list[DeliveryError] = []
    sender.fail("ada@example.org", UncertainDelivery("connection lost after the dot"))
    queue.post(lambda: message("ada@example.org"), on_failure=failures.append)
    assert queue.wait_idle(5)
    assert len(sender.to("ada@example.org")) == 1 and failures == []


def test_a_broken_composer_does_not_stop_the_queue(
    queue: MailQueue, sender: InMemorySender
) -> None:
    def broken() -> OutgoingMessage:
        raise RuntimeError("a bug")

    queue.post(broken)
    queue.post(lambda: message("ada@example.org"))
    assert queue.wait_idle(5)
    assert [m.recipient for m in sender.messages] == ["ada@example.org"]


def test_a_full_or_closed_queue_drops_mail(sender: InMemorySender) -> None:
    started, release = threading.Event(), threading.Event()
    queue = MailQueue(sender, capacity=2)

    def held() -> OutgoingMessage:
        started.set()
        release.wait(5)
        return message("first@example.org")

    try:
        assert queue.post(held)
        assert started.wait(5)  # the first is being composed: two more may wait
        assert queue.post(lambda: message("second@example.org"))
        assert queue.post(lambda: message("third@example.org"))
        assert not queue.post(lambda: message("fourth@example.org"))
    finally:
        release.set()
        queue.close()
    assert [m.recipient for m in sender.messages] == [
        "first@example.org",
        "second@example.org",
        "third@example.org",
    ]
    assert not queue.post(lambda: message("late@example.org"))
