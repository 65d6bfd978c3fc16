"""Hardening: security headers on every kind of response, templates that comply with the
Content-Security-Policy, cookie flags, no open redirect after signing in, and a real browser
(Debian's Chromium via Playwright) that reports no CSP violation on any page.

The browser test is skipped without ``playwright`` or ``/usr/bin/chromium`` (see
tests/chromium.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from paperboard.mail.sender import InMemorySender
from paperboard.mail.tokens import Purpose
from paperboard.search.keyword import KeywordIndex
from paperboard.search.keyword import sync as sync_keyword_index
from paperboard.search.service import open_search_service
from paperboard.storage.database import Database
from paperboard.web import security
from paperboard.web.security import CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware
from paperboard.web.session import safe_next
from paperboard.web.templating import STATIC_DIR, TEMPLATES_DIR
from tests.chromium import playwright_api
from tests.community_site import PASSWORD, Site, build_site, featured, paper, serve_app
from tests.digest_helpers import links, parse, parts, path_of
from tests.search_corpus import EMBEDDER

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage

NOW = datetime.now(UTC)
TODAY = NOW.date()
HTTPS_BASE = "https://papers.example.org"
EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": security.PERMISSIONS_POLICY,
}


@contextmanager
def open_site(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Site]:
    """A community site (SQLite) with two papers on today's board, keyword search and an
    in-memory mail sender; closed afterwards."""
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    # /search on SQLite needs the tantivy index; the hashing embedder stands in for the model.
    # Subscribing works without an SMTP server: confirmation mails are kept in a list.
    index = KeywordIndex(data_dir / "keyword-index")
    site = build_site(
        db,
        data_dir / "data",
        env=env,
        keyword_index=index,
        search=open_search_service(db, index, data_dir, embedder=EMBEDDER),
        mail_sender=InMemorySender(),
    )
    site.add(
        paper("2401.00001", title="Attention over boards", published_at=NOW - timedelta(days=2)),
        featured("2401.00001", TODAY, upvotes=4, comments=0),
        paper("2401.00002", title="Diffusion for papers", published_at=NOW - timedelta(days=1)),
        featured("2401.00002", TODAY, upvotes=2, comments=0),
    )
    sync_keyword_index(db, index)
    site.closers += [db.dispose, index.close]
    with site:
        yield site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with open_site(tmp_path) as made:
        yield made


@pytest.fixture
def client(site: Site) -> TestClient:
    return site.client  # the 500 page a visitor gets, not the exception


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One site shared by the tests that only read (setting a site up takes a second)."""
    with open_site(tmp_path_factory.mktemp("security")) as made:
        yield made.client


def assert_security_headers(response: httpx.Response, *, hsts: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], (response.url, name)
    if hsts:
        assert response.headers["strict-transport-security"] == security.HSTS
    else:
        assert "strict-transport-security" not in response.headers


# --- headers on every kind of response ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/", 200, "text/html"),
        (f"/papers/date/{TODAY.isoformat()}", 200, "text/html"),
        ("/papers/2401.00001", 200, "text/html"),
        ("/papers/2401.00001.md", 200, "text/markdown"),
        ("/login", 200, "text/html"),
        ("/api/daily_papers", 200, "application/json"),
        ("/api/papers/2401.00001", 200, "application/json"),
        ("/healthz", 200, "application/json"),
        ("/feeds/trending.atom", 200, "application/atom+xml"),
        ("/static/style.css", 200, "text/css"),
        ("/static/community.js", 200, "text/javascript"),
        ("/no-such-page", 404, "text/html"),
        ("/api/no-such-route", 404, "application/json"),
        ("/papers/2401.99999", 404, "text/html"),
        ("/static/no-such-file.css", 404, "text/html"),
        ("/papers/2401.00001v2", 301, None),
    ],
)
def test_headers_on_every_kind_of_response(
    reader: TestClient, path: str, status: int, kind: str | None
) -> None:
    response = reader.get(path, follow_redirects=False)
    assert response.status_code == status, response.text[:300]
    if kind is not None:
        assert response.headers["content-type"].startswith(kind)
    assert_security_headers(response)


def test_headers_on_post_errors(client: TestClient) -> None:
    # No CSRF token: 403 from the form check.
    refused = client.post("/login", data={"username": "ada", "password": "x"})
    assert refused.status_code == 403
    assert_security_headers(refused)
    # Wrong method: 405.
    wrong = client.post("/")
    assert wrong.status_code == 405
    assert_security_headers(wrong)
    # A body over the limit is refused before it is read: 413 from the community middleware.
    too_large = client.post(
        "/login", content=b"x" * 16, headers={"content-length": str(64 * 1024 * 1024)}
    )
    assert too_large.status_code == 413
    assert_security_headers(too_large)
    # Invalid JSON to the API: FastAPI's 422.
    invalid = client.post(
        "/api/subscriptions", content=b"{", headers={"content-type": "application/json"}
    )
    assert invalid.status_code == 422
    assert_security_headers(invalid)


