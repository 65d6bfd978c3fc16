"""The community flow in a real browser: Chromium (Debian's package) driven by Playwright,
against a real uvicorn server. Sign up, submit, upvote and un-upvote (in place, with the
page's script), comment, reply, sign out; a curator hides a comment. Screenshots go to
test-artifacts/screenshots/ (git-ignored).

Skipped without ``playwright`` or ``/usr/bin/chromium`` (see tests/chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paperboard.storage.database import Database
from tests.chromium import playwright_api, shot
from tests.community_site import Site, build_site, featured, paper, serve_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

sync_api = playwright_api()
expect = sync_api.expect
NOW = datetime.now(UTC)


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Site, str]]:
    db = Database(sqlite_url)
    site = build_site(db, tmp_path / "data")
    site.add(
        paper(
            "2401.00001", title="Attention over <b>boards</b>", published_at=NOW - timedelta(days=2)
        ),
        featured("2401.00001", NOW.date(), upvotes=4, comments=0),
        paper("2401.00002", title="A paper worth submitting", published_at=NOW - timedelta(days=1)),
    )
    site.user("cora", role="curator")
    with serve_app(site.app) as url:
        yield site, url
    site.close()
    db.dispose()


def test_sign_up_submit_vote_comment_and_moderate(
    served: tuple[Site, str], browser: Browser
) -> None:
    site, url = served
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Sign up from the header link.
    page.goto(url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    shot(page, "community-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="ada", exact=True)).to_be_visible()

    # Submit a paper.
    page.get_by_role("link", name="Submit a paper").click()
    page.get_by_label("arXiv id or URL").fill("https://arxiv.org/abs/2401.00002v1")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("Featured on today")
    shot(page, "community-submitted")

    # Upvote on the board: the count changes in place (no page load), then back.
    page.goto(url + "/")
    card = page.locator("article.card", has_text="Attention over <b>boards</b>")
    button = card.locator("button.vote-button")
    expect(button.locator(".votes-count")).to_have_text("4")
    with page.expect_response(lambda r: r.url.endswith("/upvote")) as voted:
        button.click()
    assert voted.value.headers["content-type"] == "application/json"
    expect(button.locator(".votes-count")).to_have_text("5")
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(button.locator(".votes-count")).to_have_text("4")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button.locator(".votes-count")).to_have_text("5")
    page.reload()
    expect(card.locator(".votes-count")).to_have_text("5")

    # Comment on the paper page; the hostile title stays text.
    card.locator(".card-title a").click()
    expect(page.locator("h1")).to_have_text("Attention over <b>boards</b>")
    page.get_by_label("Add a comment").fill("Lovely **results**, <script>alert(1)</script>")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("article.comment").first
    expect(comment.locator("strong")).to_have_text("results")
    expect(comment.locator(".comment-body")).to_contain_text("<script>alert(1)</script>")
    page.locator("details.comment-reply summary").first.click()
    page.get_by_label("Reply to ada").fill("Replying to myself")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator(".comment-replies article.comment")).to_contain_text("Replying")
    expect(page.locator(".paper-actions")).to_contain_text("2 comments")
    shot(page, "community-paper-signed-in")

    # Sign out; the curator signs in and hides the first comment.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    page.goto(url + "/login?next=/papers/2401.00001")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Attention over <b>boards</b>")
    page.locator("article.comment").first.get_by_role("button", name="Hide").first.click()
    expect(page.locator(".chip-warning")).to_have_text("hidden by a curator")
    shot(page, "community-paper-curator")
    assert errors == []

    # A visitor sees the placeholder and the reply, not the hidden text.
    html = site.visitor().get("/papers/2401.00001").text
    assert "Lovely" not in html and "Replying to myself" in html
