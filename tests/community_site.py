"""A paperboard app with community features for tests, and a visitor that uses it like a browser
(cookies kept, CSRF tokens read from the pages' forms)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperboard.community.passwords import fast_passwords
from paperboard.community.ratelimit import Limits
from paperboard.community.service import Community
from paperboard.config import Settings, load_settings
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.loader import load
from paperboard.mail.sender import MailSender
from paperboard.search.keyword import KeywordIndex
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from paperboard.storage.users import User
from tests.app_factory import make_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A settable clock: ``clock()`` is now; ``advance`` moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def paper(
    arxiv_id: str,
    *,
    title: str | None = None,
    authors: list[str] | None = None,
    published_at: datetime | None = None,
) -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title or f"Paper {arxiv_id}",
        abstract=f"The abstract of {arxiv_id}.",
        authors=authors or ["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG"],
        published_at=published_at or datetime.now(UTC) - timedelta(days=1),
    )


def featured(arxiv_id: str, day: date, upvotes: int = 0, comments: int = 0) -> FeaturedRecord:
    return FeaturedRecord(
        arxiv_id=arxiv_id,
        day=day,
        submitted_by="akhaliq",
        submitted_by_fullname="AK",
        featured_at=datetime.combine(day, datetime.min.time(), UTC),
        upvotes=upvotes,
        num_comments=comments,
        source="huggingface",
    )


@dataclass
class Site:
    settings: Settings
    db: Database
    app: FastAPI
    community: Community
    clock: Clock
    visitors: list[Visitor] = field(default_factory=list)

    def add(self, *items: Any) -> None:
        load(self.db, list(items))

    def user(self, username: str, role: str = "user", password: str = PASSWORD) -> User:
        return self.community.accounts.create_user(
            username, f"{username.lower()}@example.org", password, role
        )

    def visitor(self, base_url: str = "http://testserver", **headers: str) -> Visitor:
        visitor = Visitor(TestClient(self.app, base_url=base_url, headers=headers or None))
        self.visitors.append(visitor)
        return visitor

    def signed_in(self, username: str, role: str = "user") -> Visitor:
        self.user(username, role)
        visitor = self.visitor()
        response = visitor.log_in(username, PASSWORD)
        assert response.status_code == 303, response.text
        return visitor

    def close(self) -> None:
        for visitor in self.visitors:
            visitor.http.close()


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
    **community_options: Any,
) -> Site:
    settings = load_settings(env or {}, data_dir=data_dir)
    clock = clock or Clock()
    # The cache is exercised by its own tests; here every response reflects the last write.
    app = make_app(
        settings,
        db,
        keyword_index,
        search=search,
        mail_sender=mail_sender,
        cache=False,
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
    try:
        yield built
    finally:
        built.close()
        db.dispose()


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

    def sign_up(self, username: str, email: str | None = None, password: str = PASSWORD):  # type: ignore[no-untyped-def]
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


def comment_id(response: httpx.Response) -> int:
    """The id in a comment form's redirect (``/papers/ID#comment-N``)."""
    location = response.headers["location"]
    return int(location.rpartition("#comment-")[2])


def iter_cookies(response: httpx.Response) -> Iterator[str]:
    yield from response.headers.get_list("set-cookie")


def bound_socket() -> socket.socket:
    """A loopback socket on a free port, bound before a server starts, so its URL is known
    first (to make it the app's PAPERBOARD_BASE_URL, say)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_app(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """A real uvicorn server for ``app`` on ``sock`` (by default a free loopback port), in a
    thread: its URL."""
    import uvicorn

    sock = sock or bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
