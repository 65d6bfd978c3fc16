"""Abuse limits: per account and per IP on sign-up, sign-in, submit, vote and comment; 429 with
Retry-After; windows roll over; the counters live in the database (shared by processes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperboard.community.accounts import Client
from paperboard.community.errors import LoginFailed, RateLimited
from paperboard.community.ratelimit import Limits, RateLimiter, Rule
from paperboard.storage.database import Database
from tests.community_site import PASSWORD, Clock, Site, build_site, featured, paper

# The start of a minute, so that windows of a minute or an hour start with the test.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIGHT = Limits().with_rules(
    signup_per_ip=Rule(2, 3600),
    login_per_ip=Rule(5, 600),
    login_failures_per_ip_account=Rule(3, 900),
    vote_per_account=Rule(3, 60),
    vote_per_ip=Rule(5, 60),
    comment_per_account=Rule(2, 60),
    submit_per_account=Rule(1, 3600),
    reset_per_ip=Rule(1, 3600),
)


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    db = Database(sqlite_url)
    built = build_site(db, tmp_path / "data", limits=TIGHT, clock=Clock(START))
    built.add(paper("2401.00001"), featured("2401.00001", START.date()))
    yield built
    built.close()
    db.dispose()


def test_sign_ups_per_ip(site: Site) -> None:
    visitor = site.visitor()
    assert visitor.sign_up("ada").status_code == 303
    assert site.visitor().sign_up("grace").status_code == 303
    refused = site.visitor().sign_up("alan")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 3600
    assert "Too many attempts" in refused.text
    site.clock.advance(hours=1)
    assert site.visitor().sign_up("alan").status_code == 303


def test_login_failures_per_address_and_name_do_not_reveal_the_account(site: Site) -> None:
    site.community.limits = TIGHT.with_rules(login_per_ip=Rule(100, 600))
    site.user("ada")
    for name in ("ada", "nobody"):
        for _ in range(3):
            assert site.visitor().log_in(name, "wrong").status_code == 401
        # This address is done guessing this name for the window, existing or not: the same
        # answer for both names, and even the right password waits.
        locked = site.visitor().log_in(name, PASSWORD if name == "ada" else "wrong")
        assert locked.status_code == 429, name
        assert 0 < int(locked.headers["retry-after"]) <= 900
    site.clock.advance(minutes=15)
    assert site.visitor().log_in("ada").status_code == 303


def test_a_strangers_guesses_never_lock_the_owner_out(site: Site) -> None:
    """Issue 14, finding 3: failures counted per name alone, and checked before the password,
    let anyone keep an account's owner out with 10 guesses every 15 minutes."""
    site.community.limits = TIGHT.with_rules(login_per_ip=Rule(100, 600))
    site.user("ada")
    accounts = site.community.accounts
    for attacker in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(3):
            with pytest.raises(LoginFailed):
                accounts.log_in("ada", "wrong", client=Client(attacker))
        with pytest.raises(RateLimited):
            accounts.log_in("ada", "wrong", client=Client(attacker))
    # The owner, from an address of their own, signs in at once: by the service and the form.
    assert accounts.log_in("ada", PASSWORD, client=Client("203.0.113.50")).username == "ada"
    owner = site.visitor(address=("203.0.113.51", 50000))
    assert owner.log_in("ada").status_code == 303


def test_ipv6_clients_are_counted_by_their_64_bit_network(site: Site) -> None:
    """One IPv6 host holds a /64 (2^64 addresses): counted by address, it would be unlimited."""
    site.user("ada")
    accounts = site.community.accounts
    for host in range(5):
        with pytest.raises(LoginFailed):
            accounts.log_in(f"user{host}", "wrong", client=Client(f"2001:db8:1:2::{host + 1:x}"))
    with pytest.raises(RateLimited):
        accounts.log_in("ada", PASSWORD, client=Client("2001:db8:1:2:ffff::9"))
    assert accounts.log_in("ada", PASSWORD, client=Client("2001:db8:1:3::1")).username == "ada"
    assert Client("::ffff:198.51.100.7").who == Client("198.51.100.7").who


def test_logins_per_ip(site: Site) -> None:
    site.user("ada")
    accounts = site.community.accounts
    for number in range(5):
        with pytest.raises(LoginFailed):
            accounts.log_in(f"user{number}", "wrong", client=Client("198.51.100.7"))
    with pytest.raises(RateLimited):
        accounts.log_in("ada", PASSWORD, client=Client("198.51.100.7"))
    # Another address is not affected.
    assert accounts.log_in("ada", PASSWORD, client=Client("198.51.100.8")).username == "ada"


def test_votes_per_account_and_per_ip(site: Site) -> None:
    users = [site.user(name) for name in ("ada", "grace", "alan")]
    votes = site.community.votes
    here = Client("203.0.113.5")
    for on in (True, False, True):
        votes.set_vote(users[0], "2401.00001", on, client=here)
    with pytest.raises(RateLimited) as caught:
        votes.upvote(users[0], "2401.00001", client=Client("203.0.113.6"))
    assert 0 < caught.value.retry_after <= 60
    votes.upvote(users[1], "2401.00001", client=here)
    votes.upvote(users[2], "2401.00001", client=here)
    with pytest.raises(RateLimited):  # the address's sixth vote this minute
        votes.withdraw(users[2], "2401.00001", client=here)
    site.clock.advance(minutes=1)
    votes.withdraw(users[2], "2401.00001", client=here)


def test_comments_and_submissions_per_account(site: Site) -> None:
    ada = site.user("ada")
    client = Client("203.0.113.9")
    site.community.comments.post(ada, "2401.00001", "one", client=client)
    site.community.comments.post(ada, "2401.00001", "two", client=client)
    with pytest.raises(RateLimited):
        site.community.comments.post(ada, "2401.00001", "three", client=client)
    site.community.submissions.submit(ada, "2401.00001", client=client)
    with pytest.raises(RateLimited):
        site.community.submissions.submit(ada, "2401.00001", client=client)


def test_the_api_answers_429_with_retry_after(site: Site) -> None:
    site.user("ada")
    _, token = site.community.tokens.create_for("ada")
    http = site.visitor().http
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [
        http.post("/api/papers/2401.00001/upvote", headers=headers).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = http.post("/api/papers/2401.00001/upvote", headers=headers)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "Too many attempts" in refused.json()["error"]


def test_password_reset_requests_per_ip(site: Site) -> None:
    visitor = site.visitor()
    assert visitor.post_form("/forgot-password", {"email": "a@example.org"}).status_code == 200
    assert visitor.post_form("/forgot-password", {"email": "a@example.org"}).status_code == 429


def test_counters_are_shared_through_the_database(site: Site) -> None:
    """Two limiters (two web processes) on one database count against one limit."""
    clock = Clock(START)
    limits = Limits().with_rules(vote_per_ip=Rule(3, 60))
    first, second = (
        RateLimiter(site.db, limits, clock=clock),
        RateLimiter(site.db, limits, clock=clock),
    )
    first.hit(("vote_per_ip", "ip:1"))
    second.hit(("vote_per_ip", "ip:1"))
    first.hit(("vote_per_ip", "ip:1"))
    with pytest.raises(RateLimited):
        second.hit(("vote_per_ip", "ip:1"))
