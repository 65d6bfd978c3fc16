"""Whole journeys in a real browser (Debian's Chromium driven by Playwright) against a real
uvicorn server: a visitor browses the boards, searches from the header and follows a paper to
another day; a subscriber subscribes, confirms from the mail a real SMTP server (aiosmtpd)
received, gets a digest and unsubscribes from its link; a curator features a paper on today's
board and hides a comment; without e-mail set up every digest control is off; a paper submitted
while arXiv is unreachable can be submitted again from the same form. Screenshots of the main
pages go to test-artifacts/screenshots/.

Sign-up, submitting, upvoting and commenting are in tests/web/browser/test_community.py; the home,
paper, trending and month pages at two screen sizes in tests/web/browser/test_pages.py.

Skipped without ``playwright`` or ``/usr/bin/chromium`` (see tests/chromium.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paperboard.domain.periods import period_containing
from paperboard.domain.smtp_url import SmtpConfig
from paperboard.ingest.http import FetchResponse, HttpFetcher
from paperboard.mail.compose import MailConfig
from paperboard.mail.delivery import DigestRun
from paperboard.mail.sender import InMemorySender
from paperboard.mail.smtp import SmtpSender
from paperboard.storage import subscriptions
from paperboard.web.render.boards import period_label, period_title
from tests.browser_site import (
    EARLIER,
    LATEST,
    OLD,
    TODAY,
    UNFEATURED,
    day,
    serve_browser_site,
    sign_in,
)
from tests.chromium import playwright_api, shot
from tests.command_line import free_port
from tests.community_site import Site
from tests.digest_helpers import links, parts
from tests.mailserver import SmtpServer, serve_smtp

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

sync_api = playwright_api()
expect = sync_api.expect
# A recorded arXiv API answer for one paper; its dates are moved into the submit window.
RECORDED_ID = "1605.08386"
RECORDED_DAY = "2016-05-26"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with serve_smtp() as server:
        yield server


@pytest.fixture
def served(tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[Site, str]]:
    """A fresh site per journey (the curator's changes today's board), its confirmation mails
    and digests sent to the loopback SMTP server."""
    env = {
        "PAPERBOARD_SMTP_URL": f"{smtp.url}?timeout=10",
        "PAPERBOARD_SECRET_KEY": "j" * 40,
        "PAPERBOARD_MAIL_FROM": "paperboard <digest@example.org>",
    }
    with serve_browser_site(tmp_path, env) as served:
        yield served


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []  # no script error on any page of the journey


# --- a visitor ---------------------------------------------------------------------------------


def test_visitor_browses_days_searches_and_follows_a_paper(
    served: tuple[Site, str], page: Page
) -> None:
    _site, url = served
    page.goto(url + "/")
    expect(page.locator("h1")).to_have_text(period_title(day(LATEST)))

    # The previous day with papers, then its week and its month through the period switch.
    page.locator(".date-nav .date-prev").click()
    expect(page).to_have_url(f"{url}/papers/date/{EARLIER.isoformat()}")
    expect(page.locator("h1")).to_have_text(period_title(day(EARLIER)))
    expect(page.locator("article.card")).to_have_count(3)
    board_period = page.get_by_role("navigation", name="Board period")
    board_period.get_by_role("link", name="Week").click()
    week = period_containing("week", EARLIER)
    expect(page).to_have_url(f"{url}/papers/week/{week.key}")
    expect(page.locator("h1")).to_have_text(period_title(week))
    expect(page.locator("article.card", has_text="Attention Is Still All You Need")).to_be_visible()
    board_period.get_by_role("link", name="Month").click()
    month = period_containing("month", EARLIER)
    expect(page).to_have_url(f"{url}/papers/month/{month.key}")
    expect(page.locator(".calendar h2")).to_have_text(period_title(month))
    day_cell = page.locator(f".calendar a[href='/papers/date/{EARLIER.isoformat()}']")
    expect(day_cell).to_contain_text("3")  # the day's paper count

    # The header's search box: type, Enter.
    search = page.get_by_role("searchbox", name="Search papers")
    search.click()
    page.keyboard.type("speculative decoding")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Results for “speculative decoding”")
    cards = page.locator("article.card")
    expect(cards.first.locator(".card-title")).to_have_text(
        "Speculative Decoding with Draft Models"
    )
    # The words searched for are marked on the best card.
    expect(cards.first.locator(".card-title mark")).to_have_text(["Speculative", "Decoding"])
    expect(page.get_by_label("Search", exact=True)).to_have_value("speculative decoding")
    shot(page, "journey-search-results")

    # Open the paper; it was featured on two days: follow the older one.
    cards.first.locator(".card-title a").click()
    expect(page).to_have_url(f"{url}/papers/2401.00001")
    featured_on = page.locator(".featured-on a")
    expect(featured_on).to_have_text(
        [period_label(day(OLD)), period_label(day(LATEST))]
    )  # oldest first
    featured_on.filter(has_text=period_label(day(OLD))).click()
    expect(page).to_have_url(f"{url}/papers/date/{OLD.isoformat()}")
    expect(page.locator("h1")).to_have_text(period_title(day(OLD)))
    expect(page.locator("article.card .card-title")).to_have_text(
        [
            "Speculative Decoding with Draft Models",
            "Caching Key Value States to Speed Up Language Model Decoding",
        ]
    )


# --- a subscriber ------------------------------------------------------------------------------


def _status(site: Site, email: str) -> str | None:
    with site.db.read() as connection:
        found = subscriptions.get_by_email(connection, email)
    return found.status if found else None


def _mails(site: Site, smtp: SmtpServer, email: str) -> list[tuple[str, str]]:
    """(subject, plain text) of each message the SMTP server received for ``email``, once
    the mail the site queued went out."""
    site.wait_for_mail()
    received = smtp.recorder.to(email)
    return [(r.message["Subject"], parts(r.message)[0]) for r in received]


def test_subscribe_confirm_manage_and_unsubscribe(
    served: tuple[Site, str], smtp: SmtpServer, page: Page
) -> None:
    site, url = served
    site.user("ada")  # ada@example.org: the same address, to see it in her settings

    # The form, filled as a visitor would.
    page.goto(url + "/")
    page.locator(".cta").get_by_role("link", name="Choose topics").click()
    expect(page.locator("h1")).to_have_text("Get trending papers in your email inbox")
    form = page.locator("form.sub-form")
    form.get_by_label("Email address").fill("ada@example.org")
    form.get_by_label("Daily").check()
    form.get_by_label("cs.CL").check()
    form.get_by_label("Keywords").fill("decoding")
    shot(page, "journey-subscribe")
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    assert _status(site, "ada@example.org") == "pending"

    # The confirmation mail reached the SMTP server; its link, opened in the browser.
    ((subject, text),) = _mails(site, smtp, "ada@example.org")
    assert subject == "Confirm your paperboard daily digest"
    (confirm,) = links(text, "/subscribe/confirm?token=")
    page.goto(confirm)  # the link as mailed: PAPERBOARD_BASE_URL is this server
    expect(page.locator("h1")).to_have_text("You are subscribed")
    expect(page.locator(".lede")).to_contain_text("categories cs.CL")
    assert _status(site, "ada@example.org") == "confirmed"
    shot(page, "journey-subscribe-confirmed")

    # Its manage page keeps what was chosen.
    page.get_by_role("link", name="Change frequency or topics").click()
    expect(page.locator("h1")).to_have_text("Your subscription")
    expect(page.locator(".sub-facts")).to_contain_text("Subscribed")
    expect(page.get_by_label("Keywords")).to_have_value("decoding")
    expect(page.get_by_label("cs.CL")).to_be_checked()
    shot(page, "journey-subscribe-manage")

    # Signed in, her digest settings show the subscription once she has verified that the
    # account's address is hers: until then, nothing of it.
    sign_in(page, url, "ada", "/account/digest")
    expect(page.locator("h1")).to_have_text("Email digest")
    expect(page.locator(".sub-panel")).to_contain_text("Verify your address first")
    expect(page.locator(".sub-facts")).to_have_count(0)
    page.get_by_role("button", name="Email me the link again").click()
    expect(page.locator(".form-message")).to_contain_text("We mailed a link to ada@example.org")
    (verify,) = links(_mails(site, smtp, "ada@example.org")[-1][1], "/verify-email?token=")
    page.goto(verify)
    expect(page.locator("h1")).to_have_text("Address verified")
    page.get_by_role("link", name="See your email digest").click()
    expect(page.locator("h1")).to_have_text("Email digest")
    expect(page.locator(".sub-facts")).to_contain_text("ada@example.org")
    expect(page.locator(".sub-facts")).to_contain_text("Subscribed")
    shot(page, "journey-account-digest")

    # A digest of the latest board, sent to the SMTP server like the scheduled job does.
    settings = site.app.state.runtime.settings
    sender = SmtpSender(SmtpConfig(smtp.host, smtp.port, "none", timeout=10))
    run = DigestRun(
        site.db, sender, MailConfig.from_settings(settings), clock=lambda: datetime.now(UTC)
    )
    assert run.enqueue("daily", day(LATEST)) == 1
    assert run.deliver().sent == 1
    subject, text = _mails(site, smtp, "ada@example.org")[-1]
    assert subject.startswith("paperboard daily") and "Speculative Decoding" in text

    # Its unsubscribe link asks first; the button unsubscribes.
    (unsubscribe,) = set(links(text, "/unsubscribe?token="))
    page.goto(unsubscribe)
    expect(page.locator("h1")).to_have_text("Unsubscribe?")
    shot(page, "journey-unsubscribe")
    assert _status(site, "ada@example.org") == "confirmed"  # opening the page changes nothing
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    assert _status(site, "ada@example.org") == "unsubscribed"
    page.goto(url + "/account/digest")
    expect(page.locator(".sub-panel")).to_contain_text("ada@example.org is unsubscribed")


# --- a curator ---------------------------------------------------------------------------------


def test_curator_features_a_paper_and_hides_a_comment(served: tuple[Site, str], page: Page) -> None:
    site, url = served
    site.user("cora", role="curator")
    bob = site.signed_in("bob")
    assert bob.comment("2401.00002", "An off-topic advertisement").status_code == 303

    # Featuring is one button on the paper page (curators only): it goes on today's board.
    sign_in(page, url, "cora", f"/papers/{UNFEATURED}")
    expect(page.locator("h1")).to_have_text("Optical Frequency Combs in Microresonators")
    expect(page.locator(".featured-on")).to_have_count(0)
    page.get_by_role("button", name="Feature on today’s board").click()
    today_link = page.locator(".featured-on a")
    expect(today_link).to_have_text([period_label(day(TODAY))])
    today_link.click()
    expect(page.locator("h1")).to_have_text(period_title(day(TODAY)))
    expect(page.locator("article.card .card-title")).to_have_text(
        ["Optical Frequency Combs in Microresonators"]
    )
    expect(page.locator("article.card .card-submitter")).to_contain_text("cora")
    shot(page, "journey-curator-featured")
    page.goto(url + "/")  # the home page is today's board now
    expect(page.locator("h1")).to_have_text(period_title(day(TODAY)))

    # Hide bob's comment, then show it again.
    page.goto(f"{url}/papers/2401.00002")
    comment = page.locator("article.comment", has_text="An off-topic advertisement")
    comment.get_by_role("button", name="Hide").click()
    expect(comment.locator(".chip-warning")).to_have_text("hidden by a curator")
    shot(page, "journey-curator-hidden")
    assert "off-topic" not in site.visitor().get("/papers/2401.00002").text
    comment.get_by_role("button", name="Show again").click()
    expect(comment.locator(".chip-warning")).to_have_count(0)
    assert "off-topic" in site.visitor().get("/papers/2401.00002").text


# --- the digest controls, with e-mail and without ------------------------------------------------


def _looks_disabled(button: Locator) -> bool:
    """Whether a button is drawn as one that cannot be pressed (faded, a no-entry cursor)."""
    opacity, cursor = button.evaluate(
        "b => { const s = getComputedStyle(b); return [s.opacity, s.cursor]; }"
    )
    return float(opacity) < 1.0 and cursor == "not-allowed"


def test_without_email_every_digest_control_is_off(tmp_path: Path, page: Page) -> None:
    with serve_browser_site(tmp_path) as (_site, url):
        page.goto(url + "/")
        cta = page.locator(".cta")
        cta.scroll_into_view_if_needed()
        expect(cta).to_contain_text("not set up")
        # Nothing in it to fill in or press: posting it answered 503.
        expect(cta.locator("input, select, button")).to_have_count(0)
        shot(page, "digest-off-home")

        page.goto(url + "/subscribe")
        expect(page.get_by_role("alert")).to_contain_text("not set up")
        button = page.get_by_role("button", name="Subscribe")
        expect(button).to_be_disabled()
        assert _looks_disabled(button)
        expect(page.get_by_label("Email address")).to_be_disabled()
        # The page is the subscription: the box of every other page is not repeated under it.
        expect(page.locator(".cta")).to_have_count(0)
        shot(page, "digest-off-subscribe")


def test_with_email_the_digest_controls_work(tmp_path: Path, page: Page) -> None:
    with serve_browser_site(tmp_path, mail_sender=InMemorySender()) as (_site, url):
        page.goto(url + "/papers/new")
        cta = page.locator(".cta")
        expect(cta.get_by_label("Your email for the digest")).to_be_enabled()
        button = cta.get_by_role("button", name="Subscribe")
        assert not _looks_disabled(button)
        page.goto(url + "/subscribe")
        expect(page.locator(".cta")).to_have_count(0)
        expect(page.get_by_role("alert")).to_have_count(0)
        assert not _looks_disabled(page.get_by_role("button", name="Subscribe"))


# --- submitting while arXiv is unreachable ------------------------------------------------------


class FlakyArxiv:
    """arXiv as the submit form meets it: unreachable (a refused connection, through the real
    fetcher) until ``up``, then answering with the recorded paper."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.up = False
        self.refused = HttpFetcher(min_interval_s=0, retries=0, timeout_s=5)
        self.closed_url = f"http://127.0.0.1:{free_port()}/api/query"  # nothing listens

    def get(self, url: str, params: Mapping[str, str] | None = None) -> FetchResponse:
        if not self.up:
            return self.refused.get(self.closed_url, params)
        return FetchResponse(url, 200, self.answer, {"content-type": "application/atom+xml"})


