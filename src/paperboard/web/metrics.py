"""``/metrics`` in Prometheus' text format: request latency per route, and gauges read from the
database when scraped.

Each process keeps its own registry (on ``app.state``, no globals): with several uvicorn
workers every process counts the requests it served, and a scrape through the proxy reaches
one of them. The database gauges are the same whichever process answers; request counts are
per process (docs/operations.md says how to scrape each one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CollectorRegistry,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperboard.storage.metrics import DatabaseGauges, read_gauges

log = logging.getLogger(__name__)

# Seconds; finer than the client's defaults at the low end, where cached pages answer.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Any other method is counted as "other": label values must stay a small, known set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The route label of requests no route matched (404s of unknown paths, scanners).
UNMATCHED = "unmatched"


class RequestMetrics:
    """The request-latency histogram, labelled by method, route template and status class."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "paperboard_http_request_duration_seconds",
            "Time from a request's arrival to its last response byte handed to the server.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # labels() takes a lock and builds a key each call; a dict lookup is cheaper. The key
        # space is bounded (methods x route templates x 5 status classes).
        self._children: dict[tuple[str, str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in METHODS else "other", route, f"{status // 100}xx")
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, self.histogram.labels(*key))
        child.observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/papers/{arxiv_id:path}``), never the raw path:
    one series per route however many papers are visited.

    The router records the route it chose in the scope, which the middleware shares. A mount
    (``/static``) records only its app as the endpoint: it is looked up among the app's mounts.
    """
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in getattr(scope.get("app"), "routes", ()):
            if isinstance(candidate, Mount) and candidate.app is endpoint:
                return candidate.path
    return UNMATCHED


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware: it would wrap every response in a stream and a task);
    per request it costs a clock read, a status capture and one histogram observation."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before responding

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )


def _timestamp(value: datetime | None) -> float:
    # 0 for "never": Prometheus has no null, and time() - 0 reads as "very stale".
    return value.timestamp() if value is not None else 0.0


class DatabaseCollector:
    """Gauges read through storage/metrics.py on every scrape (so every process reports the
    same values, and nothing is cached that could go stale)."""

    def __init__(self, state: Any) -> None:
        self.state = state  # app.state: the runtime's database is read when scraped

    def describe(self) -> Iterator[Metric]:
        # Names only (the values are ignored): the registry checks them for clashes when the
        # collector is registered, without a query.
        yield from _families(_EMPTY, 0.0)

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        gauges: DatabaseGauges | None
        try:
            with self.state.runtime.db.read() as connection:
                gauges = read_gauges(connection)
        except SQLAlchemyError:
            log.exception("metrics: database unavailable")
            gauges = None
        yield from _families(gauges, time.perf_counter() - started)


_EMPTY = DatabaseGauges(0, 0, {}, {}, None, None, {}, {})


def _families(gauges: DatabaseGauges | None, seconds: float) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "paperboard_database_up",
        "1 if this scrape could read the database, else 0 (and no database gauges follow).",
        value=0.0 if gauges is None else 1.0,
    )
    yield GaugeMetricFamily(
        "paperboard_database_scrape_seconds",
        "Time the database gauges took to read.",
        value=seconds,
    )
    if gauges is not None:
        yield from _gauge_families(gauges)


def _gauge_families(gauges: DatabaseGauges) -> Iterator[Metric]:
    yield GaugeMetricFamily("paperboard_papers", "Papers stored.", value=gauges.papers)
    yield GaugeMetricFamily(
        "paperboard_papers_without_vector",
        "Papers with no embedding yet (semantic search misses them until `paperboard embed`).",
        value=gauges.papers_without_vector,
    )
    yield _labelled(
        "paperboard_digest_outbox_rows",
        "Digest outbox rows by state (pending, sending, sent, skipped, failed, uncertain).",
        "state",
        gauges.outbox,
    )
    yield _labelled(
        "paperboard_subscribers",
        "Digest subscribers by status (pending, confirmed, unsubscribed, bounced).",
        "status",
        gauges.subscribers,
    )
    yield GaugeMetricFamily(
        "paperboard_last_paper_change_timestamp_seconds",
        "When a paper was last added or changed (Unix time; 0: never): syncs that stall "
        "show as this falling behind.",
        value=_timestamp(gauges.last_paper_change),
    )
    yield GaugeMetricFamily(
        "paperboard_last_featured_timestamp_seconds",
        "The newest featured entry's time (Unix time; 0: none).",
        value=_timestamp(gauges.last_featured),
    )
    yield _labelled(
        "paperboard_ingest_state_updated_timestamp_seconds",
        "When each checkpoint in ingest_state was last written (Unix time), e.g. the "
        "digest scheduler's digest:last:daily.",
        "key",
        {key: _timestamp(value) for key, value in gauges.state_updated.items()},
    )
    yield _labelled(
        "paperboard_job_last_finished_timestamp_seconds",
        "When each scheduled job (sync-arxiv, embed, digests, ...) last finished a run "
        "(Unix time; 0: never).",
        "job",
        {name: _timestamp(finished) for name, (finished, _ok) in gauges.jobs.items()},
    )
    yield _labelled(
        "paperboard_job_last_ok",
        "1 if the job's last run succeeded, 0 if it failed (absent before its first run).",
        "job",
        {name: float(ok) for name, (_finished, ok) in gauges.jobs.items() if ok is not None},
    )


class ResponseCacheCollector:
    """The answering process's response cache (web/response_cache.py): how full it is, so that
    a process's memory growth can be told apart from its bounded cache filling up."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        cache = getattr(self.state, "response_cache", None)
        yield GaugeMetricFamily(
            "paperboard_response_cache_bytes",
            "Bytes of response bodies this process keeps (bounded by its max_bytes).",
            value=float(cache.bytes) if cache is not None else 0.0,
        )
        yield GaugeMetricFamily(
            "paperboard_response_cache_entries",
            "Responses this process keeps.",
            value=float(len(cache)) if cache is not None else 0.0,
        )


def _labelled(name: str, documentation: str, label: str, values: dict[str, Any]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], float(value))
    return family


def metrics_response(request: Request) -> Response:
    """Prometheus' text exposition format (a sync endpoint: the gauges' queries run in the
    thread pool, not on the event loop)."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    # The classic text format unless the scraper asks for OpenMetrics (as the client's own
    # HTTP handler does).
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry), media_type=content_type)


def install(app: FastAPI) -> None:
    """The middleware, the collectors and ``GET /metrics`` (left out of the OpenAPI schema).
    Call once in ``create_app``, after ``app.state.runtime`` is set."""
    registry = CollectorRegistry()
    metrics = RequestMetrics(registry)
    registry.register(DatabaseCollector(app.state))
    registry.register(ResponseCacheCollector(app.state))
    # Memory, CPU seconds, open files and the Python version, as prometheus_client's default
    # registry would export them.
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    app.state.metrics_registry = registry
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_api_route("/metrics", metrics_response, methods=["GET"], include_in_schema=False)
