"""Submissions that wait on arXiv never stall reads (issue 14, finding 2).

A stand-in arXiv on loopback accepts connections and never answers. While eight submissions of
unknown papers wait on it, ``/healthz``, a board and a paper page answer as fast as ever, through
a real uvicorn server with the app's own thread limit (``PAPERBOARD_WEB_THREADS``, 4): before
the fix, four submissions held every request thread for 20 s or more.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paperboard.storage.database import Database
from tests.community_site import Site, build_site, featured, paper, serve_app

TODAY = datetime.now(UTC).date()
SUBMISSIONS = 8
# What a read of a small site takes on loopback is milliseconds; a second is "not stalled".
USUAL_LATENCY_S = 1.0
LOOKUP_WAIT_S = 3.0


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server on loopback that accepts every connection and never sends a byte: the
    URL of its arXiv API. Closing it resets the held connections."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/query"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


@pytest.fixture
def stalled_site(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Site, str, str]]:
    """A site whose arXiv never answers, served by uvicorn; (site, its URL, an API token)."""
    db = Database(sqlite_url)
    with silent_server() as arxiv_url:
        # The real fetcher (HttpFetcher, one request per 3 s, a 20 s timeout and a retry):
        # what a production site uses.
        # A shorter wait for the look-ups than a person gets (15 s), to end the test sooner.
        site = build_site(
            db,
            tmp_path / "data",
            env={"PAPERBOARD_ARXIV_API_URL": arxiv_url},
            lookup_wait_s=LOOKUP_WAIT_S,
        )
        site.add(
            paper("2401.00001", published_at=datetime.now(UTC) - timedelta(days=1)),
            featured("2401.00001", TODAY, upvotes=3),
        )
        _, token = site.community.tokens.create(site.user("ada"), "submitter")
        try:
            with serve_app(site.app) as url:
                yield site, url, token
        finally:
            site.community.close()  # queued look-ups are dropped
            site.close()
    db.dispose()


def timed_get(client: httpx.Client, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response.status_code, time.perf_counter() - started


def test_reads_answer_while_submissions_wait_on_arxiv(stalled_site: tuple[Site, str, str]) -> None:
    site, url, token = stalled_site
    assert site.settings.web_threads == 4  # the default this test is about
    headers = {"Authorization": f"Bearer {token}"}
    pool = ThreadPoolExecutor(SUBMISSIONS)
    # Give up on a submission long before the stand-in would: the test is about the reads.
    submitter = httpx.Client(base_url=url, headers=headers, timeout=60)
    reader = httpx.Client(base_url=url, timeout=10)
    reads = ("/healthz", f"/papers/date/{TODAY}", "/papers/2401.00001")
    try:
        for path in reads:  # first views load the search model and compile templates
            assert reader.get(path).status_code == 200, path
        submissions = [
            pool.submit(
                submitter.post, "/api/papers/index", json={"arxivId": f"2405.{n + 10001:05d}"}
            )
            for n in range(SUBMISSIONS)
        ]
        time.sleep(1.0)  # every submission is in, waiting on arXiv
        assert not any(f.done() for f in submissions), "the stand-in arXiv answered?"
        for path in reads:
            status, elapsed = timed_get(reader, path)
            assert status == 200, path
            assert elapsed < USUAL_LATENCY_S, f"{path} took {elapsed:.1f} s"
        # The submissions themselves end with a clear 503 and when to try again (the bounded
        # wait ran out, or the look-up queue was full), never a dropped connection.
        answers = [f.result() for f in submissions]
        assert {a.status_code for a in answers} == {503}, [a.text for a in answers]
        assert all(int(a.headers["Retry-After"]) > 0 for a in answers)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        reader.close()
        submitter.close()
