"""The pages in a real browser: Chromium (Debian's package) driven by Playwright.

A real uvicorn server serves a database loaded with Hugging Face's recorded daily papers; the
tests open the home board, a paper page, trending and a month board at a phone's and a
desktop's size, check what a visitor must see, and save screenshots to
test-artifacts/screenshots/ (git-ignored) for people to look at.

Needs ``playwright`` (pip install playwright==1.65.2) and ``/usr/bin/chromium`` (apt-get install
chromium); skipped without them. No browser is downloaded: Playwright drives the system's one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paperboard import boards
from paperboard.config import load_settings
from paperboard.domain.periods import Period
from paperboard.ingest.hf_daily import parse_daily_papers
from paperboard.ingest.loader import load
from paperboard.mail.sender import InMemorySender
from paperboard.storage.database import Database
from paperboard.web.render.boards import period_label, period_title
from tests.app_factory import make_app
from tests.conftest import FIXTURES, PROJECT_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}
HF_FIXTURES = FIXTURES / "hf_daily_papers"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright==1.65.2)"
)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install -y chromium)"
)
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{what}-{self.name}.png"
        self.page.screenshot(path=str(path))
        return path

    def fits_the_width(self) -> None:
        """Nothing wider than the screen: the page reads without sideways scrolling."""
        scroll, client = self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, (self.name, scroll, client)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real HTTP server (uvicorn in a thread) over the recorded Hugging Face boards."""
    import uvicorn

    if not HF_FIXTURES.is_dir():
        pytest.skip(f"recorded Hugging Face boards not found at {HF_FIXTURES}")
    data_dir = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    for path in sorted(HF_FIXTURES.glob("hf_daily_papers_*.json")):
        load(db, parse_daily_papers(path.read_bytes()))
    home_day = boards.home_day(db)
    assert home_day is not None
    # A sender, so that the digest box at the foot of the page is the subscribe form.
    app = make_app(load_settings({}, data_dir=data_dir), db, mail_sender=InMemorySender())
    port = _free_port()
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", Period("day", home_day, home_day))
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
