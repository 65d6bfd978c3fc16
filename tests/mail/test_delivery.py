"""The digest outbox and its runs, on SQLite and PostgreSQL, against a real SMTP server:
idempotent enqueueing, leases, kill -9 and rerun, temporary and permanent SMTP failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from paperboard.domain.periods import parse_day, parse_week
from paperboard.domain.smtp_url import SmtpConfig
from paperboard.domain.topics import Topics
from paperboard.jobs.digests import Schedule, tick
from paperboard.mail.delivery import MAX_ATTEMPTS, DigestRun, retry_delay, run_digest
from paperboard.mail.sender import InMemorySender, TemporaryFailure, UncertainDelivery
from paperboard.mail.smtp import SmtpSender
from paperboard.storage import outbox as store
from paperboard.storage import subscriptions
from paperboard.storage.database import Database
from tests.conftest import PROJECT_ROOT
from tests.digest_helpers import DAY, NOW, add_subscribers, load_board, mail_config, parse, parts
from tests.mailserver import Received, Recorder, SmtpServer, free_port, serve_smtp

PERIOD = parse_day(DAY.isoformat())


def emails(n: int, prefix: str = "reader") -> list[str]:
    return [f"{prefix}{i:03d}@example.org" for i in range(n)]


def smtp(server: SmtpServer) -> SmtpSender:
    return SmtpSender(SmtpConfig(server.host, server.port, "none", timeout=10))


def states(db: Database) -> dict[str, int]:
    with db.read() as connection:
        return store.counts(connection)


def subscriber_status(db: Database, email: str) -> str:
    with db.read() as connection:
        found = subscriptions.get_by_email(connection, email)
    assert found is not None
    return found.status


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def board(db: Database) -> Database:
    load_board(db)
    return db


# --- storage --------------------------------------------------------------------------------------


def test_enqueue_is_idempotent_and_only_for_confirmed(board: Database) -> None:
    add_subscribers(board, emails(3))
    add_subscribers(board, emails(2, "weekly"), frequency="weekly")
    with board.write() as connection:
        pending = subscriptions.request(
            connection, "pending@example.org", "daily", Topics(), NOW, resend_after=NOW
        )
        assert pending.status == "pending"
        assert store.enqueue(connection, "daily", PERIOD.key, NOW) == 3
        assert store.enqueue(connection, "daily", PERIOD.key, NOW) == 0
        assert store.enqueue(connection, "weekly", "2024-W24", NOW) == 2
    assert states(board) == {"pending": 5}


def test_claims_are_disjoint_and_fenced(board: Database) -> None:
    add_subscribers(board, emails(5))
    lease = timedelta(minutes=5)
    with board.write() as connection:
        store.enqueue(connection, "daily", PERIOD.key, NOW)
        first = store.claim(connection, "run-a", NOW, lease, 3)
        second = store.claim(connection, "run-b", NOW, lease, 3)
        none_left = store.claim(connection, "run-c", NOW, lease, 3)
    assert [r.email for r in first] == emails(3)
    assert [r.email for r in second] == emails(5)[3:]
    assert none_left == []
    row = first[0]
    with board.write() as connection:
        # Another run cannot send a row it does not hold.
        assert not store.mark_sending(connection, row.id, "run-b", NOW, lease)
        # After the lease expires another run may claim it; the first run then may not send.
        later = NOW + lease + timedelta(seconds=1)
        (taken,) = store.claim(connection, "run-c", later, lease, 1)
        assert taken.id == row.id
        assert not store.mark_sending(connection, row.id, "run-a", later, lease)
        assert store.mark_sending(connection, row.id, "run-c", later, lease)
        store.mark_sent(connection, row.id, "run-c", later)
    assert states(board) == {"pending": 4, "sent": 1}


def test_stale_sending_rows_become_uncertain(board: Database) -> None:
    add_subscribers(board, emails(2))
    lease = timedelta(minutes=5)
    with board.write() as connection:
        store.enqueue(connection, "daily", PERIOD.key, NOW)
        rows = store.claim(connection, "dead-run", NOW, lease, 2)
        assert store.mark_sending(connection, rows[0].id, "dead-run", NOW, lease)
        assert store.recover_stale(connection, NOW + timedelta(minutes=1)) == 0
        assert store.recover_stale(connection, NOW + lease + timedelta(seconds=1)) == 1
        # The pending one, its lease expired, is claimable again.
        (again,) = store.claim(connection, "rerun", NOW + lease * 2, lease, 5)
    assert again.id == rows[1].id
    assert states(board) == {"pending": 1, "uncertain": 1}


# --- runs against aiosmtpd --------------------------------------------------------------------


def test_a_run_sends_each_subscriber_its_digest(board: Database) -> None:
    add_subscribers(board, emails(4))
    add_subscribers(board, ["nlp@example.org"], topics=Topics(categories=("cs.CL",)))
    add_subscribers(board, ["quantum@example.org"], topics=Topics(keywords=("quantum",)))
    add_subscribers(board, ["weekly@example.org"], frequency="weekly")
    with serve_smtp() as server:
        report = run_digest(board, smtp(server), mail_config(), "daily", PERIOD, clock=Clock())
        assert (report.enqueued, report.sent, report.skipped, report.failures) == (6, 5, 1, 0)
        assert report.skip_reasons == {"no papers on the topics": 1}
        assert sorted(server.recorder.recipients()) == sorted([*emails(4), "nlp@example.org"])
        (nlp,) = server.recorder.to("nlp@example.org")
        text, _html = parts(nlp.message)
        assert "Agents paper" not in text and text.count("Diffusion paper") == 6
        # A rerun sends nothing more.
        again = run_digest(board, smtp(server), mail_config(), "daily", PERIOD, clock=Clock())
        assert (again.enqueued, again.sent) == (0, 0)
        assert len(server.recorder.received) == 5
    assert states(board) == {"sent": 5, "skipped": 1}


def test_an_empty_period_sends_nothing(board: Database) -> None:
    add_subscribers(board, emails(3))
    sender = InMemorySender()
    report = run_digest(
        board, sender, mail_config(), "daily", parse_day("2024-06-12"), clock=Clock()
    )
    assert (report.enqueued, report.sent) == (0, 0)
    assert sender.messages == [] and states(board) == {}


def test_weekly_digest_covers_the_iso_week(db: Database) -> None:
    load_board(db, 3, DAY)
    load_board(db, 3, DAY.replace(day=10))  # the Monday of the same week
    load_board(db, 3, DAY.replace(day=17))  # the next week
    add_subscribers(db, ["weekly@example.org"], frequency="weekly")
    sender = InMemorySender()
    report = run_digest(db, sender, mail_config(), "weekly", parse_week("2024-W24"), clock=Clock())
    assert report.sent == 1
    text, _ = parts(parse(sender.messages[0].data))
    assert "Top papers of week 24, 2024 (Jun 10 – Jun 16)" in text
    assert text.count("arXiv: ") == 6  # both days of week 24, not week 25


def test_unsubscribed_after_enqueue_is_skipped(board: Database) -> None:
    add_subscribers(board, emails(2))
    sender = InMemorySender()
    run = DigestRun(board, sender, mail_config(), clock=Clock())
    run.enqueue("daily", PERIOD)
    with board.write() as connection:
        leaving = subscriptions.get_by_email(connection, emails(2)[1])
        assert leaving is not None
        subscriptions.unsubscribe(connection, leaving.id, NOW)
    report = run.deliver()
    assert (report.sent, report.skipped, report.skip_reasons) == (1, 1, {"unsubscribed": 1})
    assert [m.recipient for m in sender.messages] == emails(1)


def test_451_then_250_retries_with_backoff(board: Database) -> None:
    add_subscribers(board, emails(3))
    clock = Clock()
    recorder = Recorder()
    busy = emails(3)[1]
    recorder.data_replies[busy] = ["451 4.3.0 Temporary local problem"]
    with serve_smtp(recorder) as server:
        first = run_digest(board, smtp(server), mail_config(), "daily", PERIOD, clock=clock)
        assert (first.sent, first.retrying, first.failures) == (2, 1, 1)
        assert busy not in recorder.recipients()
        # Not due yet: a run a minute later leaves it alone.
        clock.now = NOW + timedelta(minutes=1)
        early = DigestRun(board, smtp(server), mail_config(), clock=clock).deliver()
        assert (early.sent, early.failures) == (0, 0)
        clock.now = NOW + retry_delay(1)
        second = DigestRun(board, smtp(server), mail_config(), clock=clock).deliver()
        assert (second.sent, second.failures) == (1, 0)
    assert Counter(recorder.recipients()) == Counter(emails(3))
    assert states(board) == {"sent": 3}


def test_a_refusal_after_the_message_retries_it(board: Database) -> None:
    """421 or 451 in reply to the final dot: the server did not take the message, although
    it was handed over; it is retried later, once."""
    add_subscribers(board, emails(3))
    closing, busy = emails(3)[0], emails(3)[1]
    recorder = Recorder()
    recorder.data_replies[closing] = ["421 4.3.2 Service shutting down"]
    recorder.data_replies[busy] = ["451 4.3.0 Try again later"]
    clock = Clock()
    with serve_smtp(recorder) as server:
        first = run_digest(board, smtp(server), mail_config(), "daily", PERIOD, clock=clock)
        assert (first.sent, first.retrying, first.stopped) == (1, 2, None)
        clock.now = NOW + retry_delay(1)
        second = DigestRun(board, smtp(server), mail_config(), clock=clock).deliver()
        assert (second.sent, second.failures) == (2, 0)
    assert Counter(recorder.recipients()) == Counter(emails(3))


def test_550_bounces_the_address_for_good(board: Database) -> None:
    add_subscribers(board, emails(3))
    gone = emails(3)[0]
    recorder = Recorder()
    recorder.rcpt_replies[gone] = ["550 5.1.1 No such user"]
    with serve_smtp(recorder) as server:
        report = run_digest(board, smtp(server), mail_config(), "daily", PERIOD, clock=Clock())
        assert (report.sent, report.bounced, report.failures) == (2, 1, 1)
        assert subscriber_status(board, gone) == "bounced"
        # The next period is not even enqueued for it.
        load_board(board, 2, DAY.replace(day=14))
        clock = Clock()
        clock.now = NOW + timedelta(days=1)
        nextday = run_digest(
            board, smtp(server), mail_config(), "daily", parse_day("2024-06-14"), clock=clock
        )
        assert (nextday.enqueued, nextday.sent) == (2, 2)
    assert gone not in recorder.recipients()


def test_connection_refused_retries_later_and_stops_the_run(board: Database) -> None:
    add_subscribers(board, emails(5))
    clock = Clock()
    port = free_port()
    refused = SmtpSender(SmtpConfig("127.0.0.1", port, "none", timeout=2))
    run = DigestRun(board, refused, mail_config(), clock=clock, batch_size=2)
    run.enqueue("daily", PERIOD)
    report = run.deliver()
    assert report.stopped is not None and "mail server unavailable" in report.stopped
    # The batch that met the refusal waits with backoff; the rest was never claimed.
    assert (report.sent, report.retrying) == (0, 2)
    assert states(board) == {"pending": 5}
    clock.now = NOW + retry_delay(1)
    with serve_smtp() as server:
        later = DigestRun(board, smtp(server), mail_config(), clock=clock).deliver()
        assert later.sent == 5 and sorted(server.recorder.recipients()) == emails(5)


def test_gives_up_after_max_attempts(board: Database) -> None:
    add_subscribers(board, ["flaky@example.org"])
    sender = InMemorySender()
    sender.fail("flaky@example.org", *[TemporaryFailure("451 later", 451)] * MAX_ATTEMPTS)
    clock = Clock()
    run = DigestRun(board, sender, mail_config(), clock=clock)
    run.enqueue("daily", PERIOD)
    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = DigestRun(board, sender, mail_config(), clock=clock).deliver()
        outcomes.append((report.retrying, report.failed))
        clock.now += retry_delay(attempt)
    assert outcomes == [(1, 0)] * (MAX_ATTEMPTS - 1) + [(0, 1)]
    assert states(board) == {"failed": 1} and sender.messages == []


def test_no_reply_after_hand_over_is_not_resent(board: Database) -> None:
    add_subscribers(board, emails(2))
    sender = InMemorySender()
    sender.fail(emails(2)[0], UncertainDelivery("connection lost after the dot"))
    report = run_digest(board, sender, mail_config(), "daily", PERIOD, clock=Clock())
    assert (report.sent, report.uncertain) == (1, 1)
    again = DigestRun(board, sender, mail_config(), clock=Clock()).deliver()
    assert again.sent == 0
    assert Counter(m.recipient for m in sender.messages) == Counter(emails(2))


def test_concurrent_runs_send_each_address_once(board: Database) -> None:
    add_subscribers(board, emails(40))
    with serve_smtp() as server:
        DigestRun(board, smtp(server), mail_config(), clock=Clock()).enqueue("daily", PERIOD)
        reports = []

        def work() -> None:
            run = DigestRun(board, smtp(server), mail_config(), clock=Clock(), batch_size=5)
            reports.append(run.deliver())

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sum(r.sent for r in reports) == 40
        assert Counter(server.recorder.recipients()) == Counter({e: 1 for e in emails(40)})


def test_tick_sends_due_digests_once(board: Database) -> None:
    add_subscribers(board, emails(2))
    add_subscribers(board, ["weekly@example.org"], frequency="weekly")
    sender = InMemorySender()
    schedule = Schedule(NOW.time(), 0)
    # Friday June 14, 07:00: the daily of Thursday's board; the weekly slot (Monday June 10)
    # covers week 23, which has no board: nothing to send for it.
    first = tick(board, sender, mail_config(), schedule, now=NOW)
    assert first.sent == 2
    again = tick(board, sender, mail_config(), schedule, now=NOW + timedelta(minutes=1))
    assert (again.enqueued, again.sent) == (0, 0)
    # Monday June 17: the weekly of week 24 (and the daily of the latest board day, which
    # these subscribers already got).
    monday = tick(board, sender, mail_config(), schedule, now=NOW + timedelta(days=3))
    assert (monday.enqueued, monday.sent) == (1, 1)
    assert Counter(m.recipient for m in sender.messages) == Counter(
        [*emails(2), "weekly@example.org"]
    )


# --- kill -9 and rerun ---------------------------------------------------------------------------


def _pythonpath() -> list[str]:
    return [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]


def child(database_url: str, port: int, offset_s: float = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.digest_helpers", database_url, str(port), str(offset_s)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The caller's PYTHONPATH too: a checkout's src/ put first wins over the installed one.
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), *_pythonpath()])},
    )


def rerun(database_url: str, port: int) -> dict[str, int]:
    # Ten minutes later on the child's clock: the killed run's leases have expired.
    process = child(database_url, port, offset_s=600)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def enqueue(db: Database, count: int) -> list[str]:
    addresses = emails(count)
    add_subscribers(db, addresses)
    DigestRun(db, InMemorySender(), mail_config(), clock=Clock()).enqueue("daily", PERIOD)
    return addresses


@pytest.mark.parametrize("where", ["after-the-dot", "before-the-dot", "anywhere"])
def test_kill_and_rerun_sends_each_address_exactly_once(
    board: Database, database_url: str, where: str
) -> None:
    """The sending process is killed (SIGKILL) in the middle of a run, at three kinds of
    moments: waiting for the reply to a message's final dot (the row is 'sending'), waiting
    for the reply to RCPT (the row is only claimed), or whenever a timer fires. The rerun
    must complete the run without sending any address twice and without skipping one."""
    addresses = enqueue(board, 24)
    recorder = Recorder()
    process: subprocess.Popen[str] | None = None
    killed = threading.Event()

    def kill() -> None:
        if process is not None and not killed.is_set():
            killed.set()
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)  # dead before the server answers

    if where == "after-the-dot":

        def after_store(received: Received) -> None:
            if len(recorder.received) == 10:
                kill()

        recorder.after_store = after_store
    elif where == "before-the-dot":
        victim = addresses[10]
        recorder.on_rcpt = lambda address: kill() if address == victim else None
    else:

        def after_store(received: Received) -> None:
            if len(recorder.received) == 5:
                threading.Timer(0.003, kill).start()

        recorder.after_store = after_store

    with serve_smtp(recorder) as server:
        process = child(board.url, server.port)
        process.wait(120)
        assert killed.is_set() and process.returncode == -signal.SIGKILL
        before = len(recorder.received)
        assert 0 < before < len(addresses)
        report = rerun(board.url, server.port)
        time.sleep(0.1)  # the server finishes storing the last message
        after = len(recorder.received) - before
    received = Counter(recorder.recipients())
    assert all(count == 1 for count in received.values()), "an address got two digests"
    # The rerun sent exactly what the server received after the kill.
    assert report["sent"] == after
    # One connection: at most the one message in flight was left "sending" by the kill.
    expected_recovered = {"after-the-dot": {1}, "before-the-dot": {0}, "anywhere": {0, 1}}
    assert report["recovered"] in expected_recovered[where]
    final = states(board)
    assert final.get("pending", 0) == 0 and final.get("sending", 0) == 0
    assert final.get("uncertain", 0) == report["recovered"]
    assert final["sent"] == len(addresses) - report["recovered"]
    # Every address was received, except possibly the one recovered as uncertain: a kill
    # between marking it "sending" and the server storing it loses it (at most once, never
    # twice). After the final dot (the first case) the server always has it.
    missing = set(addresses) - set(received)
    assert len(missing) <= report["recovered"]
    if where != "anywhere":
        assert not missing
