"""Verified account addresses (issue 14, finding 4): a signed link mailed to the address proves
it is the owner's; a new address is unverified again; accounts made before migration 0011 are
unverified; a site without mail says that verification needs it. What an unverified address
hides (the digest subscription) is tested in tests/test_account_digest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from paperboard.community.ratelimit import Limits, Rule
from paperboard.mail.sender import InMemorySender
from paperboard.storage import users as user_store
from paperboard.storage.database import Database
from tests.community_site import PASSWORD, Site, Visitor, build_site
from tests.conftest import downgrade
from tests.digest_helpers import links, parse, parts, path_of


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[Site]:
    built = build_site(db, tmp_path / "data", mail_sender=InMemorySender())
    yield built
    built.close()


def sent_links(site: Site, email: str, marker: str) -> list[str]:
    """The ``marker`` links in the mails ``email`` got, oldest first, as paths."""
    site.wait_for_mail()
    sender = site.app.state.runtime.mail_sender
    found = []
    for message in sender.to(email):
        text_part, _html = parts(parse(message.data))
        found += [path_of(link) for link in links(text_part, marker)]
    return found


def verify_links(site: Site, email: str) -> list[str]:
    return sent_links(site, email, "/verify-email?token=")


def signed_up(site: Site, username: str) -> Visitor:
    visitor = site.visitor()
    assert visitor.sign_up(username).status_code == 303
    return visitor


def test_sign_up_mails_a_link_that_verifies_the_address(site: Site) -> None:
    ada = signed_up(site, "ada")
    assert "not verified" in ada.get("/account").text
    (link,) = verify_links(site, "ada@example.org")
    # The link is the proof: it works in a browser without the session, and twice.
    for browser in (site.visitor(), ada):
        page = browser.get(link)
        assert page.status_code == 200 and "ada@example.org is the verified address" in page.text
    account = ada.get("/account").text
    assert "verified</span>" in account and "not verified" not in account
    assert "Send the link again" not in account


def test_asking_again_mails_a_new_link(site: Site) -> None:
    ada = signed_up(site, "ada")
    asked = ada.post_form("/account/email/verify", page="/account")
    assert asked.status_code == 200 and "We mailed a link to ada@example.org" in asked.text
    assert len(verify_links(site, "ada@example.org")) == 2


def test_a_new_address_is_unverified_again(site: Site) -> None:
    ada = signed_up(site, "ada")
    (first,) = verify_links(site, "ada@example.org")
    assert ada.get(first).status_code == 200
    wrong = ada.post_form(
        "/account/email", {"email": "ada@work.example", "current_password": "not it"}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    changed = ada.post_form(
        "/account/email", {"email": "Ada@Work.example", "current_password": PASSWORD}
    )
    assert changed.status_code == 200 and "We mailed a link to ada@work.example" in changed.text
    user = site.community.accounts.by_username("ada")
    assert user is not None and (user.email, user.email_verified) == ("ada@work.example", False)
    # The link mailed to the old address does not verify the new one.
    assert ada.get(first).status_code == 400
    (link,) = verify_links(site, "ada@work.example")
    assert ada.get(link).status_code == 200
    user = site.community.accounts.by_username("ada")
    assert user is not None and user.email_verified


def test_an_address_of_another_account_cannot_be_taken(site: Site) -> None:
    site.user("bob")
    ada = signed_up(site, "ada")
    taken = ada.post_form(
        "/account/email", {"email": "bob@example.org", "current_password": PASSWORD}
    )
    assert taken.status_code == 400 and "cannot be used" in taken.text
    user = site.community.accounts.by_username("ada")
    assert user is not None and user.email == "ada@example.org"


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "1.2.3", "1.99999999999.AAAA", "\u00b2.1.x", "1." + "9" * 13 + ".x"],
)
def test_forged_links_are_refused(site: Site, token: str) -> None:
    response = site.visitor().get("/verify-email", params={"token": token})
    assert response.status_code == 400 and "not valid any more" in response.text


def test_links_expire(site: Site) -> None:
    signed_up(site, "ada")
    (link,) = verify_links(site, "ada@example.org")
    site.clock.advance(days=3, seconds=1)
    assert site.visitor().get(link).status_code == 400


def test_a_reset_through_the_mailed_link_verifies_the_address(site: Site) -> None:
    site.user("ada")
    visitor = site.visitor()
    visitor.post_form("/forgot-password", {"email": "ada@example.org"}, page="/forgot-password")
    (reset,) = sent_links(site, "ada@example.org", "/reset-password?token=")
    token = reset.split("token=", 1)[1]
    site.community.accounts.reset_password(token, "a new long password")
    user = site.community.accounts.by_username("ada")
    assert user is not None and user.email_verified


def test_a_reset_link_ends_when_the_address_changes(site: Site) -> None:
    ada = site.user("ada")
    token = site.community.accounts.reset_link("ada").split("token=", 1)[1]
    site.community.accounts.change_email(ada, "ada@work.example", PASSWORD)
    with pytest.raises(Exception, match="not valid any more"):
        site.community.accounts.check_reset_token(token)


def test_asking_again_is_limited(tmp_path: Path, sqlite_url: str) -> None:
    db = Database(sqlite_url)
    limits = Limits.unlimited().with_rules(address_check_per_account=Rule(2, 3600))
    site = build_site(db, tmp_path / "data", mail_sender=InMemorySender(), limits=limits)
    try:
        ada = signed_up(site, "ada")
        for _ in range(2):
            assert ada.post_form("/account/email/verify", page="/account").status_code == 200
        limited = ada.post_form("/account/email/verify", page="/account")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    finally:
        site.close()
        db.dispose()


def test_without_mail_the_pages_say_verification_needs_it(tmp_path: Path, db: Database) -> None:
    site = build_site(db, tmp_path / "data")  # no SMTP: no mail at all
    try:
        ada = signed_up(site, "ada")
        account = ada.get("/account").text
        assert "Verifying an address needs email" in account
        assert "Send the link again" not in account
        digest = ada.get("/account/digest").text
        assert "Verifying your address needs email too" in digest
        # Neither the subscription nor a form bound to the address (the layout's own
        # subscribe form, on every page, asks for an address).
        assert 'value="ada@example.org"' not in digest and "Email me" not in digest
        asked = ada.post_form("/account/email/verify", page="/account")
        assert "Verifying an address needs email" in asked.text
    finally:
        site.close()


def test_accounts_made_before_the_migration_are_unverified(database_url: str) -> None:
    """Migration 0011 adds ``users.email_verified_at``: NULL for every existing account."""
    db = Database(database_url)
    try:
        downgrade(db, "0011_library")
        with db.write() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, username_key, email, password_hash, role, "
                    "votes_public, created_at) VALUES ('ada', 'ada', 'ada@example.org', 'x', "
                    "'user', false, CURRENT_TIMESTAMP)"
                )
            )
        db.upgrade()
        with db.read() as connection:
            user = user_store.by_username(connection, "ada")
        assert user is not None and user.email_verified_at is None and not user.email_verified
    finally:
        db.dispose()
