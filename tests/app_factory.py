"""The one way tests make a paperboard web app, and the site around it.

``make_app``: a ``Runtime`` (runtime.py, the composition root) over the test's database, with
the test's own services where it needs them, then ``create_app``. ``build_site``: that app with
test-friendly community options (fast password hashing, no abuse limits, a settable clock, no
response cache), as a ``Site``: test clients, visitors that use it like a browser (cookies
kept, CSRF tokens read from the pages' forms), data helpers. ``serve_app``: the same app behind
a real uvicorn server. Every flavour (plain pages, community, the recorded Hugging Face data in
tests/api_site.py, the browser site in tests/browser_site.py, the hostile site in
tests/test_hostile.py) is a ``Site`` from ``build_site`` plus its own data.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperboard.community.passwords import fast_passwords
from paperboard.community.ratelimit import Limits
from paperboard.community.service import Community
from paperboard.config import Settings, load_settings
from paperboard.ingest.http import Fetcher, StaticFetcher
from paperboard.ingest.loader import LoadReport, load
from paperboard.mail.sender import MailSender
from paperboard.runtime import build_runtime
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from paperboard.storage.users import User
from paperboard.web import create_app
from paperboard.web.response_cache import ResponseCache

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(
    settings: Settings,
    db: Database,
    keyword_index: KeywordIndex | None = None,
    *,
    search: SearchService | None = None,
    mail_sender: MailSender | None = None,
    cache: bool = True,
    full_text_fetcher: Fetcher | None = None,
    **community_options: Any,
) -> FastAPI:
    """``community_options`` go to ``Community`` (fast password hashing, a clock, limits, an
    offline arXiv); ``cache=False``: every response reflects the last write (the response
    cache has its own tests). Full texts come from ``full_text_fetcher``; by default there are
    none (an offline arXiv: a test never reaches the network)."""
    runtime = build_runtime(
        settings,
        db,
        keyword_index,
        search=search,
        mail_sender=mail_sender,
        community_options=community_options,
        full_text_fetcher=full_text_fetcher or StaticFetcher({}),
    )
    app = create_app(runtime)
    if not cache:
        app.state.response_cache = ResponseCache(lambda: None, ttl=0)
    return app


class Clock:
    """A settable clock: ``clock()`` is now; ``advance`` moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    """An app over a test database. Closing it closes its clients and visitors, then what the
    site was given to own (``closers``: an index, a database it opened), newest first."""

    settings: Settings
    db: Database
    app: FastAPI
    community: Community
    clock: Clock
    visitors: list[Visitor] = field(default_factory=list)
    closers: list[Callable[[], object]] = field(default_factory=list)
    _clients: ExitStack = field(default_factory=ExitStack, init=False, repr=False)
    _client: TestClient | None = field(default=None, init=False, repr=False)

    @property
    def keyword_index(self) -> KeywordIndex | None:
        return self.app.state.runtime.keyword_index  # type: ignore[no-any-return]

    @property
    def client(self) -> TestClient:
        """The client a visitor's browser would be: server errors come back as the 500 page,
        not as the exception. Started (lifespan) on first use."""
        if self._client is None:
            self._client = self.open_client(raise_server_exceptions=False)
        return self._client

    def open_client(self, **options: Any) -> TestClient:
        """Another started client (``TestClient``'s options, its defaults), closed with the
        site."""
        return self._clients.enter_context(TestClient(self.app, **options))

    def add(self, *items: Any) -> LoadReport:
        """Papers and board entries, through the loader; every one must be taken."""
        report = load(self.db, list(items))
        assert report.skipped == 0, report.malformed
        return report

    def get(self, path: str, status: int = 200) -> str:
        """The HTML page at ``path`` (with ``client``), which must answer ``status``."""
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        assert "text/html" in response.headers["content-type"]
        return response.text

    def user(self, username: str, role: str = "user", password: str = PASSWORD) -> User:
        return self.community.accounts.create_user(
            username, f"{username.lower()}@example.org", password, role
        )

    def visitor(
        self,
        base_url: str = "http://testserver",
        address: tuple[str, int] = ("testclient", 50000),
        **headers: str,
    ) -> Visitor:
        """A new browser, from ``address`` (the client's IP and port), sending ``headers``."""
        http = TestClient(self.app, base_url=base_url, headers=headers or None, client=address)
        visitor = Visitor(http)
        self.visitors.append(visitor)
        return visitor

    def signed_in(self, username: str, role: str = "user") -> Visitor:
        self.user(username, role)
        visitor = self.visitor()
        response = visitor.log_in(username, PASSWORD)
        assert response.status_code == 303, response.text
        return visitor

    def wait_for_mail(self, timeout_s: float = 10.0) -> None:
        """Wait until the mail that requests queued has gone out (the runtime's mail queue
        sends it from a thread of its own)."""
        queue = self.app.state.runtime.mail_queue
        assert queue is not None, "this site sends no mail"
        assert queue.wait_idle(timeout_s), "mail still queued"

    def close(self) -> None:
        for visitor in self.visitors:
            visitor.http.close()
        self.visitors.clear()
        self._clients.close()
        self._client = None
        while self.closers:
            self.closers.pop()()

    def __enter__(self) -> Site:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_site(
    db: Database,
    data_dir: Path,
    *,
    limits: Limits | None = None,
    clock: Clock | None = None,
    env: dict[str, str] | None = None,
    keyword_index: KeywordIndex | None = None,
    search: SearchService | None = None,
    mail_sender: MailSender | None = None,
    cache: bool = False,
    **community_options: Any,
) -> Site:
    """A site over ``db`` with settings read from ``env`` (default: none) and ``data_dir``.

    ``cache=False`` by default: tests write between requests faster than the response cache's
    version check, so every response reflects the last write (the cache has its own tests).
    ``community_options`` go to ``Community`` (an offline arXiv ``fetcher``, say)."""
    settings = load_settings(env or {}, data_dir=data_dir)
    clock = clock or Clock()
    app = make_app(
        settings,
        db,
        keyword_index,
        search=search,
        mail_sender=mail_sender,
        cache=cache,
        passwords=fast_passwords(),
        limits=limits or Limits.unlimited(),
        clock=clock,
        **community_options,
    )
    return Site(settings, db, app, app.state.runtime.community, clock)