@pytest.fixture
def arxiv(fixtures_dir: Path) -> Iterator[FlakyArxiv]:
    (path,) = (fixtures_dir / "arxiv_api" / "arxiv.py_raw").glob(f"id_{RECORDED_ID}_*.json")
    body = json.loads(path.read_text(encoding="utf-8"))["body"]
    recent = (TODAY - timedelta(days=2)).isoformat()
    flaky = FlakyArxiv(body.replace(RECORDED_DAY, recent).encode("latin-1"))
    yield flaky
    flaky.refused.close()


def test_submitting_while_arxiv_is_unreachable_keeps_the_form(
    tmp_path: Path, page: Page, arxiv: FlakyArxiv
) -> None:
    env = {"PAPERBOARD_SUBMIT_WINDOW_DAYS": "10"}
    with serve_browser_site(tmp_path, env, fetcher=lambda: arxiv) as (site, url):
        site.user("ada")
        sign_in(page, url, "ada", "/papers/submit")
        expect(page.locator("main")).to_contain_text("last 10 days")  # the configured window

        field = page.get_by_label("arXiv id or URL")
        field.fill(f"https://arxiv.org/abs/{RECORDED_ID}")
        with page.expect_response(url + "/papers/submit") as answer:
            page.get_by_role("button", name="Submit").click()
        assert answer.value.status == 503
        error = page.get_by_role("alert")
        expect(error).to_contain_text("arXiv could not be reached")
        expect(error).not_to_contain_text("ConnectError")
        # The form is still there, with what was typed: submitting again is the retry.
        expect(page.get_by_role("heading", name="Submit a paper")).to_be_visible()
        expect(field).to_have_value(f"https://arxiv.org/abs/{RECORDED_ID}")
        shot(page, "submit-arxiv-unreachable")

        arxiv.up = True
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_contain_text("Featured on today’s board")
        expect(page.get_by_role("alert")).to_have_count(0)
