"""``paperboard digest preview`` and ``paperboard digest send`` (cli/digest.py), driven as a user
would, with the settings in the environment and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paperboard.cli.digest import digest_app
from paperboard.config import load_settings
from paperboard.domain.topics import Topics
from paperboard.mail.compose import default_mail_from
from paperboard.storage.database import Database
from tests.digest_helpers import BASE_URL, DAY, add_subscribers, load_board, parse, parts
from tests.mailserver import Recorder, SmtpServer, serve_smtp

SECRET = "s" * 40


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with serve_smtp() as running:
        yield running


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir with Thursday's board and three daily subscribers (one on cs.CL)."""
    directory = tmp_path / "pb"
    db = Database(f"sqlite:///{directory / 'paperboard.db'}")
    load_board(db)
    add_subscribers(db, ["ada@example.org", "alan@example.org"])
    add_subscribers(db, ["nlp@example.org"], topics=Topics(categories=("cs.CL",)))
    add_subscribers(db, ["weekly@example.org"], frequency="weekly")
    db.dispose()
    return directory


def invoke(data_dir: Path, *args: str, smtp: SmtpServer | None = None) -> Result:
    env = {
        "PAPERBOARD_DATA_DIR": str(data_dir),
        "PAPERBOARD_DATABASE_URL": f"sqlite:///{data_dir / 'paperboard.db'}",
        "PAPERBOARD_BASE_URL": BASE_URL,
        "PAPERBOARD_SECRET_KEY": SECRET,
        "PAPERBOARD_MAIL_FROM": "paperboard <digest@example.org>",
        "PAPERBOARD_LOG_LEVEL": "warning",
    }
    if smtp is not None:
        env["PAPERBOARD_SMTP_URL"] = f"smtp://127.0.0.1:{smtp.port}?timeout=10"
    return CliRunner().invoke(digest_app, list(args), env=env)


# --- preview -------------------------------------------------------------------------------------


def test_preview_prints_the_digest_and_sends_nothing(data_dir: Path, server: SmtpServer) -> None:
    result = invoke(data_dir, "preview", "NLP@example.org", "--date", DAY.isoformat(), smtp=server)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "To: nlp@example.org\nSubject: paperboard daily · Jun 13: Diffusion paper 0 (+5 more)\n"
    )
    assert "Top papers of Thursday, June 13, 2024" in result.stdout
    assert "Agents paper" not in result.stdout
    assert f"{BASE_URL}/unsubscribe?token=" in result.stdout
    assert server.recorder.received == []


def test_preview_html_and_raw(data_dir: Path) -> None:
    html = invoke(data_dir, "preview", "ada@example.org", "--date", DAY.isoformat(), "--html")
    assert html.exit_code == 0 and html.stdout.startswith("<!doctype html>")
    raw = invoke(data_dir, "preview", "ada@example.org", "--date", DAY.isoformat(), "--raw")
    assert raw.exit_code == 0
    message = parse(raw.stdout.encode())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, page = parts(message)
    assert "Agents paper 1" in text and "Agents paper 1" in page


