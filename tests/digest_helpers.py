"""Boards, subscribers and a digest-sending child process, shared by the digest tests.

Run as a module it is the child of the kill-and-rerun tests::

    python -m tests.digest_helpers DATABASE_URL SMTP_PORT [CLOCK_OFFSET_SECONDS]

It delivers every due outbox row to the SMTP server on 127.0.0.1:SMTP_PORT in batches of three
(so that a kill may land inside a batch or between two), with the clock at NOW plus the
offset, and prints the run report as JSON.
"""

from __future__ import annotations

import email
import email.policy
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.domain.topics import Topics
from paperboard.ingest.loader import load
from paperboard.mail.compose import MailConfig
from paperboard.storage import subscriptions
from paperboard.storage.database import Database

BASE_URL = "https://papers.example.org"
KEY = b"test-signing-key-" + b"x" * 32
DAY = date(2024, 6, 13)  # a Thursday of ISO week 24
# The moment digest runs happen in these tests: the morning after DAY's board.
NOW = datetime(2024, 6, 14, 7, 0, tzinfo=UTC)


def mail_config(base_url: str = BASE_URL) -> MailConfig:
    return MailConfig(base_url, "paperboard <digest@example.org>", KEY)


def paper(
    arxiv_id: str,
    title: str,
    categories: Sequence[str] = ("cs.LG",),
    abstract: str = "We study a problem and solve it.",
    **fields: object,
) -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace", "Alan Turing"],
        categories=list(categories),
        published_at=datetime(2024, 6, 1, tzinfo=UTC),
        **fields,  # type: ignore[arg-type]
    )


def feature(arxiv_id: str, day: date = DAY, upvotes: int = 0) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=day,
        featured_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        upvotes=upvotes,
        source="huggingface",
    )


def load_board(db: Database, count: int = 12, day: date = DAY) -> list[str]:
    """``count`` papers featured on ``day``, upvotes 10*(count-i): ids in board order.
    Even ones are cs.CL papers about "diffusion", odd ones cs.LG papers about "agents"."""
    items: list[PaperRecord | FeaturedRecord] = []
    ids = []
    for i in range(count):
        arxiv_id = f"2406.{day.day:02d}{i:03d}"
        if i % 2 == 0:
            record = paper(arxiv_id, f"Diffusion paper {i}", ("cs.CL",), "Diffusion models.")
        else:
            record = paper(arxiv_id, f"Agents paper {i}", ("cs.LG", "cs.AI"), "LLM agents.")
        items += [record, feature(arxiv_id, day, 10 * (count - i))]
        ids.append(arxiv_id)
    report = load(db, items)
    assert report.skipped == 0
    return ids


def add_subscribers(
    db: Database,
    emails: Iterable[str],
    frequency: str = "daily",
    topics: Topics | None = None,
    now: datetime = NOW - timedelta(days=1),
) -> None:
    with db.write() as connection:
        subscriptions.add_confirmed(
            connection, [(e, frequency, topics or Topics()) for e in emails], now
        )


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative message, with the wire's CRLF line
    endings turned into newlines (as a mail client shows them)."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return (
        text.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    )


def links(text: str, marker: str) -> list[str]:
    return [word.strip("<>,") for word in text.split() if marker in word]


def path_of(url: str) -> str:
    """The path and query of a link, to follow it with a TestClient."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def main(argv: list[str]) -> None:
    from paperboard.domain.smtp_url import SmtpConfig
    from paperboard.mail.delivery import DigestRun
    from paperboard.mail.smtp import SmtpSender

    url, port = argv[0], int(argv[1])
    offset = timedelta(seconds=float(argv[2]) if len(argv) > 2 else 0)
    db = Database(url)
    sender = SmtpSender(SmtpConfig("127.0.0.1", port, "none", timeout=10))
    run = DigestRun(db, sender, mail_config(), clock=lambda: NOW + offset, batch_size=3)
    report = run.deliver()
    print(json.dumps(report.as_dict()), flush=True)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
