"""The one way browser tests get a browser: Debian's Chromium (``/usr/bin/chromium``, installed
by scripts/ensure-chromium), headless, driven by Playwright. No browser is downloaded.

Without ``playwright`` (pip install playwright==1.65.2) or Chromium (apt-get install -y
chromium) the browser tests are skipped: a module that needs them throughout calls
``playwright_api()`` at import; a single test asks for the ``browser`` fixture (conftest.py).
Nothing from Playwright is imported until then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

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
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def playwright_api() -> ModuleType:
    """``playwright.sync_api``; skips the test, or the module when called at import, if it or
    Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)", allow_module_level=True)
    return pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright==1.65.2)"
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards."""
    with playwright_api().sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot in test-artifacts/screenshots/ (git-ignored), for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