def test_preview_weekly_and_default_period(data_dir: Path) -> None:
    weekly = invoke(data_dir, "preview", "weekly@example.org", "--date", "2024-06-10")
    assert weekly.exit_code == 0
    assert "Top papers of week 24, 2024 (Jun 10 – Jun 16)" in weekly.stdout
    # Without --date: the latest complete board day (Thursday's, long ago).
    daily = invoke(data_dir, "preview", "ada@example.org")
    assert daily.exit_code == 0 and "June 13, 2024" in daily.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["preview", "nobody@example.org"], "nobody@example.org is not subscribed"),
        (["preview", "not an address"], "is not an email address"),
        (["preview", "ada@example.org", "--date", "13/06/2024"], "is not YYYY-MM-DD"),
        (["send", "--frequency", "daily"], "PAPERBOARD_SMTP_URL is not set"),
    ],
)
def test_errors(data_dir: Path, args: list[str], message: str) -> None:
    result = invoke(data_dir, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_preview_of_an_empty_day(data_dir: Path) -> None:
    result = invoke(data_dir, "preview", "ada@example.org", "--date", "2024-06-12")
    assert result.exit_code == 0
    assert "nothing would be sent for 2024-06-12: the period is empty" in result.output


# --- send ----------------------------------------------------------------------------------------


def test_send_delivers_once(data_dir: Path, server: SmtpServer) -> None:
    result = invoke(
        data_dir, "send", "--frequency", "daily", "--date", DAY.isoformat(), smtp=server
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "daily 2024-06-13: 3 enqueued; 3 sent, 0 skipped, 0 failed "
        "(0 will retry, 0 bounced, 0 gave up)\n"
    )
    assert sorted(server.recorder.recipients()) == [
        "ada@example.org",
        "alan@example.org",
        "nlp@example.org",
    ]
    again = invoke(
        data_dir, "send", "--frequency", "daily", "--date", DAY.isoformat(), "--json", smtp=server
    )
    assert again.exit_code == 0
    report = json.loads(again.stdout)
    assert (report["period"], report["enqueued"], report["sent"]) == ("2024-06-13", 0, 0)
    assert len(server.recorder.received) == 3


def test_send_weekly(data_dir: Path, server: SmtpServer) -> None:
    result = invoke(data_dir, "send", "--frequency", "weekly", "--date", "2024-06-16", smtp=server)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("weekly 2024-W24: 1 enqueued; 1 sent")
    assert server.recorder.recipients() == ["weekly@example.org"]


def test_send_an_empty_period(data_dir: Path, server: SmtpServer) -> None:
    result = invoke(data_dir, "send", "--frequency", "daily", "--date", "2024-06-12", smtp=server)
    assert result.exit_code == 0
    assert "0 enqueued (empty period: nothing to send)" in result.stdout
    assert server.recorder.received == []


def test_send_reports_failures_in_its_exit_status(data_dir: Path) -> None:
    recorder = Recorder()
    recorder.rcpt_replies["ada@example.org"] = ["550 5.1.1 No such user"]
    recorder.data_replies["alan@example.org"] = ["451 4.3.0 Try later"]
    with serve_smtp(recorder) as server:
        result = invoke(
            data_dir, "send", "--frequency", "daily", "--date", DAY.isoformat(), smtp=server
        )
    assert result.exit_code == 1
    assert "1 sent, 0 skipped, 2 failed (1 will retry, 1 bounced, 0 gave up)" in result.stdout
    assert recorder.recipients() == ["nlp@example.org"]


# --- settings ------------------------------------------------------------------------------------


def test_digest_settings() -> None:
    defaults = load_settings({})
    assert (defaults.smtp_url, defaults.secret_key) == (None, None)
    assert (defaults.digest_daily_at, defaults.digest_weekly_day) == (time(7, 0), "monday")
    assert default_mail_from(defaults) == "paperboard <digest@localhost>"
    settings = load_settings(
        {
            "PAPERBOARD_SMTP_URL": "smtp://user:hunter2@mail.example.org:587?starttls=1",
            "PAPERBOARD_SECRET_KEY": "k" * 32,
            "PAPERBOARD_DIGEST_DAILY_AT": "6:30",
            "PAPERBOARD_DIGEST_WEEKLY_DAY": "Fri",
            "PAPERBOARD_BASE_URL": "https://papers.example.org",
        }
    )
    assert (settings.digest_daily_at, settings.digest_weekly_day) == (time(6, 30), "friday")
    assert default_mail_from(settings) == "paperboard <digest@papers.example.org>"
    # Secrets do not show in `paperboard config` output or in logs of the settings.
    assert settings.smtp_url is not None and "hunter2" in settings.smtp_url.reveal()
    assert "hunter2" not in f"{settings.smtp_url} {settings!r}"
    assert "k" * 32 not in repr(settings)
