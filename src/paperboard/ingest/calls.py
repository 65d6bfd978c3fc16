"""``OutsideCalls``: a small pool of threads of its own for calls to an outside service (arXiv).

No request waits on an outside service on a request thread (DESIGN.md §2): a web process has
only a few of those (``PAPERBOARD_WEB_THREADS``), and a service that does not answer would hold
them all. Callers start a call here and wait for its future asynchronously, for a bounded time.

Calls are keyed (by arXiv id): asking for a key whose call is queued or running joins that
call instead of asking the service again. At most ``max_pending`` calls are queued or running;
past that ``start`` refuses (None), and the caller answers at once (a 503 with Retry-After, or
a note) rather than queueing behind a service that may not answer for minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class OutsideCalls(Generic[T]):
    def __init__(self, name: str, *, workers: int, max_pending: int) -> None:
        self.name = name
        self.workers = workers
        self.max_pending = max_pending
        self._lock = threading.Lock()
        # Made on the first call: a process that never calls out starts no thread.
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future[T]] = {}

    def running(self, key: str) -> Future[T] | None:
        """The call for ``key`` that is queued or running, if any."""
        with self._lock:
            return self._pending.get(key)

    def start(self, key: str, call: Callable[[], T]) -> Future[T] | None:
        """The call for ``key``: the one already queued or running, else ``call`` started now;
        None when ``max_pending`` calls are queued or running already (or after ``close``)."""
        with self._lock:
            running = self._pending.get(key)
            if running is not None:
                return running
            if len(self._pending) >= self.max_pending:
                return None
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            future = self._pool.submit(call)
            self._pending[key] = future
        future.add_done_callback(lambda _done: self._finished(key, future))
        return future

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _finished(self, key: str, future: Future[T]) -> None:
        with self._lock:
            if self._pending.get(key) is future:
                del self._pending[key]

    def close(self) -> None:
        """Take no more calls; running ones finish in the background (threads are not
        killed), queued ones are dropped."""
        with self._lock:
            pool, self._pool = self._pool, None
            self.max_pending = 0
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
