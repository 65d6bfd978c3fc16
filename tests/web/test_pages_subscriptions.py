"""Subscribing through the web app, end to end: the form and the JSON API, the confirmation
mail received by a real SMTP server (aiosmtpd), its link, a digest run, and the digest's
links (paper pages, manage, RFC 8058 one-click unsubscribe) followed against the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.domain.periods import parse_day
from paperboard.domain.smtp_url import SmtpConfig
from paperboard.mail.compose import MailConfig
from paperboard.mail.delivery import DigestRun
from paperboard.mail.smtp import SmtpSender
from paperboard.storage import subscriptions
from paperboard.storage.database import Database
from tests.app_factory import build_site
from tests.digest_helpers import BASE_URL, DAY, NOW, links, load_board, parts, path_of
from tests.mailserver import SmtpServer, free_port, serve_smtp

PERIOD_DAY = DAY.isoformat()


@dataclass
class MailSite:
    """A site (tests/app_factory.py) whose mail goes to a real SMTP server, and what it got."""

    site: MailSite
    smtp: SmtpServer

    @property
    def client(self) -> TestClient:
        return self.site.client

    @property
    def db(self) -> Database:
        return self.site.db

    def digest_run(self, day: str = PERIOD_DAY) -> None:
        """A daily digest run for ``day``, with the app's settings (key, base URL)."""
        sender = SmtpSender(SmtpConfig(self.smtp.host, self.smtp.port, "none", timeout=10))
        config = MailConfig.from_settings(self.site.settings)
        run = DigestRun(self.db, sender, config, clock=lambda: NOW)
        run.enqueue("daily", parse_day(day))
        run.deliver()

    def status(self, email: str) -> str | None:
        with self.db.read() as connection:
            found = subscriptions.get_by_email(connection, email)
        return found.status if found else None

    def mails_to(self, email: str) -> list[tuple[str, str, str]]:
        """(subject, text, html) of each message the SMTP server received for ``email``, once
        the mail the requests queued went out (the app sends it from a thread of its own)."""
        queue = self.client.app.state.runtime.mail_queue  # type: ignore[attr-defined]
        assert queue.wait_idle(10), "mail still queued"
        found = []
        for received in self.smtp.recorder.to(email):
            text, html = parts(received.message)
            found.append((received.message["Subject"], text, html))
        return found


@contextmanager
def mail_site(
    tmp_path: Path, db: Database, smtp_url: str | None, smtp: SmtpServer
) -> Iterator[MailSite]:
    env = {
        "PAPERBOARD_BASE_URL": BASE_URL,
        "PAPERBOARD_SECRET_KEY": "w" * 40,
        "PAPERBOARD_MAIL_FROM": "paperboard <digest@example.org>",
    }
    if smtp_url:
        env["PAPERBOARD_SMTP_URL"] = smtp_url
    with build_site(db, tmp_path / "pb", env=env) as site:
        yield MailSite(site, smtp)


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[MailSite]:
    load_board(db)
    with serve_smtp() as smtp, mail_site(tmp_path, db, f"{smtp.url}?timeout=10", smtp) as made:
        yield made


def subscribe(site: MailSite, email: str, **fields: object) -> None:
    data = {"email": email, "frequency": "daily", **fields}
    response = site.client.post("/subscribe", data=data)
    assert response.status_code == 200, response.text
    assert "Check your inbox" in response.text


def confirm_link(site: MailSite, email: str) -> str:
    (_subject, text, _html) = site.mails_to(email)[-1]
    (link,) = links(text, "/subscribe/confirm?token=")
    return path_of(link)


# --- the journey ---------------------------------------------------------------------------------


