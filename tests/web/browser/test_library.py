"""The personal layer in a real browser (Chromium driven by Playwright, uvicorn on loopback):
save a paper to a collection from a listing's card, see the collection named in "for you"'s
reasons, dismiss a recommendation.

Skipped without ``playwright`` or ``/usr/bin/chromium`` (see tests/chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paperboard.storage.database import Database
from tests.app_factory import PASSWORD, Site, serve_app
from tests.chromium import playwright_api, shot
from tests.web.library_site import personal_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser

sync_api = playwright_api()
expect = sync_api.expect


@pytest.fixture
def served(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Site, str]]:
    db = Database(sqlite_url)
    for site in personal_site(db, tmp_path):
        site.user("ada")
        with serve_app(site.app) as url:
            yield site, url
    db.dispose()


def test_save_from_a_card_see_the_reason_and_dismiss(
    served: tuple[Site, str], browser: Browser
) -> None:
    _, url = served
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(url + "/login?next=/papers/new")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    card = page.locator("article.card", has_text="On graphs 2411.00012")
    card.get_by_role("link", name="Save to collection").click()
    page.get_by_label("A new collection").fill("Graph reading")
    page.get_by_label("Note (optional)").fill("for Monday")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Graph reading")
    expect(page.locator(".collection-items")).to_contain_text("On graphs 2411.00012")

    page.get_by_role("link", name="For you").click()
    item = page.locator("li.for-you-item", has_text="On graphs 2411.00011")
    expect(item.locator(".reasons")).to_contain_text("Graph reading")
    shot(page, "library-for-you")
    expect(page.locator("li.for-you-item", has_text="2411.00012")).to_have_count(0)
    item.get_by_role("button", name="Not interested").click()
    expect(page.locator("h1")).to_have_text("For you")
    expect(page.locator("li.for-you-item", has_text="2411.00011")).to_have_count(0)
    assert errors == []
