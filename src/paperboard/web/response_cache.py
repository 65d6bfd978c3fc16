"""An in-process cache of ready response bodies for the API, ``.md`` pages and feeds.

Why: these responses change only on an ingest, an import or a vote, yet are read far more often
(DESIGN.md §2: serialising per request is what costs). Two kinds of key share one cache:
the exact URL (``CachedRoute``, checked before FastAPI parses parameters) and (route,
parsed parameters) inside the handlers. An entry is served while both hold:

- its **data version** is current. The version is ``storage.listing.data_version`` (index
  look-ups: newest ``modified_at``, highest ids, the featured count and imported counter sums),
  re-read at most once per ``version_interval`` (1 s) per process. So an ingest shows within
  about a second, in every worker, with no messages between processes;
- it is younger than ``ttl`` (10 s). This bounds staleness from what the version does not see:
  the clock (``/api/daily_papers`` without a date follows "today", trending decays) and counters
  changed without a new row.

Each worker process has its own cache (bounded to ``max_entries``, least recently used out).
Misses build in the thread pool, so the event loop answers hits without a thread hop; two
concurrent misses of one key both build (harmless; no lock on the hot path).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperboard.storage import listing
from paperboard.storage.database import Database

T = TypeVar("T")

DEFAULT_TTL_S = 10.0
VERSION_INTERVAL_S = 1.0
MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    version: Hashable
    stored_at: float


class ResponseCache:
    def __init__(
        self,
        version: Callable[[], Hashable],
        *,
        ttl: float = DEFAULT_TTL_S,
        version_interval: float = VERSION_INTERVAL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_version = version
        self.ttl = ttl
        self.version_interval = version_interval
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._version: Hashable = None
        self._version_read_at: float | None = None
        self._reading_version = False

    async def _current_version(self, now: float) -> Hashable:
        due = self._version_read_at is None or now - self._version_read_at >= self.version_interval
        # One reader at a time; the others keep using the version read a moment ago. (The flag
        # is set before the await, and the event loop runs one coroutine at a time.)
        if due and not self._reading_version:
            self._reading_version = True
            try:
                self._version = await run_in_threadpool(self._read_version)
                self._version_read_at = now
            finally:
                self._reading_version = False
        return self._version

    async def lookup(self, key: Hashable) -> tuple[bool, Any, Hashable]:
        """(found, value, version): ``version`` is the data version the lookup checked, to
        tag a value built after a miss with (see ``store``)."""
        now = self._clock()
        version = await self._current_version(now)
        entry = self._entries.get(key)
        if entry is not None and entry.version == version and now - entry.stored_at < self.ttl:
            self._entries.move_to_end(key)
            return True, entry.value, version
        return False, None, version

    def store(self, key: Hashable, value: Any, version: Hashable) -> None:
        """Keep ``value`` under the version read *before* it was built: data that changed
        while it was built then shows as a newer version and replaces it."""
        self._entries[key] = _Entry(value, version, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key``, or ``build()`` run in the thread pool and kept.

        Exceptions from ``build`` (a 404, a 400) propagate and nothing is kept.
        """
        if self.ttl <= 0:
            return await run_in_threadpool(build)
        found, value, version = await self.lookup(key)
        if found:
            return value  # type: ignore[no-any-return]
        value = await run_in_threadpool(build)
        self.store(key, value, version)
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._version_read_at = None


class CachedRoute(APIRoute):
    """A route whose 200 responses are kept under the request's exact URL (scheme, host, path,
    query string) and served from there *before* FastAPI parses and validates parameters.

    Why: on a cache hit, FastAPI's parameter handling was more than half of the time of a
    request to ``/api/daily_papers`` (profiled). Responses must depend only on the URL and the
    data, which holds for every route of ``api.py`` and ``feeds.py`` (no cookies, no
    content negotiation). Errors are never kept; the parsed-parameter cache behind the route
    still serves the same request spelt differently (``?limit=50`` or nothing).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def serve(request: Request) -> Response:
            cache = get_response_cache(request)
            if cache.ttl <= 0:
                return await handler(request)
            scope = request.scope
            key = ("url", scope["scheme"], request.headers.get("host"), scope["path"])
            key += (scope["query_string"],)
            found, kept, version = await cache.lookup(key)
            if found:
                body, media_type, headers = kept
                return Response(body, media_type=media_type, headers=headers)
            response = await handler(request)
            if response.status_code == 200 and isinstance(response.body, bytes):
                headers = {
                    name: value
                    for name, value in response.headers.items()
                    if name not in ("content-length", "content-type")
                }
                cache.store(key, (response.body, response.media_type, headers), version)
            return response

        return serve


def database_version(db: Database) -> Callable[[], Hashable]:
    def read() -> Hashable:
        with db.read() as connection:
            return listing.data_version(connection)

    return read


def get_response_cache(request: Request) -> ResponseCache:
    """The app's cache, created on first use (so ``create_app`` needs no change for it).

    Tests may set ``app.state.response_cache`` to a ``ResponseCache`` of their own (``ttl=0``
    disables caching).
    """
    state = request.app.state
    cache: ResponseCache | None = getattr(state, "response_cache", None)
    if cache is None:
        # Two first requests racing may each create one; the last assignment wins. Harmless.
        cache = ResponseCache(database_version(request.app.state.db))
        state.response_cache = cache
    return cache
