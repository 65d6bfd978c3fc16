"""HTTP fetching for live sources: polite (rate-limited, identified), patient (retries)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from paperboard import __version__

log = logging.getLogger(__name__)

USER_AGENT = (
    f"paperboard/{__version__} (self-hosted research paper hub; +https://github.com/paperboard)"
)
# arXiv asks API clients for at most one request every 3 seconds.
ARXIV_MIN_INTERVAL_S = 3.0
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF_S = 2.0
MAX_BACKOFF_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Feeds are parsed in memory; anything larger than this is refused rather than read.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class FetchError(RuntimeError):
    """A live source could not be read (offline, refused, or an error status after retries)."""


@dataclass(frozen=True, slots=True)
class FetchResponse:
    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]


class Fetcher(Protocol):
    """What a live source needs: GET a URL with query parameters."""

    def get(self, url: str, params: Mapping[str, str] | None = None) -> FetchResponse: ...


class HttpFetcher:
    """The real fetcher: one request per ``min_interval_s``, retries with exponential backoff.

    Retries happen on connection errors and on 429/5xx; ``Retry-After`` is honoured. Other
    statuses are returned to the caller, which knows what a 400 from its service means.
    """

    def __init__(
        self,
        *,
        min_interval_s: float = ARXIV_MIN_INTERVAL_S,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        timeout_s: float = 60.0,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=timeout_s,
            headers={"User-Agent": user_agent},
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _read(self, url: str, params: Mapping[str, str] | None) -> tuple[httpx.Response, bytes]:
        """The response and its body, read no further than ``max_bytes`` (FetchError past it:
        the whole of an oversized body is never held)."""
        with self._client.stream("GET", url, params=dict(params or {})) as response:
            chunks = []
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > self.max_bytes:
                    raise FetchError(f"{url}: response larger than {self.max_bytes} bytes")
                chunks.append(chunk)
        return response, b"".join(chunks)

    def get(self, url: str, params: Mapping[str, str] | None = None) -> FetchResponse:
        attempt = 0
        while True:
            with self._lock:
                self._wait_turn()
                try:
                    response, content = self._read(url, params)
                    error: str | None = None
                except httpx.HTTPError as exc:
                    response, content = None, b""
                    error = f"{type(exc).__name__}: {exc}"
            if response is not None and response.status_code not in RETRY_STATUSES:
                return FetchResponse(
                    str(response.url), response.status_code, content, response.headers
                )
            if response is not None:
                error = f"HTTP {response.status_code}"
            attempt += 1
            if attempt > self.retries:
                raise FetchError(f"{url}: {error} (gave up after {self.retries} retries)")
            delay = min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1))
            if response is not None:
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = min(MAX_BACKOFF_S, max(delay, float(retry_after)))
            log.warning("%s: %s; retry %d/%d in %.1fs", url, error, attempt, self.retries, delay)
            self._sleep(delay)


class StaticFetcher:
    """A fetcher for tests and offline replays: answers from a dict of URL -> bytes."""

    def __init__(self, responses: Mapping[str, bytes | tuple[int, bytes]]) -> None:
        self.responses = dict(responses)
        self.requests: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, params: Mapping[str, str] | None = None) -> FetchResponse:
        query = dict(params or {})
        self.requests.append((url, query))
        key = str(httpx.URL(url, params=query)) if query else url
        answer = self.responses.get(key, self.responses.get(url))
        if answer is None:
            raise FetchError(f"{key}: no response recorded")
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return FetchResponse(key, status, body, {})
