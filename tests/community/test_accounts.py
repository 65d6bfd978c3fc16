"""Accounts: sign-up, sign-in, sessions and their cookies, CSRF, password reset, roles.

The operators' commands (``paperboard user``) are in tests/cli/test_users.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from paperboard.community.accounts import Client
from paperboard.community.errors import InvalidInput, LoginFailed
from paperboard.community.passwords import Passwords
from paperboard.mail.sender import InMemorySender
from paperboard.storage.database import Database
from paperboard.storage.schema import sessions, users
from tests.command_line import run
from tests.community_site import PASSWORD, Site, build_site, iter_cookies, open_site

CLIENT = Client("192.0.2.1")


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    with open_site(sqlite_url, tmp_path / "data") as built:
        yield built


def _cookie(response, name: str) -> str:  # type: ignore[no-untyped-def]
    (cookie,) = [c for c in iter_cookies(response) if c.startswith(f"{name}=")]
    return cookie


# --- passwords ---------------------------------------------------------------------------------


def test_passwords_are_argon2id_with_the_documented_parameters() -> None:
    passwords = Passwords()
    hashed = passwords.hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify(hashed, PASSWORD)
    assert not passwords.verify(hashed, PASSWORD + "!")
    assert not passwords.verify("not a hash", PASSWORD)


def test_stored_password_is_a_hash(site: Site) -> None:
    site.user("ada")
    with site.db.read() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# --- sign-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "email", "password", "field"),
    [
        ("a", "a@example.org", PASSWORD, "username"),
        ("-ada", "a@example.org", PASSWORD, "username"),
        ("ada lovelace", "a@example.org", PASSWORD, "username"),
        ("<script>", "a@example.org", PASSWORD, "username"),
        ("adа", "a@example.org", PASSWORD, "username"),  # Cyrillic "а": look-alikes refused
        ("ada", "not an address", PASSWORD, "email"),
        ("ada", "a@example.org", "short", "password"),
        ("ada", "a@example.org", "x" * 1025, "password"),
    ],
)
def test_sign_up_refuses_bad_input(
    site: Site, username: str, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        site.community.accounts.sign_up(username, email, password, client=CLIENT)
    assert caught.value.field == field


def test_usernames_and_emails_are_unique_ignoring_case(site: Site) -> None:
    site.community.accounts.sign_up("Ada", "Ada@Example.org", PASSWORD, client=CLIENT)
    with pytest.raises(InvalidInput, match="username is taken"):
        site.community.accounts.sign_up("ada", "other@example.org", PASSWORD, client=CLIENT)
    with pytest.raises(InvalidInput) as caught:
        site.community.accounts.sign_up("grace", "ada@example.org", PASSWORD, client=CLIENT)
    assert caught.value.field == "email"


def test_sign_up_page_signs_in_with_a_safe_cookie(site: Site) -> None:
    visitor = site.visitor()
    response = visitor.sign_up("ada")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = _cookie(response, "pb_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http, and the base URL is http
    page = visitor.get("/").text
    assert 'href="/u/ada"' in page and "Sign out" in page


def test_sign_up_form_errors_keep_what_was_typed(site: Site) -> None:
    visitor = site.visitor()
    response = visitor.sign_up("ada", email="nope")
    assert response.status_code == 400
    assert "That is not an email address." in response.text
    assert 'value="ada"' in response.text and 'value="nope"' in response.text
    assert "pb_session" not in response.headers.get("set-cookie", "")


def test_cookies_are_secure_behind_https(tmp_path: Path, sqlite_url: str) -> None:
    db = Database(sqlite_url)
    site = build_site(db, tmp_path / "data", env={"PAPERBOARD_BASE_URL": "https://papers.example"})
    try:
        # Secure cookies come back over https only, as in a browser.
        assert "Secure" in _cookie(site.visitor().get("/signup"), "pb_csrf")
        visitor = site.visitor(base_url="https://testserver")
        response = visitor.sign_up("ada")
        assert response.status_code == 303
        assert "Secure" in _cookie(response, "pb_session")
    finally:
        site.close()
        db.dispose()


# --- sign-in -----------------------------------------------------------------------------------


def test_log_in_and_out(site: Site) -> None:
    site.user("ada")
    visitor = site.visitor()
    response = visitor.log_in("ada", next="/papers/trending")
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/trending"
    assert 'href="/u/ada"' in visitor.get("/account").text
    assert visitor.log_out().status_code == 303
    # The session is gone from the database, not just from this browser.
    with site.db.read() as connection:
        assert connection.execute(select(sessions)).all() == []
    assert visitor.get("/account", follow_redirects=False).status_code == 303


def test_session_cookie_is_not_the_stored_value(site: Site) -> None:
    visitor = site.signed_in("ada")
    token = visitor.http.cookies["pb_session"]
    with site.db.read() as connection:
        (stored,) = connection.execute(select(sessions.c.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 64


def test_login_failures_do_not_tell_whether_the_username_exists(site: Site) -> None:
    site.user("ada")
    wrong_password = site.visitor().log_in("ada", "wrong password")
    unknown_user = site.visitor().log_in("nobody", "wrong password")
    assert wrong_password.status_code == unknown_user.status_code == 401

    def message(response) -> str:  # type: ignore[no-untyped-def]
        return re.search(r'<p class="form-error" role="alert">([^<]*)</p>', response.text)[1]

    assert message(wrong_password) == message(unknown_user) == "Wrong username or password."
    with pytest.raises(LoginFailed):
        site.community.accounts.log_in("ada", "nope", client=CLIENT)
    with pytest.raises(LoginFailed):
        site.community.accounts.log_in("<script>", "nope", client=CLIENT)
    user = site.community.accounts.log_in("ADA", PASSWORD, client=CLIENT)
    assert user.username == "ada"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\t//evil.example",
    ],
)
def test_login_next_never_leaves_the_site(site: Site, target: str) -> None:
    site.user("ada")
    response = site.visitor().log_in("ada", next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_signed_in_pages_are_private(site: Site) -> None:
    visitor = site.signed_in("ada")
    response = visitor.get("/")
    assert response.headers["cache-control"] == "private, no-store"
    assert "cache-control" not in site.visitor().get("/").headers


def test_a_stale_session_cookie_is_dropped(site: Site) -> None:
    visitor = site.signed_in("ada")
    with site.db.write() as connection:
        connection.execute(sessions.delete())
    response = visitor.get("/")
    assert response.status_code == 200 and "Sign in" in response.text
    assert any("pb_session=;" in c and "Max-Age=0" in c for c in iter_cookies(response))


# --- CSRF --------------------------------------------------------------------------------------


def test_forms_without_a_valid_token_are_refused(site: Site) -> None:
    site.user("ada")
    visitor = site.visitor()
    data = {"username": "ada", "password": PASSWORD}
    assert visitor.post_form("/login", data, token="").status_code == 403
    assert visitor.post_form("/login", data, token="forged").status_code == 403
    # A token of another browser's session does not work in this one.
    other = site.visitor()
    assert visitor.post_form("/login", data, token=other.csrf()).status_code == 403
    assert visitor.post_form("/login", data, page="/login").status_code == 303


def test_cross_site_form_posts_are_refused_even_with_a_token(site: Site) -> None:
    visitor = site.signed_in("ada")
    token = visitor.csrf("/account")
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        response = visitor.post_form("/logout", token=token, headers=headers)
        assert response.status_code == 403, headers
        assert "another site" in response.text
    ok = visitor.post_form(
        "/logout",
        token=token,
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    )
    assert ok.status_code == 303


# --- password reset ----------------------------------------------------------------------------


def test_reset_link_sets_a_new_password_once(site: Site) -> None:
    site.user("ada")
    visitor = site.signed_in("grace")
    link = site.community.accounts.reset_link("ada@example.org")
    assert link.startswith("http://127.0.0.1:8000/reset-password?token=")
    path = link.removeprefix("http://127.0.0.1:8000")
    page = visitor.get(path)
    assert page.status_code == 200 and "<strong>ada</strong>" in page.text
    assert 'content="no-referrer"' in page.text
    token = path.partition("token=")[2]
    response = visitor.post_form(
        "/reset-password", {"token": token, "password": "a new passphrase"}, page=path
    )
    assert response.status_code == 303
    with pytest.raises(LoginFailed):
        site.community.accounts.log_in("ada", PASSWORD, client=CLIENT)
    site.community.accounts.log_in("ada", "a new passphrase", client=CLIENT)
    # The link worked once: the password it was made for is gone.
    assert site.visitor().get(path).status_code == 400


def test_reset_links_expire_and_cannot_be_forged(site: Site) -> None:
    user = site.user("ada")
    link = site.community.accounts.reset_link("ada")
    token = link.partition("token=")[2]
    _user_id, expires, signature = token.split(".")
    forged = f"{user.id}.{int(expires) + 3600}.{signature}"
    for bad in (forged, "1.2.3", "", "x" * 300):
        with pytest.raises(InvalidInput):
            site.community.accounts.check_reset_token(bad)
    site.community.accounts.check_reset_token(token)
    site.clock.advance(hours=1, seconds=1)
    with pytest.raises(InvalidInput):
        site.community.accounts.check_reset_token(token)


def test_reset_ends_every_session(site: Site) -> None:
    visitor = site.signed_in("ada")
    link = site.community.accounts.reset_link("ada")
    site.community.accounts.reset_password(link.partition("token=")[2], "another passphrase")
    assert visitor.get("/account", follow_redirects=False).status_code == 303


def test_forgot_password_mails_a_link_when_a_sender_is_configured(
    tmp_path: Path, sqlite_url: str
) -> None:
    db = Database(sqlite_url)
    sender = InMemorySender()
    site = build_site(db, tmp_path / "data", mail_sender=sender)
    try:
        site.user("ada")
        visitor = site.visitor()
        known = visitor.post_form("/forgot-password", {"email": "ADA@example.org"}, page="/login")
        unknown = visitor.post_form(
            "/forgot-password", {"email": "nobody@example.org"}, page="/login"
        )
        # The same answer whether or not the address has an account.
        assert known.status_code == unknown.status_code == 200
        strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731
        assert strip(known.text) == strip(unknown.text)
        assert "an email with a link" in known.text
        (message,) = sender.messages
        assert message.recipient == "ada@example.org"
        body = message.data.decode()
        assert "Subject: Reset your paperboard password" in body
        assert "/reset-password?token=3D" in body or "/reset-password?token=" in body
    finally:
        site.close()
        db.dispose()


def test_forgot_password_without_mail_points_to_the_operator(site: Site) -> None:
    response = site.visitor().post_form("/forgot-password", {"email": "a@example.org"})
    assert response.status_code == 200
    assert "paperboard user reset-link" in response.text


# --- settings, roles, the CLI ------------------------------------------------------------------


def test_change_password_and_settings(site: Site) -> None:
    visitor = site.signed_in("ada")
    saved = visitor.post_form("/account", {"display_name": "  Ada   Lovelace ", "votes_public": ""})
    assert saved.status_code == 200 and "Saved." in saved.text
    user = site.community.accounts.by_username("ada")
    assert user is not None and user.display_name == "Ada Lovelace" and not user.votes_public
    wrong = visitor.post_form(
        "/account/password", {"current_password": "nope", "new_password": "long enough"}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    changed = visitor.post_form(
        "/account/password", {"current_password": PASSWORD, "new_password": "long enough"}
    )
    assert changed.status_code == 303
    assert visitor.get("/account", follow_redirects=False).status_code == 303
    assert visitor.log_in("ada", "long enough").status_code == 303


def test_disabled_accounts_cannot_act(site: Site, sqlite_url: str) -> None:
    visitor = site.signed_in("spammer")
    _, token = site.community.tokens.create_for("spammer")
    disabled = run(site.settings.data_dir, "user", "disable", "spammer", database_url=sqlite_url)
    assert disabled.exit_code == 0 and "spammer is disabled" in disabled.output
    assert visitor.get("/account", follow_redirects=False).status_code == 303
    assert site.community.tokens.authenticate(token) is None
    with pytest.raises(LoginFailed):
        site.community.accounts.log_in("spammer", PASSWORD, client=CLIENT)
    assert site.visitor().get("/u/spammer").status_code == 404
    enabled = run(
        site.settings.data_dir, "user", "disable", "spammer", "--enable", database_url=sqlite_url
    )
    assert enabled.exit_code == 0
    assert site.community.accounts.log_in("spammer", PASSWORD, client=CLIENT).is_active