def test_subscribe_confirm_receive_unsubscribe(site: MailSite) -> None:
    form = site.client.get("/subscribe")
    assert form.status_code == 200
    assert 'action="/subscribe"' in form.text and "site-header" in form.text  # base layout
    subscribe(site, "Ada@Example.org", categories=["cs.CL"], keywords="agents")
    ((subject, text, _html),) = site.mails_to("ada@example.org")
    assert subject == "Confirm your paperboard daily digest"
    assert "Topics: categories cs.CL; keywords “agents”." in text
    assert site.status("ada@example.org") == "pending"

    # Nothing is sent before confirmation.
    site.digest_run()
    assert len(site.mails_to("ada@example.org")) == 1

    confirmed = site.client.get(confirm_link(site, "ada@example.org"))
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    assert site.status("ada@example.org") == "confirmed"

    site.digest_run()
    subject, text, _html = site.mails_to("ada@example.org")[-1]
    received = site.smtp.recorder.to("ada@example.org")[-1].message
    assert subject.startswith("paperboard daily · Jun 13: Diffusion paper 0")
    assert "Diffusion paper 0" in text and "Agents paper 1" in text  # cs.CL or "agents"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", received["List-Unsubscribe"])
    assert https.startswith(f"{BASE_URL}/unsubscribe?token=") and mailto.startswith("mailto:")

    # The digest's links work against the app.
    for link in {*links(text, f"{BASE_URL}/papers/")}:
        assert site.client.get(path_of(link)).status_code == 200, link
    manage = site.client.get(path_of(links(text, "/subscription/manage?token=")[0]))
    assert manage.status_code == 200 and "ada@example.org" in manage.text

    # RFC 8058 one-click: a POST from the mail provider, no session, no redirect.
    one_click = site.client.post(
        path_of(https),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.text
    assert site.status("ada@example.org") == "unsubscribed"
    # The next day's digest goes to everyone else, not to ada.
    load_board(site.db, 4, DAY.replace(day=14))
    subscribe(site, "bob@example.org")
    site.client.get(confirm_link(site, "bob@example.org"))
    before = len(site.mails_to("ada@example.org"))
    site.digest_run("2024-06-14")
    assert len(site.mails_to("ada@example.org")) == before
    assert site.mails_to("bob@example.org")[-1][0].startswith("paperboard daily · Jun 14")


def test_unsubscribe_page_asks_first(site: MailSite) -> None:
    subscribe(site, "ada@example.org")
    site.client.get(confirm_link(site, "ada@example.org"))
    site.digest_run()
    _, text, _ = site.mails_to("ada@example.org")[-1]
    (link,) = {path_of(u) for u in links(text, "/unsubscribe?token=")}
    page = site.client.get(link)
    assert page.status_code == 200
    assert "Unsubscribe?" in page.text and 'method="post"' in page.text
    assert site.status("ada@example.org") == "confirmed"  # a GET changes nothing
    done = site.client.post(link)
    assert done.status_code == 200 and site.status("ada@example.org") == "unsubscribed"
    # The page offers the way back.
    (resubscribe,) = re.findall(r'href="([^"]+/subscription/manage\?token=[^"]+)"', done.text)
    back = site.client.post(
        path_of(resubscribe.replace("&amp;", "&")),
        data={"action": "resubscribe", "frequency": "weekly"},
    )
    assert back.status_code == 200 and "Subscribed again" in back.text
    assert site.status("ada@example.org") == "confirmed"


def test_manage_changes_frequency_and_topics(site: MailSite) -> None:
    subscribe(site, "ada@example.org")
    site.client.get(confirm_link(site, "ada@example.org"))
    site.digest_run()
    _, text, _ = site.mails_to("ada@example.org")[-1]
    manage = path_of(links(text, "/subscription/manage?token=")[0])
    saved = site.client.post(
        manage,
        data={
            "action": "save",
            "frequency": "weekly",
            "categories": ["cs.AI"],
            "other_categories": "stat.ml",
            "keywords": "Graph neural networks",
            "interest": "robots that learn",
        },
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    with site.db.read() as connection:
        found = subscriptions.get_by_email(connection, "ada@example.org")
    assert found is not None
    assert (found.frequency, found.topics.categories, found.topics.keywords) == (
        "weekly",
        ("cs.AI", "stat.ML"),
        ("graph neural networks",),
    )
    assert found.topics.interest == "robots that learn"
    bad = site.client.post(manage, data={"action": "save", "other_categories": "nonsense.XX"})
    assert bad.status_code == 400 and "not an arXiv category" in bad.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/subscribe/confirm?token=1.0.forged"),
        ("get", "/unsubscribe?token=1.0.forged"),
        ("post", "/unsubscribe?token=1.0.forged"),
        ("get", "/subscription/manage?token=nonsense"),
        ("post", "/subscription/manage?token=1.0.forged"),
    ],
)
def test_bad_links_get_a_designed_page(site: MailSite, method: str, path: str) -> None:
    subscribe(site, "ada@example.org")
    response = getattr(site.client, method)(path)
    assert response.status_code == 400
    assert "This link does not work" in response.text and 'href="/subscribe"' in response.text
    assert site.status("ada@example.org") == "pending"


