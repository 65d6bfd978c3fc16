"""A community site for the browser journeys and accessibility checks: the search corpus
(tests/search_corpus.py) featured on several days, so that day, week and month boards, search,
paper pages and the subscription pages all have something to show; keyword search; optionally
a real SMTP server for the digest. The browser itself comes from tests/chromium.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperboard.domain.periods import Period
from paperboard.mail.sender import MailSender
from paperboard.search.keyword import KeywordIndex
from paperboard.search.keyword import sync as sync_keyword_index
from paperboard.search.service import open_search_service
from paperboard.storage.database import Database
from tests.app_factory import PASSWORD, Site, build_site, loopback_socket, serve_app, url_of
from tests.community_site import featured
from tests.search_corpus import EMBEDDER, records

if TYPE_CHECKING:
    from playwright.sync_api import Page

TODAY = datetime.now(UTC).date()
# The boards, relative to today so that the home page (today's board, or the latest one) is
# LATEST: two days with papers in the recent past, one a month back, nothing today.
LATEST = TODAY - timedelta(days=1)
EARLIER = TODAY - timedelta(days=3)
OLD = TODAY - timedelta(days=40)
BOARDS: dict[date, list[str]] = {
    LATEST: ["2401.00001", "2401.00002", "2401.00003"],
    EARLIER: ["2401.00004", "2401.00005", "2401.00006"],
    OLD: ["2401.00001", "2401.00007"],
}
UNFEATURED = "2401.00008"  # in the database, on no board: a curator features it


def day(d: date) -> Period:
    return Period("day", d, d)


@contextmanager
def serve_browser_site(
    data_dir: Path,
    env: dict[str, str] | None = None,
    mail_sender: MailSender | None = None,
    **community_options: Any,
) -> Iterator[tuple[Site, str]]:
    """A community site (SQLite) over the corpus and boards above, with keyword search and
    the hashing embedder (no model download), served by uvicorn on loopback: (site, its URL).
    ``community_options`` go to ``Community`` (e.g. the ``fetcher`` that reaches arXiv).

    The port is bound before the app is made so that PAPERBOARD_BASE_URL is the server's own
    URL: the links in its mails (confirm, manage, unsubscribe) then open in the browser."""
    sock = loopback_socket()
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    index = KeywordIndex(data_dir / "keyword-index")
    site = build_site(
        db,
        data_dir / "data",
        env={**(env or {}), "PAPERBOARD_BASE_URL": url_of(sock)},
        keyword_index=index,
        search=open_search_service(db, index, data_dir, embedder=EMBEDDER),
        mail_sender=mail_sender,
        **community_options,
    )
    site.closers += [db.dispose, index.close]
    site.add(*records())
    for board_day, ids in BOARDS.items():
        site.add(*(featured(arxiv_id, board_day, upvotes=10 - i) for i, arxiv_id in enumerate(ids)))
    sync_keyword_index(db, index)
    with site, serve_app(site.app, sock) as url:
        yield site, url


def sign_in(page: Page, url: str, username: str, next_path: str = "/") -> None:
    """Sign in with the login form; returns once the header shows the username."""
    page.goto(f"{url}/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=username, exact=True).wait_for()
