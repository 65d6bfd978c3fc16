"""A signed-in user's digest settings (/account/digest in web/pages/subscriptions.py): subscribe
with the account's address, see the subscription, get its manage link by email (a real SMTP
server on loopback receives it), and what a visitor without a session gets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from paperboard.storage import subscriptions
from paperboard.storage.database import Database
from paperboard.storage.schema import subscribers
from tests.community_site import Site, Visitor, build_site
from tests.digest_helpers import links, parts, path_of
from tests.mailserver import SmtpServer, serve_smtp

_CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]+"')


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


def mail_texts(site: tuple[Site, SmtpServer], email: str) -> list[str]:
    """The text of each mail the SMTP server received for ``email``, once the mail queued
    went out."""
    built, smtp = site
    built.wait_for_mail()
    return [parts(received.message)[0] for received in smtp.recorder.to(email)]


def verify_address(site: tuple[Site, SmtpServer], visitor: Visitor, email: str) -> None:
    """Ask for the link that verifies the account's address, and follow it."""
    asked = visitor.post_form("/account/email/verify", page="/account")
    assert asked.status_code == 200 and f"We mailed a link to {email}" in asked.text
    (link,) = links(mail_texts(site, email)[-1], "/verify-email?token=")
    verified = visitor.get(path_of(link))
    assert verified.status_code == 200 and "Address verified" in verified.text


def test_subscribe_see_and_manage_from_the_settings_page(
    site: tuple[Site, SmtpServer], db: Database
) -> None:
    built, _smtp = site
    ada = built.signed_in("ada")
    verify_address(site, ada, "ada@example.org")
    page = ada.get("/account/digest")
    assert page.status_code == 200
    assert "Subscribe ada@example.org" in page.text
    assert ada.get("/account").text.count('href="/account/digest"') == 1

    sent = ada.http.post(
        "/subscribe",
        data={"email": "ada@example.org", "frequency": "weekly", "keywords": "diffusion"},
    )
    assert sent.status_code == 200
    (confirm,) = links(mail_texts(site, "ada@example.org")[-1], "/subscribe/confirm?token=")
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
    before = len(mail_texts(site, "ada@example.org"))
    response = ada.post_form("/account/digest", page="/account/digest")
    assert response.status_code == 200
    assert "We mailed a link to ada@example.org" in response.text
    texts = mail_texts(site, "ada@example.org")
    assert len(texts) == before + 1
    (manage,) = links(texts[-1], "/subscription/manage?token=")
    assert "Your subscription" in ada.get(path_of(manage)).text
    with db.read() as connection:
        subscriber = subscriptions.get_by_email(connection, "ada@example.org")
    assert subscriber is not None and subscriber.frequency == "weekly"  # unchanged


def test_the_page_changes_nothing_without_the_mailed_link(
    site: tuple[Site, SmtpServer], db: Database
) -> None:
    """Even a verified address changes its subscription only through the mailed link; an
    unverified one cannot even ask for it."""
    built, _smtp = site
    mallory = built.signed_in("mallory")
    response = mallory.post_form("/account/digest", page="/account/digest")
    assert response.status_code == 403 and "Verify your address first" in response.text
    verify_address(site, mallory, "mallory@example.org")
    response = mallory.post_form("/account/digest", page="/account/digest")
    assert response.status_code == 400  # nothing to send a link for
    assert not any("/subscription/manage" in t for t in mail_texts(site, "mallory@example.org"))
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


def _page_of(visitor: Visitor, path: str, *names: str) -> str:
    return _text_of(visitor.get(path), *names)


def _text_of(response: httpx.Response, *names: str) -> str:
    """A page's text with what differs between two accounts (addresses and names, in that
    order, and the form token) taken out."""
    text = _CSRF_VALUE.sub("csrf", response.text)
    for name in names:
        text = text.replace(name, "NAME")
    return text


def test_an_unverified_address_shows_nothing_bound_to_it(
    site: tuple[Site, SmtpServer], db: Database
) -> None:
    """Issue 14, finding 4: an account made with someone else's address must not read their
    subscription (topics, plain-language interest), nor learn whether there is one."""
    built, _smtp = site
    victim = built.visitor()
    subscribed = victim.http.post(
        "/subscribe",
        data={
            "email": "victim@example.org",
            "frequency": "weekly",
            "keywords": "zebrafish",
            "interest": "rare childhood diseases",
        },
    )
    assert subscribed.status_code == 200
    (confirm,) = links(mail_texts(site, "victim@example.org")[-1], "/subscribe/confirm?token=")
    assert victim.get(path_of(confirm)).status_code == 200

    mallory, oscar = built.visitor(), built.visitor()
    assert mallory.sign_up("mallory", "victim@example.org").status_code == 303
    assert oscar.sign_up("oscar", "oscar@example.org").status_code == 303
    page = mallory.get("/account/digest").text
    for private in ("zebrafish", "rare childhood diseases", "Subscribed"):
        assert private not in page
    # The page is the same for a subscribed address and for one nobody subscribed...
    assert _page_of(mallory, "/account/digest", "victim@example.org", "mallory") == _page_of(
        oscar, "/account/digest", "oscar@example.org", "oscar"
    )
    # ...and so is asking for the subscription's manage link.
    asked = mallory.post_form("/account/digest", page="/account/digest")
    other = oscar.post_form("/account/digest", page="/account/digest")
    assert asked.status_code == other.status_code
    assert _text_of(asked, "victim@example.org", "mallory") == _text_of(
        other, "oscar@example.org", "oscar"
    )
    victim_mail = mail_texts(site, "victim@example.org")
    assert not any("/subscription/manage" in text for text in victim_mail)
