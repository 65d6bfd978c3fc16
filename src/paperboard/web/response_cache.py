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

Each worker process has its own cache, bounded to ``max_entries`` and to ``max_bytes`` of kept
bodies (least recently used out): a paper page is ~20-40 KB, so an entry count alone let a
process grow by ~100 MiB as thousands of different pages were viewed (the soak of issue 8).
Misses build in the thread pool, so the event loop answers hits without a thread hop.

Expiry must not make every concurrent request rebuild at once (that was the p99 at -c32):
- an entry past its ``ttl`` but of the current data version is *stale*: the first request that
  sees it rebuilds it, the others meanwhile get the stale copy (at most ``stale_for`` old);
- a missing entry (or one of an old data version) is built once: concurrent requests for the
  same key wait for that build (single flight) instead of starting their own.
"""

from __future__ import annotations

import asyncio
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
# How long past its ttl a current-version entry may still be served while one request rebuilds.
STALE_FOR_S = 60.0
VERSION_INTERVAL_S = 1.0
MAX_ENTRIES = 4096
MAX_BYTES = 32 * 2**20
# What an entry is counted as besides its bodies (key, tuple, headers dict): a rough figure.
ENTRY_OVERHEAD_BYTES = 512


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    version: Hashable
    stored_at: float
    size: int


def kept_size(value: Any) -> int:
    """Roughly the bytes ``value`` keeps alive: its bodies (bytes, str) and a fixed overhead."""
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    if isinstance(value, tuple | list):
        return ENTRY_OVERHEAD_BYTES + sum(kept_size(item) for item in value)
    if isinstance(value, dict):
        return ENTRY_OVERHEAD_BYTES + sum(len(str(k)) + kept_size(v) for k, v in value.items())
    return ENTRY_OVERHEAD_BYTES


class ResponseCache:
    def __init__(
        self,
        version: Callable[[], Hashable],
        *,
        ttl: float = DEFAULT_TTL_S,
        version_interval: float = VERSION_INTERVAL_S,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_version = version
        self.ttl = ttl
        self.version_interval = version_interval
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.bytes = 0  # the sizes of the kept entries
        self._version: Hashable = None
        self._version_read_at: float | None = None
        self._reading_version = False
        self.stale_for = STALE_FOR_S
        # Keys being rebuilt now: a future of the kept value (None: not cacheable).
        self._building: dict[Hashable, asyncio.Future[Any]] = {}

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

    async def lookup(self, key: Hashable, ttl: float | None = None) -> tuple[bool, Any, Hashable]:
        """(found, value, version): ``version`` is the data version the lookup checked, to
        tag a value built after a miss with (see ``store``). A stale entry counts as found
        unless this caller is the one chosen to rebuild it. ``ttl`` overrides the cache's
        for responses that the data version covers more completely (paper pages)."""
        now = self._clock()
        version = await self._current_version(now)
        entry = self._entries.get(key)
        if entry is None or entry.version != version:
            return False, None, version
        age = now - entry.stored_at
        limit = self.ttl if ttl is None else ttl
        if age < limit:
            self._entries.move_to_end(key)
            return True, entry.value, version
        if age < limit + self.stale_for and key in self._building:
            return True, entry.value, version  # someone is refreshing it: serve the old copy
        return False, None, version

    async def build_once(
        self, key: Hashable, version: Hashable, build: Callable[[], Coroutine[Any, Any, Any]]
    ) -> tuple[bool, Any]:
        """Run ``build`` unless the same key is being built: then wait for that build.

        Returns (built_here, kept value or None). ``build`` returns the value to keep, or None
        for a result that must not be cached (waiters then build for themselves).
        """
        pending = self._building.get(key)
        if pending is not None:
            return False, await asyncio.shield(pending)
        # A build of the same version may have finished between this caller's lookup (which
        # awaited the version read) and now: use it rather than building again.
        entry = self._entries.get(key)
        fresh = entry is not None and self._clock() - entry.stored_at < self.ttl
        if entry is not None and fresh and entry.version == version:
            return False, entry.value
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            value = await build()
        except BaseException:
            future.set_result(None)  # waiters build for themselves and see their own error
            raise
        finally:
            self._building.pop(key, None)
        if value is not None:
            self.store(key, value, version)
        if not future.done():
            future.set_result(value)
        return True, value

    def store(self, key: Hashable, value: Any, version: Hashable) -> None:
        """Keep ``value`` under the version read *before* it was built: data that changed
        while it was built then shows as a newer version and replaces it."""
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous.size
        size = kept_size(value)
        if size > self.max_bytes:
            return  # one huge body would evict everything else
        self._entries[key] = _Entry(value, version, self._clock(), size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _key, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key``, or ``build()`` run in the thread pool and kept.

        Exceptions from ``build`` (a 404, a 400) propagate and nothing is kept.
        """
        if self.ttl <= 0:
            return await run_in_threadpool(build)
        found, value, version = await self.lookup(key)
        if found:
            return value  # type: ignore[no-any-return]

        async def build_in_thread() -> Any:
            return await run_in_threadpool(build)

        built_here, value = await self.build_once(key, version, build_in_thread)
        if not built_here and value is None:  # the shared build failed: try for ourselves
            return await run_in_threadpool(build)
        return value  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
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

    # None: the cache's own ttl. A route whose responses change only with the data version
    # (and the calendar) may keep them longer.
    cache_ttl: float | None = None

    def keeps(self, request: Request) -> bool:
        """Whether the response just built for ``request`` may be kept for others."""
        return True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def serve(request: Request) -> Response:
            cache = get_response_cache(request)
            if cache.ttl <= 0:
                return await handler(request)
            scope = request.scope
            # No Host in the key: responses never depend on it (absolute URLs come from
            # PAPERBOARD_BASE_URL), and a key on it would let forged Hosts fill the cache.
            key = ("url", scope["path"], scope["query_string"])
            found, kept, version = await cache.lookup(key, self.cache_ttl)
            if found:
                body, media_type, headers = kept
                return Response(body, media_type=media_type, headers=headers)
            built: list[Response] = []

            async def build() -> Any:
                response = await handler(request)
                built.append(response)
                if response.status_code != 200 or not isinstance(response.body, bytes):
                    return None
                if not self.keeps(request):
                    return None
                headers = {
                    name: value
                    for name, value in response.headers.items()
                    if name not in ("content-length", "content-type")
                }
                return (response.body, response.media_type, headers)

            _built_here, kept = await cache.build_once(key, version, build)
            if built:
                return built[0]
            if kept is None:  # the shared build was not cacheable: answer this one ourselves
                return await handler(request)
            body, media_type, headers = kept
            return Response(body, media_type=media_type, headers=headers)

        return serve


def database_version(db: Database) -> Callable[[], Hashable]:
    def read() -> Hashable:
        with db.read() as connection:
            return listing.data_version(connection)

    return read


def get_response_cache(request: Request) -> ResponseCache:
    """The app's cache, built once by ``create_app`` (tests may replace
    ``app.state.response_cache`` with one of their own: ``ttl=0`` disables caching)."""
    cache: ResponseCache = request.app.state.response_cache
    return cache
