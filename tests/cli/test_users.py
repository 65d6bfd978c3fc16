"""``paperboard user`` and ``paperboard token`` (cli/users.py), against the accounts a running
site sees (same database, same signing key in the data dir)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from paperboard.community.accounts import Client
from tests.command_line import run
from tests.community_site import Site, open_site

CLIENT = Client("192.0.2.1")


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    with open_site(sqlite_url, tmp_path / "data") as built:
        yield built


def users(site: Site, *args: str, input: str | None = None) -> Result:
    """The command on the site's data dir and database."""
    return run(site.settings.data_dir, *args, input=input, database_url=site.db.url)


def test_user_create_reset_link_and_role(site: Site) -> None:
    created = users(
        site,
        "user",
        "create",
        "root",
        "--email",
        "root@example.org",
        "--password-stdin",
        "--role",
        "admin",
        input="a long passphrase\n",
    )
    assert created.exit_code == 0, created.output
    assert "created admin root" in created.output
    root = site.community.accounts.log_in("root", "a long passphrase", client=CLIENT)
    assert root.role == "admin" and root.is_curator
    again = users(
        site, "user", "create", "ROOT", "--email", "x@example.org",
        "--password-stdin", input="a long passphrase\n",
    )  # fmt: skip
    assert again.exit_code == 2 and "username is taken" in again.output
    link = users(site, "user", "reset-link", "root")
    assert link.exit_code == 0
    token = link.stdout.strip().partition("token=")[2]
    # The CLI signs with the same key as the web app (the data dir's key file).
    assert site.community.accounts.check_reset_token(token).username == "root"
    assert users(site, "user", "reset-link", "nobody").exit_code == 2
    role = users(site, "user", "role", "root", "curator")
    assert role.exit_code == 0 and "root is now curator" in role.output


def test_token_create_list_and_revoke(site: Site) -> None:
    site.user("ada")
    created = users(site, "token", "create", "ada", "--name", "ci")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert site.community.tokens.authenticate(token).username == "ada"
    listed = users(site, "token", "list", "ada")
    assert "ci\tactive" in listed.stdout and token not in listed.stdout
    token_id = listed.stdout.split("\t")[0]
    revoked = users(site, "token", "revoke", token_id)
    assert revoked.exit_code == 0 and site.community.tokens.authenticate(token) is None
    assert users(site, "token", "create", "nobody").exit_code == 2
    _, second = site.community.tokens.create_for("ada")
    by_value = users(site, "token", "revoke", "--token-stdin", input=second + "\n")
    assert by_value.exit_code == 0 and site.community.tokens.authenticate(second) is None