def test_headers_on_the_500_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 500 page comes from Starlette's outermost middleware: the headers wrap even that."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("paperboard.boards.home_day", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert_security_headers(response)


def test_head_requests_get_the_headers_too(client: TestClient) -> None:
    assert_security_headers(client.head("/"))


def test_hsts_only_with_an_https_base_url(tmp_path: Path) -> None:
    with open_site(tmp_path, env={"PAPERBOARD_BASE_URL": HTTPS_BASE}) as site:
        http = site.open_client(base_url="https://testserver")
        for path in ("/", "/api/daily_papers", "/static/style.css", "/no-such-page"):
            assert_security_headers(http.get(path), hsts=True)


def test_no_hsts_over_http(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers


def test_pages_with_a_token_in_the_address_send_no_referrer(client: TestClient, site: Site) -> None:
    """Confirm, unsubscribe, manage and password-reset links carry a signed token: no page they
    open may hand it on in a Referer header."""
    confirm, unsubscribe, manage = subscribe_links(client, site, "ada@example.org")
    site.user("ada")
    reset = urlsplit(site.community.accounts.reset_link("ada"))
    for path in (
        confirm,
        unsubscribe,
        manage,
        f"{reset.path}?{reset.query}",
        "/unsubscribe?token=not-a-token",  # the error page too
    ):
        response = client.get(path)
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    done = client.post(unsubscribe)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert done.headers["referrer-policy"] == "no-referrer"


def test_api_docs_get_their_own_policy(client: TestClient) -> None:
    """Swagger UI runs an inline script from FastAPI and assets from a CDN; only /docs and
    /redoc are allowed that, never a page of the site."""
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == security.DOCS_CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in client.get("/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_a_header_the_app_set_is_kept_not_doubled() -> None:
    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        headers = [(b"referrer-policy", b"no-referrer"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    middleware = SecurityHeadersMiddleware(app, https=True)
    scope = {"type": "http", "path": "/", "query_string": b"", "headers": []}
    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]
    headers = sent[0]["headers"]
    assert isinstance(headers, list)
    names = [name for name, _ in headers]
    assert names.count(b"referrer-policy") == 1
    assert (b"referrer-policy", b"no-referrer") in headers
    assert (b"strict-transport-security", security.HSTS.encode()) in headers
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}


# --- templates that the policy does not break ------------------------------------------------

# An inline script (a <script> without src), an on*= handler, a style attribute, a <style>.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def inline_code(html: str) -> list[str]:
    found = []
    for pattern in (_INLINE_SCRIPT, _HANDLER, _STYLE_ATTRIBUTE, _STYLE_BLOCK):
        found += [match.group(0) for match in pattern.finditer(html)]
    return found


def test_no_template_has_inline_script_or_style() -> None:
    templates = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert len(templates) > 10
    for template in templates:
        text = _JINJA_COMMENT.sub("", template.read_text())
        assert inline_code(text) == [], template.name


def test_inline_code_finds_what_the_policy_blocks() -> None:
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<button onclick="x()">')
    assert inline_code('<div class="a" style="color:red">')
    assert inline_code("<style>p{}</style>")
    assert not inline_code('<script src="/static/community.js" defer></script>')
    assert not inline_code('<svg><circle fill="currentColor"/></svg><p class="on-top">')


def test_rendered_pages_have_no_inline_script_or_style(client: TestClient, site: Site) -> None:
    """The pages as rendered (macros, SVG charts, signed in), not only the template files."""
    ada = site.signed_in("ada")
    ada.upvote("2401.00001")
    ada.comment("2401.00001", "Nice **work** <b onclick=alert(1) style=color:red>x</b>")
    confirm, unsubscribe, manage = subscribe_links(client, site, "eve@example.org")
    for visitor_get in (client.get, ada.get):
        for path in (
            "/",
            "/papers/trending",
            "/papers/new",
            "/papers/2401.00001",
            "/search?q=attention",
            "/login",
            "/signup",
            "/subscribe",
            confirm,
            unsubscribe,
            manage,
            "/no-such-page",
        ):
            html = visitor_get(path).text
            assert inline_code(html) == [], path
    for path in ("/account", "/account/digest", "/u/ada", "/papers/submit"):
        response = ada.get(path)
        assert response.status_code == 200
        assert inline_code(response.text) == [], path


def test_subscription_styles_are_a_file() -> None:
    css = (STATIC_DIR / "subscribe.css").read_text()
    assert ".sub-panel" in css and ".sub-actions-spaced" in css


# --- cookies -----------------------------------------------------------------------------------


def _cookie_attributes(response: httpx.Response, name: str) -> set[str]:
    """The attributes of the ``name`` cookie the response sets, lower-cased: each both as
    written ("max-age=0") and by its name alone ("max-age")."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            written = {part.strip().lower() for part in header.split(";")[1:]}
            return written | {part.split("=")[0] for part in written}
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def test_cookies_are_httponly_lax_and_not_secure_over_http(site: Site) -> None:
    site.user("ada")
    visitor = site.visitor()
    form = visitor.get("/login")
    csrf = _cookie_attributes(form, "pb_csrf")
    assert {"httponly", "samesite=lax", "path=/"} <= csrf and "secure" not in csrf
    signed_in = visitor.log_in("ada", PASSWORD)
    assert signed_in.status_code == 303
    session = _cookie_attributes(signed_in, "pb_session")
    assert {"httponly", "samesite=lax", "path=/"} <= session and "secure" not in session


def test_cookies_are_secure_with_an_https_base_url(tmp_path: Path) -> None:
    with open_site(tmp_path, env={"PAPERBOARD_BASE_URL": HTTPS_BASE}) as site:
        site.user("ada")
        # httpx keeps Secure cookies for https only, as a browser does.
        visitor = site.visitor(base_url="https://testserver")
        csrf = _cookie_attributes(visitor.get("/login"), "pb_csrf")
        assert {"httponly", "samesite=lax", "secure"} <= csrf
        signed_in = visitor.log_in("ada", PASSWORD)
        assert signed_in.status_code == 303
        session = _cookie_attributes(signed_in, "pb_session")
        assert {"httponly", "samesite=lax", "secure"} <= session
        signed_out = _cookie_attributes(visitor.log_out(), "pb_session")
        assert {"httponly", "samesite=lax", "secure", "max-age=0"} <= signed_out


# --- no open redirect after signing in ---------------------------------------------------------

OFF_SITE = [
    "//evil.com",
    "//evil.com/path",
    "///evil.com",
    "https://evil.com",
    "http://evil.com/papers",
    "https:evil.com",
    "https:/evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\t/evil.com",  # browsers drop tabs and newlines from URLs: this would become //evil.com
    "/\n/evil.com",
    "/\r/evil.com",
    " //evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "@evil.com",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_off_site_targets(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize(
    "target", ["/", "/papers/2401.00001", "/search?q=a+b&sort=new", "/account#tokens", "/u/ada"]
)
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


def _lands_on_this_site(location: str) -> bool:
    """Where a browser would go: resolve like a browser (tabs and newlines dropped) and check
    the host stayed ours."""
    cleaned = re.sub(r"[\t\n\r]", "", location)
    resolved = httpx.URL("http://testserver/login").join(cleaned)
    return resolved.host == "testserver" and resolved.scheme == "http"


def test_login_does_not_redirect_off_site(site: Site) -> None:
    site.user("ada")
    for target in OFF_SITE:
        visitor = site.visitor()
        response = visitor.log_in("ada", PASSWORD, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/", target
        # Already signed in, the login and sign-up pages send the visitor on: home, not away.
        for page in ("/login", "/signup"):
            again = visitor.get(page, params={"next": target}, follow_redirects=False)
            assert again.status_code == 303
            assert again.headers["location"] == "/", (page, target)


@pytest.mark.parametrize("target", [t for t in OFF_SITE if t])
def test_login_form_does_not_carry_an_off_site_target(reader: TestClient, target: str) -> None:
    html = reader.get("/login", params={"next": target}).text
    found = re.search(r'name="next" value="([^"]*)"', html)
    assert found is not None
    assert found.group(1) == "/"


def test_signup_does_not_redirect_off_site(site: Site) -> None:
    visitor = site.visitor()
    csrf = visitor.csrf("/signup")
    response = visitor.http.post(
        "/signup",
        data={
            "username": "ada",
            "email": "ada@example.org",
            "password": PASSWORD,
            "next": "//evil.com",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_keeps_a_local_next(site: Site) -> None:
    site.user("ada")
    response = site.visitor().log_in("ada", PASSWORD, next="/papers/2401.00001")
    assert response.headers["location"] == "/papers/2401.00001"
    assert _lands_on_this_site(response.headers["location"])


def test_form_back_fields_do_not_redirect_off_site(site: Site) -> None:
    ada = site.signed_in("ada")
    for target in ("//evil.com", "https://evil.com", "/\\evil.com"):
        response = ada.post_form(
            "/papers/2401.00001/upvote", {"action": "add", "back": target}, page="/account"
        )
        assert response.status_code == 303
        assert _lands_on_this_site(response.headers["location"]), target


# --- helpers: a subscriber's links -------------------------------------------------------------


def subscriber_links(site: Site, email: str) -> tuple[str, str, str]:
    """Paths of the confirm link in the last mail to ``email``, and of its unsubscribe and
    manage links."""
    sender = site.app.state.runtime.mail_sender
    assert isinstance(sender, InMemorySender)
    site.wait_for_mail()
    text, _html = parts(parse(sender.to(email)[-1].data))
    (confirm,) = links(text, "/subscribe/confirm?token=")
    service = site.app.state.runtime.subscriptions
    token = confirm.split("token=", 1)[1]
    found = service.links(service.subscriber_for(token, Purpose.CONFIRM))
    return path_of(confirm), path_of(found.unsubscribe_url), path_of(found.manage_url)


def subscribe_links(client: TestClient, site: Site, email: str) -> tuple[str, str, str]:
    """Subscribe ``email`` through the form: :func:`subscriber_links`."""
    response = client.post("/subscribe", data={"email": email, "frequency": "daily"})
    assert response.status_code == 200, response.text[:500]
    return subscriber_links(site, email)


# --- a real browser: no policy violation on any page -----------------------------------------

# Runs before any page script (injected by the browser, so not subject to the page's CSP).
_WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${where})`
  );
});
"""


def test_pages_in_a_browser_break_no_policy(site: Site, browser: Browser) -> None:
    expect = playwright_api().expect
    # Chromium reports a policy violation both as an event and as a console error.
    messages: list[str] = []
    violations: list[str] = []
    with serve_app(site.app) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(_WATCH_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda message: messages.append(_console_line(message)))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))

        def visit(path: str, status: int = 200) -> None:
            response = page.goto(url + path)
            assert response is not None and response.status == status, path
            csp = response.headers.get("content-security-policy")
            assert csp == CONTENT_SECURITY_POLICY, path
            violations.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))

        for path in (
            "/",
            f"/papers/date/{TODAY.isoformat()}",
            "/papers/2401.00001",
            "/papers/trending",
            "/papers/new",
            "/search?q=attention",
            "/login",
            "/signup",
            "/forgot-password",
            "/subscribe",
        ):
            visit(path)
        visit("/no-such-page", 404)

        # The subscription pages (their styles were a <style> block): subscribe in the
        # page, then follow the mail's links.
        page.goto(url + "/subscribe")
        page.locator(".sub-form input[type=email]").fill("ada@example.org")
        page.locator(".sub-form button[type=submit]").click()
        expect(page.locator(".sub-panel h1")).to_be_visible()
        violations.extend(page.evaluate("window.__cspViolations"))
        confirm, unsubscribe, manage = subscriber_links(site, "ada@example.org")
        visit(confirm)
        # The styles from subscribe.css apply (the button row keeps its spacing).
        actions = page.locator(".sub-actions-spaced")
        margin = actions.evaluate("e => getComputedStyle(e).marginTop")
        assert margin != "0px"
        visit(manage)
        visit(unsubscribe)
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.locator("h1")).to_have_text("You are unsubscribed")
        violations.extend(page.evaluate("window.__cspViolations"))

        # Signed in: the upvote script runs under the policy (fetch to this origin).
        site.user("ada")
        visit("/login")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="ada", exact=True)).to_be_visible()
        visit("/")
        card = page.locator("article.card", has_text="Attention over boards")
        button = card.locator("button.vote-button")
        with page.expect_response(lambda r: r.url.endswith("/upvote")) as voted:
            button.click()
        assert voted.value.headers["content-type"] == "application/json"
        expect(button).to_have_attribute("aria-pressed", "true")
        violations.extend(page.evaluate("window.__cspViolations"))
        visit("/papers/2401.00001")  # with the upvote chart (inline SVG)
        page.get_by_label("Add a comment").fill("Nice <b style=color:red>work</b>")
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.locator("article.comment").first).to_contain_text("Nice")
        violations.extend(page.evaluate("window.__cspViolations"))
        for path in ("/account", "/account/digest", "/u/ada", "/papers/submit"):
            visit(path)
        reset = urlsplit(site.community.accounts.reset_link("ada"))
        visit(f"{reset.path}?{reset.query}")
    assert violations == []
    messages = [line for line in messages if line]
    assert messages == [], "\n".join(messages)


def _console_line(message: ConsoleMessage) -> str:
    """A console message worth failing the test for, or "" for the expected ones: the 404 page
    visited on purpose, and Chromium's "verbose" [DOM] hints (e.g. a password form without a
    username field), which are advice, not errors. (The favicon's 404 was expected too, until
    the site had one: issue 18.)"""
    url = message.location.get("url", "")
    if message.type == "verbose":
        return ""
    if "status of 404" in message.text and url.endswith("/no-such-page"):
        return ""
    return f"{message.type}: {message.text} ({url})"