def test_form_errors_keep_what_was_typed(site: MailSite) -> None:
    response = site.client.post(
        "/subscribe", data={"email": "not-an-address", "keywords": "diffusion"}
    )
    assert response.status_code == 400
    assert "That is not an email address." in response.text
    assert 'value="diffusion"' in response.text and 'value="not-an-address"' in response.text
    bad_category = site.client.post(
        "/subscribe", data={"email": "ada@example.org", "other_categories": "xx.YY"}
    )
    assert bad_category.status_code == 400 and "not an arXiv category" in bad_category.text
    assert site.smtp.recorder.received == []


def test_honeypot_posts_send_nothing(site: MailSite) -> None:
    response = site.client.post(
        "/subscribe", data={"email": "victim@example.org", "website": "http://spam"}
    )
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert site.smtp.recorder.received == [] and site.status("victim@example.org") is None


def test_resubscribing_does_not_duplicate(site: MailSite) -> None:
    subscribe(site, "ada@example.org")
    subscribe(site, "ADA@example.org", frequency="weekly")
    with site.db.read() as connection:
        assert subscriptions.count_by_status(connection) == {"pending": 1}
    assert len(site.mails_to("ada@example.org")) == 1  # the second is throttled


# --- JSON API ------------------------------------------------------------------------------------


def test_api_subscribe(site: MailSite) -> None:
    response = site.client.post(
        "/api/subscriptions",
        json={"email": "Bob@Example.org", "frequency": "weekly", "topics": ["cs.CL", "rag"]},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending_confirmation"
    assert body["topics"] == {"categories": ["cs.CL"], "keywords": ["rag"], "interest": None}
    assert site.status("bob@example.org") == "pending"
    confirmed = site.client.get(confirm_link(site, "bob@example.org"))
    assert confirmed.status_code == 200 and site.status("bob@example.org") == "confirmed"
    structured = site.client.post(
        "/api/subscriptions",
        json={
            "email": "carol@example.org",
            "topics": {"categories": ["math.OC"], "interest": "optimal transport"},
        },
    )
    assert structured.status_code == 202
    assert structured.json()["topics"]["interest"] == "optimal transport"
    assert "/api/subscriptions" in site.client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "nope"}, 422),
        ({"email": "a@example.org", "frequency": "hourly"}, 422),
        ({"email": "a@example.org", "topics": {"categories": ["bogus.XX"]}}, 422),
        ({"frequency": "daily"}, 422),
    ],
)
def test_api_rejects_bad_requests(site: MailSite, body: dict[str, object], status: int) -> None:
    response = site.client.post("/api/subscriptions", json=body)
    assert response.status_code == status
    assert site.smtp.recorder.received == []


# --- without a working mail server ---------------------------------------------------------------


def test_without_smtp_settings_subscribing_is_off(tmp_path: Path, db: Database) -> None:
    with serve_smtp() as smtp, mail_site(tmp_path, db, None, smtp) as site:
        client = site.client
        page = client.get("/subscribe")
        assert page.status_code == 200 and "not set up on this paperboard" in page.text
        assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 503
        api = client.post("/api/subscriptions", json={"email": "a@example.org"})
        assert api.status_code == 503 and "PAPERBOARD_SMTP_URL" in api.json()["error"]


def test_a_mail_server_down_does_not_hold_up_the_answer(tmp_path: Path, db: Database) -> None:
    """The answer never waits on the mail server: it is the usual one, and the mail queue
    tries again later (tests/mail/test_subscriptions.py: a mail that fails for good
    un-throttles its address)."""
    down = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    with serve_smtp() as smtp, mail_site(tmp_path, db, down, smtp) as site:
        client = site.client
        page = client.post("/subscribe", data={"email": "a@example.org"})
        assert page.status_code == 200 and "Check your inbox" in page.text
        api = client.post("/api/subscriptions", json={"email": "b@example.org"})
        assert api.status_code == 202
        queue = client.app.state.runtime.mail_queue  # type: ignore[attr-defined]
        assert not queue.wait_idle(1.0)  # both wait for their next try
        queue.close(timeout_s=0)


def test_the_form_on_every_page_subscribes(site: MailSite) -> None:
    page = site.client.get("/papers/new")
    assert '<form class="cta-form" method="post" action="/subscribe">' in page.text
    # Exactly the fields that form sends: email and frequency, no topics.
    subscribe(site, "grace@example.org", frequency="weekly")
    ((subject, _text, _html),) = site.mails_to("grace@example.org")
    assert subject == "Confirm your paperboard weekly digest"
    assert site.status("grace@example.org") == "pending"
