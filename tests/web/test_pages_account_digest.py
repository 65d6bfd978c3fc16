"""A signed-in user's digest settings (/account/digest in web/pages/subscriptions.py): subscribe
with the account's address, see the subscription, get its manage link by email (a real SMTP
server on loopback receives it), and what a visitor without a session gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from paperboard.storage import subscriptions
from paperboard.storage.database import Database
from paperboard.storage.schema import subscribers
from tests.community_site import Site, build_site
from tests.digest_helpers import links, parts, path_of
from tests.mailserver import SmtpServer, serve_smtp


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[tuple[Site, SmtpServer]]:
    with serve_smtp() as smtp:
        env = {
            "PAPERBOARD_SECRET_KEY": "s" * 40,
            "PAPERBOARD_SMTP_URL": f"{smtp.url}?timeout=10",
        }
        built = build_site(db, tmp_path, env=env)
        try:
            yield built, smtp
        finally:
            built.close()


def mail_texts(smtp: SmtpServer, email: str) -> list[str]:
    return [parts(received.message)[0] for received in smtp.recorder.to(email)]


def test_subscribe_see_and_manage_from_the_settings_page(
    site: tuple[Site, SmtpServer], db: Database
) -> None:
    built, smtp = site
    ada = built.signed_in("ada")
    page = ada.get("/account/digest")
    assert page.status_code == 200
    assert "Subscribe ada@example.org" in page.text
    assert ada.get("/account").text.count('href="/account/digest"') == 1

    sent = ada.http.post(
        "/subscribe",
        data={"email": "ada@example.org", "frequency": "weekly", "keywords": "diffusion"},
    )
    assert sent.status_code == 200
    (confirm,) = links(mail_texts(smtp, "ada@example.org")[-1], "/subscribe/confirm?token=")
    assert ada.get(path_of(confirm)).status_code == 200

    page = ada.get("/account/digest")
    assert "Subscribed" in page.text and "weekly" in page.text and "diffusion" in page.text
    assert "Email me a link" in page.text

    # Right after the confirmation mail, a second one is held back (no mail bombing)...
    response = ada.post_form("/account/digest", page="/account/digest")
    assert "We mailed ada@example.org a few minutes ago" in response.text
    # ...and sent once the resend interval has passed.
    with db.write() as connection:
        connection.execute(
            update(subscribers).values(confirmation_sent_at=datetime.now(UTC) - timedelta(hours=2))
        )
    before = len(mail_texts(smtp, "ada@example.org"))
    response = ada.post_form("/account/digest", page="/account/digest")
    assert response.status_code == 200
    assert "We mailed a link to ada@example.org" in response.text
    texts = mail_texts(smtp, "ada@example.org")
    assert len(texts) == before + 1
    (manage,) = links(texts[-1], "/subscription/manage?token=")
    assert "Your subscription" in ada.get(path_of(manage)).text
    with db.read() as connection:
        subscriber = subscriptions.get_by_email(connection, "ada@example.org")
    assert subscriber is not None and subscriber.frequency == "weekly"  # unchanged


def test_the_page_changes_nothing_without_the_mailed_link(
    site: tuple[Site, SmtpServer], db: Database
) -> None:
    """Account addresses are not verified: the page must not let an account change the
    subscription of an address it merely typed at sign-up."""
    built, smtp = site
    mallory = built.signed_in("mallory")
    response = mallory.post_form("/account/digest", page="/account/digest")
    assert response.status_code == 400  # nothing to send a link for
    assert mail_texts(smtp, "mallory@example.org") == []
    with db.read() as connection:
        assert subscriptions.get_by_email(connection, "mallory@example.org") is None


def test_visitors_without_a_session_are_sent_to_sign_in(site: tuple[Site, SmtpServer]) -> None:
    built, _smtp = site
    visitor = built.visitor()
    response = visitor.get("/account/digest", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert visitor.http.post("/account/digest", follow_redirects=False).status_code in (
        303,
        403,
    )
