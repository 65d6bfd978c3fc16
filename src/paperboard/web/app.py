"""The application factory: a FastAPI app over a ``Runtime`` (the composition root).

``app.state`` holds the runtime and what the web layer builds once per app (templates, the
response cache, the metrics registry); no globals, and no
request builds a service. Every route of the site is in ``ROUTES`` below, in matching order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from paperboard.mcp.http import McpEndpoint
from paperboard.mcp.server import build_server
from paperboard.runtime import Runtime
from paperboard.web import discovery, errors, feeds, health, metrics, session
from paperboard.web.api import collections as collections_api
from paperboard.web.api import community as community_api
from paperboard.web.api import paper as paper_api
from paperboard.web.api import papers as papers_api
from paperboard.web.api import personal as personal_api
from paperboard.web.api import similar as similar_api
from paperboard.web.api import subscriptions as subscriptions_api
from paperboard.web.deps import runtime_of
from paperboard.web.negotiation import MarkdownNegotiation
from paperboard.web.pages import account as account_pages
from paperboard.web.pages import community as community_pages
from paperboard.web.pages import demo as demo_pages
from paperboard.web.pages import library as library_pages
from paperboard.web.pages import papers as papers_pages
from paperboard.web.pages import search as search_pages
from paperboard.web.pages import subscriptions as subscriptions_pages
from paperboard.web.response_cache import ResponseCache, database_version
from paperboard.web.security import install_security_headers
from paperboard.web.templating import SITE_NAME, STATIC_DIR, create_templates

log = logging.getLogger(__name__)

# Every route of the site, in the order a request is matched against them. The order matters
# only for the two catch-alls at the end: old-style arXiv ids have a slash (hep-th/9901001), so
# ``/papers/{arxiv_id:path}`` and ``/api/papers/{arxiv_id:path}`` match every path below
# /papers/ and /api/papers/ — /papers/submit, /papers/{id}.md, /api/papers/search,
# /api/papers/{id}/comments... — and must come after all of them.
# tests/web/test_routes.py checks that no route is shadowed by one before it.
ROUTES: tuple[APIRouter, ...] = (
    health.router,
    discovery.router,  # /opensearch.xml, /llms.txt, /.well-known/openapi.json, /favicon.ico
    # Pages (HTML; not in /openapi.json).
    account_pages.router,
    community_pages.router,
    demo_pages.router,
    search_pages.router,
    subscriptions_pages.router,
    library_pages.router,  # for you, collections, save to collection
    papers_pages.router,
    # The JSON API (Hugging Face-compatible papers, the community's writes) and feeds.
    papers_api.router,
    paper_api.router,  # /api/arxiv/{id}/repos
    similar_api.router,
    community_api.router,
    subscriptions_api.router,
    collections_api.router,  # Hugging Face's collections, /api/whoami-v2, export/import
    personal_api.router,  # follows, dismissals, recommendations
    feeds.router,
    # The catch-alls, last.
    paper_api.catch_all,
    papers_pages.catch_all,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up of each web process's event loop; the MCP endpoint runs while the app does.

    The runtime is not closed here: whoever opened it and passed it to ``create_app`` owns it.
    """
    # Sync handlers run in anyio's default thread pool, per event loop (40 threads unless set).
    to_thread.current_default_thread_limiter().total_tokens = runtime_of(app).settings.web_threads
    async with app.state.mcp.running():
        yield


def create_app(runtime: Runtime) -> FastAPI:
    settings = runtime.settings
    app = FastAPI(
        title=SITE_NAME,
        summary="Daily research papers: boards, paper pages and a Hugging Face-compatible API.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.templates = create_templates(settings)
    app.state.response_cache = ResponseCache(database_version(runtime.db))
    # Every page's digest box is a form only when mail can be sent (templates/base.html).
    app.state.templates.env.globals["digests_available"] = runtime.mail_sender is not None
    errors.install(app)
    # Sessions, CSRF, the 413 body limit and the community error pages (web/session.py).
    session.install(app)
    metrics.install(app)  # request timing and GET /metrics (web/metrics.py)
    # CSP and the other security headers on every response, error pages included.
    install_security_headers(app, https=settings.base_url.startswith("https://"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Agents: the MCP server over this runtime at /mcp (paperboard/mcp/), and paper pages as
    # Markdown on Accept: text/markdown.
    app.state.mcp = McpEndpoint(build_server(runtime), settings.base_url)
    app.router.routes.append(app.state.mcp.route())
    app.add_middleware(MarkdownNegotiation)
    for router in ROUTES:
        app.include_router(router)
    return app
