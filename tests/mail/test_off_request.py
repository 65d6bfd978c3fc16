"""No request waits on the mail server (issue 14, finding 5, and the other mails of its kind).

A stand-in SMTP server on loopback takes a second over every message. The password-reset form
answers in well under that whether or not the address has an account, so its timing tells no
one which addresses have accounts; subscribing (the form and the API) answers as fast. The
mails still arrive, a moment later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperboard.storage.database import Database
from tests.community_site import PASSWORD, Site, build_site
from tests.mailserver import Recorder, SmtpServer, serve_smtp

SMTP_DELAY_S = 1.0
# What a request that does no mail I/O takes here (a form post through TestClient on SQLite:
# a few milliseconds), with room for a slow, shared test machine.
FAST_S = 0.2


class SlowRecorder(Recorder):
    """Takes ``SMTP_DELAY_S`` over each message before accepting it."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SMTP_DELAY_S)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Site, SmtpServer]]:
    db = Database(sqlite_url)
    with serve_smtp(SlowRecorder()) as smtp:
        env = {"PAPERBOARD_SECRET_KEY": "s" * 40, "PAPERBOARD_SMTP_URL": f"{smtp.url}?timeout=10"}
        built = build_site(db, tmp_path / "data", env=env)
        try:
            yield built, smtp
        finally:
            built.close()
    db.dispose()


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def wait_for_mail(smtp: SmtpServer, address: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not smtp.recorder.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.05)


def test_the_reset_form_takes_the_same_time_for_known_and_unknown_addresses(
    site: tuple[Site, SmtpServer],
) -> None:
    built, smtp = site
    built.user("ada")
    visitor = built.visitor()
    token = visitor.csrf("/forgot-password")

    def ask(email: str) -> httpx.Response:
        return visitor.post_form("/forgot-password", {"email": email}, token=token)

    ask("warm-up@example.org")  # templates compile on first use
    known, known_s = timed(lambda: ask("ada@example.org"))
    unknown, unknown_s = timed(lambda: ask("nobody@example.org"))
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("ada@example.org", "X") == unknown.text.replace(
        "nobody@example.org", "X"
    )
    assert known_s < FAST_S, f"known address: {known_s:.3f} s"
    assert unknown_s < FAST_S, f"unknown address: {unknown_s:.3f} s"
    wait_for_mail(smtp, "ada@example.org")
    assert smtp.recorder.to("nobody@example.org") == []


def test_subscribing_does_not_wait_for_the_mail_server(site: tuple[Site, SmtpServer]) -> None:
    built, smtp = site
    visitor = built.visitor()
    visitor.get("/subscribe")
    form, form_s = timed(
        lambda: visitor.http.post("/subscribe", data={"email": "form@example.org"})
    )
    api, api_s = timed(
        lambda: visitor.http.post("/api/subscriptions", json={"email": "api@example.org"})
    )
    assert (form.status_code, api.status_code) == (200, 202)
    assert form_s < FAST_S, f"form: {form_s:.3f} s"
    assert api_s < FAST_S, f"API: {api_s:.3f} s"
    wait_for_mail(smtp, "form@example.org")
    wait_for_mail(smtp, "api@example.org")


def test_account_mail_does_not_wait_for_the_mail_server(site: tuple[Site, SmtpServer]) -> None:
    """Signing up mails a link that verifies the address, and so does asking for it again."""
    built, smtp = site
    visitor = built.visitor()
    token = visitor.csrf("/signup")
    data = {"username": "ada", "email": "ada@example.org", "password": PASSWORD}
    signed_up, sign_up_s = timed(lambda: visitor.post_form("/signup", data, token=token))
    assert signed_up.status_code == 303
    token = visitor.csrf("/account")
    asked, ask_s = timed(lambda: visitor.post_form("/account/email/verify", token=token))
    assert asked.status_code == 200
    assert sign_up_s < FAST_S, f"sign-up: {sign_up_s:.3f} s"
    assert ask_s < FAST_S, f"asking again: {ask_s:.3f} s"
    built.wait_for_mail()
    assert len(smtp.recorder.to("ada@example.org")) == 2
