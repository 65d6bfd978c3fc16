"""The pages in a real browser: Chromium (Debian's package) driven by Playwright.

A real uvicorn server serves a database loaded with Hugging Face's recorded daily papers; the
tests open the home board, a paper page, trending and a month board at a phone's and a
desktop's size, check what a visitor must see, and save screenshots to
test-artifacts/screenshots/ (git-ignored) for people to look at.

Needs ``playwright`` and ``/usr/bin/chromium``; skipped without them (tests/chromium.py). No
browser is downloaded: Playwright drives the system's one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paperboard import boards
from paperboard.domain.periods import Period
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.loader import load
from paperboard.mail.sender import InMemorySender
from paperboard.storage.database import Database
from paperboard.web.render.boards import period_label, period_title
from tests.app_factory import build_site, serve_app
from tests.chromium import playwright_api, shot
from tests.conftest import FIXTURES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}
HF_FIXTURES = FIXTURES / "hf_daily_papers"

sync_api = playwright_api()
expect = sync_api.expect


@dataclass(frozen=True)
class Served:
    url: str
    home: Period  # the day the home page shows


@dataclass(frozen=True)
class Screen:
    page: Page
    name: str  # "phone" | "desktop", for the screenshots' file names

    def shot(self, what: str) -> Path:
        return shot(self.page, f"{what}-{self.name}", full_page=False)

    def fits_the_width(self) -> None:
        """Nothing wider than the screen: the page reads without sideways scrolling."""
        scroll, client = self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, (self.name, scroll, client)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real HTTP server (uvicorn in a thread) over the recorded Hugging Face boards."""
    if not HF_FIXTURES.is_dir():
        pytest.skip(f"recorded Hugging Face boards not found at {HF_FIXTURES}")
    data_dir = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    for path in sorted(HF_FIXTURES.glob("hf_daily_papers_*.json")):
        load(db, parse_daily_papers(path.read_bytes()))
    home_day = boards.home_day(db)
    assert home_day is not None
    # A sender, so that the digest box at the foot of the page is the subscribe form.
    with (
        build_site(db, data_dir, cache=True, mail_sender=InMemorySender()) as site,
        serve_app(site.app) as url,
    ):
        yield Served(url, Period("day", home_day, home_day))
    db.dispose()


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Screen]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    yield Screen(context.new_page(), request.param)
    context.close()


def test_home_board(server: Served, screen: Screen) -> None:
    page = screen.page
    response = page.goto(server.url + "/")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(period_title(server.home))
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    first = cards.first
    expect(first.locator(".card-title")).to_be_visible()
    expect(first.locator(".votes-count")).to_be_visible()
    expect(first.locator(".card-abstract")).to_be_visible()
    expect(first.locator(".card-meta time")).to_be_visible()
    counts = [int(text) for text in cards.locator(".votes-count").all_inner_texts()]
    assert len(counts) > 10
    assert counts == sorted(counts, reverse=True)
    expect(page.get_by_role("navigation", name="Board period")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search papers")).to_be_visible()
    screen.fits_the_width()
    screen.shot("home")
    # The digest call to action, below the cards.
    cta = page.locator(".cta")
    cta.scroll_into_view_if_needed()
    expect(cta).to_be_visible()
    expect(cta).to_contain_text("Get trending papers in your email inbox")
    expect(cta.get_by_label("Your email for the digest")).to_be_visible()
    expect(cta.get_by_role("button", name="Subscribe")).to_be_visible()
    expect(cta.get_by_role("link", name="Choose topics")).to_have_attribute("href", "/subscribe")


def test_paper_page(server: Served, screen: Screen) -> None:
    page = screen.page
    page.goto(server.url + "/")
    title = page.locator("article.card .card-title a").first
    name = title.inner_text()
    title.click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".abstract p").first).to_be_visible()
    expect(page.locator(".paper-actions .votes-count")).to_be_visible()
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    expect(page.get_by_role("link", name="arXiv page")).to_be_visible()
    expect(page.locator(".featured-on a")).to_contain_text([period_label(server.home)])
    screen.fits_the_width()
    screen.shot("paper")


def test_trending_and_month(server: Served, screen: Screen) -> None:
    page = screen.page
    page.goto(server.url + "/papers/trending")
    expect(page.locator("#why")).to_contain_text("Why is this trending?")
    expect(page.locator(".card-trend").first).to_be_visible()
    screen.fits_the_width()
    screen.shot("trending")
    page.goto(server.url + "/papers/month/2024-06")
    expect(page.locator(".calendar")).to_contain_text("June 2024")
    expect(page.locator(".calendar a[href='/papers/date/2024-06-13']")).to_be_visible()
    screen.fits_the_width()
    screen.shot("month")


# Each card's box and its footer's, in CSS pixels.
_CARD_BOXES = """() => [...document.querySelectorAll('.card')].map(card => {
  const box = card.getBoundingClientRect();
  const foot = card.querySelector('.card-foot').getBoundingClientRect();
  return {top: Math.round(box.top), footTop: foot.top, footHeight: foot.height};
})"""


@pytest.mark.parametrize("path", ["/", "/papers/week/2024-W24", "/papers/month/2025-07"])
def test_card_footers_line_up_across_a_row(server: Served, screen: Screen, path: str) -> None:
    """Issue 18: a card whose footer wrapped (categories, a long submitter name, a code link)
    had it a line above its neighbours'. Every footer is one line of one height."""
    page = screen.page
    page.goto(server.url + path)
    cards = page.evaluate(_CARD_BOXES)
    heights = {round(card["footHeight"], 1) for card in cards}
    assert len(cards) > 3 and len(heights) == 1, (path, heights)
    rows: dict[int, set[float]] = {}
    for card in cards:
        rows.setdefault(card["top"], set()).add(round(card["footTop"], 1))
    assert all(len(tops) == 1 for tops in rows.values()), (path, rows)
    if screen.name == "desktop":
        assert any(len([c for c in cards if c["top"] == top]) > 1 for top in rows)


@pytest.mark.parametrize("path", ["/", "/papers/trending", "/papers/2406.06523", "/no-such-page"])
def test_a_page_loads_everything_it_asks_for(server: Served, screen: Screen, path: str) -> None:
    """Styles, scripts and icons all answer: the favicon was a 404 on every page (issue 18)."""
    page = screen.page
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    icon_status = page.evaluate("() => fetch('/favicon.ico').then(r => r.status)")
    assert [f for f in failed if not f.endswith("/no-such-page")] == [] and icon_status == 200