@contextmanager
def open_site(database_url: str, data_dir: Path) -> Iterator[Site]:
    """A site on its own database connection, closed afterwards."""
    db = Database(database_url)
    built = build_site(db, data_dir)
    built.closers.append(db.dispose)
    with built:
        yield built


class Visitor:
    """One browser: cookies persist between requests; forms carry the page's CSRF token."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def csrf(self, page: str = "/login") -> str:
        response = self.http.get(page)
        found = _CSRF.search(response.text)
        assert found, f"no form on {page}: {response.status_code} {response.text[:300]}"
        return found.group(1)

    def post_form(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """POST a form the way the page at ``page`` would (its CSRF token included)."""
        fields = dict(data or {})
        fields["csrf_token"] = token if token is not None else self.csrf(page or "/account")
        kwargs.setdefault("follow_redirects", False)
        return self.http.post(path, data=fields, **kwargs)

    def sign_up(
        self, username: str, email: str | None = None, password: str = PASSWORD
    ) -> httpx.Response:
        data = {"username": username, "email": email or f"{username}@example.org"}
        return self.post_form("/signup", {**data, "password": password}, page="/signup")

    def log_in(self, username: str, password: str = PASSWORD, next: str = "/") -> httpx.Response:
        data = {"username": username, "password": password, "next": next}
        return self.post_form("/login", data, page="/login")

    def log_out(self) -> httpx.Response:
        return self.post_form("/logout", page="/account")

    def upvote(self, arxiv_id: str, on: bool = True, **kwargs: Any) -> httpx.Response:
        data = {"action": "add" if on else "remove"}
        return self.post_form(f"/papers/{arxiv_id}/upvote", data, page="/account", **kwargs)

    def comment(self, arxiv_id: str, text: str, parent_id: int | None = None) -> httpx.Response:
        data: dict[str, Any] = {"text": text}
        if parent_id is not None:
            data["parent_id"] = parent_id
        return self.post_form(f"/papers/{arxiv_id}/comments", data, page="/account")


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port: its URL is known before a server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve_app(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """A real uvicorn server for ``app`` in a thread, on ``sock`` (default: a fresh
    ``loopback_socket``), which it closes afterwards: its URL."""
    sock = sock or loopback_socket()
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
