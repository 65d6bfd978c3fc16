"""API tokens: stored hashed, revocable, and a token acts for its owner only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from paperboard.community.accounts import Client
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.storage.database import Database
from paperboard.storage.schema import api_tokens
from tests.command_line import run
from tests.community_site import PASSWORD, Site, build_site, featured, paper

CLIENT = Client("192.0.2.1")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    db = Database(sqlite_url)
    built = build_site(db, tmp_path / "data")
    built.add(paper("2401.00001"), featured("2401.00001", TODAY, upvotes=2))
    yield built
    built.close()
    db.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed(site: Site) -> None:
    site.user("ada")
    info, token = site.community.tokens.create_for("ada", "script")
    assert token.startswith("pb_") and len(token) > 40
    with site.db.read() as connection:
        row = connection.execute(select(api_tokens)).one()
    assert token not in (row.token_hash, row.prefix) and row.prefix == token[:10]
    assert info.name == "script"
    assert site.community.tokens.authenticate(token).username == "ada"
    assert site.community.tokens.authenticate(token + "x") is None
    assert site.community.tokens.authenticate("pb_" + "A" * 43) is None


def test_the_write_api_needs_a_valid_token(site: Site) -> None:
    http = site.visitor().http
    for headers in ({}, bearer("nope"), {"Authorization": "Basic YWRhOnB3"}, bearer("pb_x")):
        response = http.post("/api/papers/2401.00001/upvote", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json()


def test_session_cookies_do_not_work_on_the_api(site: Site) -> None:
    visitor = site.signed_in("ada")
    # A browser session cannot be ridden by another site's script: the API wants a token.
    assert visitor.http.post("/api/papers/2401.00001/upvote").status_code == 401


def test_revoked_tokens_stop_working_at_once(site: Site) -> None:
    site.user("ada")
    info, token = site.community.tokens.create_for("ada")
    http = site.visitor().http
    assert http.post("/api/papers/2401.00001/upvote", headers=bearer(token)).status_code == 200
    site.community.tokens.revoke(info.id, by=None)
    assert http.delete("/api/papers/2401.00001/upvote", headers=bearer(token)).status_code == 401


def test_a_token_of_user_a_cannot_act_for_user_b(site: Site) -> None:
    site.user("alice")
    site.user("bob")
    _, alice = site.community.tokens.create_for("alice")
    bob_info, bob = site.community.tokens.create_for("bob")
    http = site.visitor().http
    # Bob upvotes and comments.
    assert http.post("/api/papers/2401.00001/upvote", headers=bearer(bob)).json()["upvotes"] == 3
    posted = http.post(
        "/api/papers/2401.00001/comments", json={"text": "Bob's"}, headers=bearer(bob)
    ).json()
    # Alice's token withdraws *Alice's* vote (there is none): Bob's stays.
    gone = http.delete("/api/papers/2401.00001/upvote", headers=bearer(alice)).json()
    assert gone == {"arxivId": "2401.00001", "upvotes": 3, "upvoted": False}
    # Alice cannot edit, delete or hide Bob's comment.
    edit = http.patch(f"/api/comments/{posted['id']}", json={"text": "x"}, headers=bearer(alice))
    delete = http.delete(f"/api/comments/{posted['id']}", headers=bearer(alice))
    hide = http.post(f"/api/comments/{posted['id']}/hide", json={}, headers=bearer(alice))
    assert (edit.status_code, delete.status_code, hide.status_code) == (403, 403, 403)
    (comment,) = http.get("/api/papers/2401.00001/comments").json()
    assert comment["text"] == "Bob's" and comment["state"] == "visible"
    # Nor revoke Bob's token: as far as Alice can tell, it does not exist.
    alice_user = site.community.accounts.by_username("alice")
    assert alice_user is not None
    with pytest.raises(NotFound):
        site.community.tokens.revoke(bob_info.id, by=alice_user)
    assert site.community.tokens.authenticate(bob) is not None
    # An identity in the body is not a thing the API reads: the token decides.
    spoof = http.post(
        "/api/papers/2401.00001/comments",
        json={"text": "As Bob?", "author": "bob", "user": "bob"},
        headers=bearer(alice),
    )
    assert spoof.json()["author"]["name"] == "alice"


def test_tokens_on_the_account_page(site: Site) -> None:
    visitor = site.signed_in("ada")
    created = visitor.post_form("/account/tokens", {"name": "laptop"})
    assert created.status_code == 201
    token = created.text.split('<code class="token-value">')[1].split("<")[0]
    assert token.startswith("pb_")
    page = visitor.get("/account").text
    assert "laptop" in page and token not in page  # shown once
    (info,) = site.community.tokens.tokens_of(site.community.accounts.by_username("ada"))  # type: ignore[arg-type]
    other = site.signed_in("eve")
    # Eve cannot revoke Ada's token through the form.
    assert other.post_form(f"/account/tokens/{info.id}/revoke").status_code == 404
    assert visitor.post_form(f"/account/tokens/{info.id}/revoke").status_code == 303
    assert site.community.tokens.authenticate(token) is None


# --- issue 14, finding 6: tokens end with the password, stay ended, and may expire ---------------


@pytest.fixture
def both(tmp_path: Path, db: Database) -> Iterator[Site]:
    """A site on each backend (the token queries and the migration on PostgreSQL too)."""
    built = build_site(db, tmp_path / "data")
    built.add(paper("2401.00001"), featured("2401.00001", TODAY))
    yield built
    built.close()


def test_a_password_change_or_reset_ends_the_accounts_tokens(both: Site) -> None:
    """A stolen password or session is why people change or reset a password: the thief's
    tokens must stop too, not only the sessions."""
    ada = both.user("ada")
    both.user("bob")
    tokens = both.community.tokens
    _, first = tokens.create_for("ada", "laptop")
    _, second = tokens.create_for("ada", "ci")
    _, bobs = tokens.create_for("bob")
    both.community.accounts.change_password(ada, PASSWORD, "a brand new passphrase")
    assert tokens.authenticate(first) is None and tokens.authenticate(second) is None
    assert all(info.revoked_at is not None for info in tokens.tokens_of(ada))
    assert tokens.authenticate(bobs) is not None  # other accounts' tokens are untouched
    _, third = tokens.create_for("ada", "after the change")
    assert tokens.authenticate(third) is not None
    link = both.community.accounts.reset_link("ada")
    both.community.accounts.reset_password(link.partition("token=")[2], "yet another one")
    assert tokens.authenticate(third) is None


def test_the_pages_say_a_new_password_ends_the_tokens(both: Site) -> None:
    visitor = both.signed_in("ada")
    assert "ends your API tokens" in visitor.get("/account").text
    link = both.community.accounts.reset_link("ada")
    reset_page = visitor.get(link.removeprefix(both.settings.base_url)).text
    assert "API tokens will stop working" in reset_page


def test_a_re_enabled_account_does_not_get_its_old_tokens_back(both: Site) -> None:
    both.user("spammer")
    _, token = both.community.tokens.create_for("spammer")
    both.community.accounts.set_disabled("spammer", True)
    assert both.community.tokens.authenticate(token) is None
    both.community.accounts.set_disabled("spammer", False)
    assert both.community.tokens.authenticate(token) is None


def test_tokens_expire_when_asked_to(both: Site) -> None:
    ada = both.user("ada")
    tokens = both.community.tokens
    info, token = tokens.create(ada, "a week", expires_in=timedelta(days=7))
    _, forever = tokens.create(ada, "no expiry")
    assert info.expires_at == both.clock() + timedelta(days=7)
    assert tokens.authenticate(token) is not None
    (used, *_) = [i for i in tokens.tokens_of(ada) if i.id == info.id]
    assert used.last_used_at == both.clock()
    both.clock.advance(days=7)
    assert tokens.authenticate(token) is None
    assert tokens.authenticate(forever) is not None
    states = {i.name: i.state_at(both.clock()) for i in tokens.tokens_of(ada)}
    assert states == {"a week": "expired", "no expiry": "active"}
    for days in (0, -1, 3651):
        with pytest.raises(InvalidInput):
            tokens.create(ada, "bad", expires_in=timedelta(days=days))


def test_the_account_page_sets_and_shows_expiry_and_last_use(both: Site) -> None:
    visitor = both.signed_in("ada")
    created = visitor.post_form("/account/tokens", {"name": "ci", "expires_days": "30"})
    assert created.status_code == 201
    token = created.text.split('<code class="token-value">')[1].split("<")[0]
    expires = (both.clock() + timedelta(days=30)).date()
    (info,) = both.community.tokens.tokens_of(both.community.accounts.by_username("ada"))  # type: ignore[arg-type]
    assert info.expires_at is not None and info.expires_at.date() == expires
    page = visitor.get("/account").text
    assert 'name="expires_days"' in page and "Expires" in page and "Last used" in page
    assert "never" in page  # not used yet
    visitor.http.post("/api/papers/2401.00001/upvote", headers=bearer(token))
    assert "never</td>" not in visitor.get("/account").text.split("token-table")[1]
    for bad in ("forever", "0", "3651", "9999999999", "²"):
        refused = visitor.post_form("/account/tokens", {"name": "x", "expires_days": bad})
        assert refused.status_code == 400, bad


def test_token_cli_sets_an_expiry(both: Site, database_url: str) -> None:
    both.user("ada")
    data = both.settings.data_dir
    url = both.db.url
    created = run(data, "token", "create", "ada", "--expires-days", "7", database_url=url)
    assert created.exit_code == 0, created.output
    listed = run(data, "token", "list", "ada", database_url=url)
    assert "\tactive\texpires " in listed.stdout
    refused = run(data, "token", "create", "ada", "--expires-days", "0", database_url=url)
    assert refused.exit_code == 2
