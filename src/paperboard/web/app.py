"""The application factory: a FastAPI app over a ``Runtime`` (the composition root).

``app.state`` holds the runtime and what the web layer builds once per app (templates, the
response cache, the subscription pages' service, the metrics registry); no globals, and no
request builds a service.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from paperboard.mcp.http import McpEndpoint
from paperboard.mcp.server import build_server
from paperboard.runtime import Runtime
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.web import (
    api,
    auth,
    community,
    discovery,
    errors,
    feeds,
    metrics,
    pages,
    search_page,
    subscriptions,
)
from paperboard.web.deps import get_db, runtime_of
from paperboard.web.negotiation import MarkdownNegotiation
from paperboard.web.response_cache import ResponseCache, database_version
from paperboard.web.security import install_security_headers
from paperboard.web.subscriptions import subscription_service
from paperboard.web.templating import SITE_NAME, STATIC_DIR, create_templates

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up of each web process's event loop; the MCP endpoint runs while the app does.

    The database is not closed here: whoever created it and passed it to ``create_app`` owns it.
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
    app.state.subscription_service = subscription_service(runtime)
    errors.install(app)
    # Sessions, CSRF, the 413 body limit and the community error pages (web/auth.py).
    auth.install(app)
    metrics.install(app)  # request timing and GET /metrics (web/metrics.py)
    # CSP and the other security headers on every response, error pages included.
    install_security_headers(app, https=settings.base_url.startswith("https://"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Agents: the MCP server over this runtime at /mcp (paperboard/mcp/), paper pages as
    # Markdown on Accept: text/markdown, /opensearch.xml and /llms.txt.
    app.state.mcp = McpEndpoint(build_server(runtime), settings.base_url)
    app.router.routes.append(app.state.mcp.route())
    app.add_middleware(MarkdownNegotiation)
    app.include_router(discovery.router)

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    def healthz(db: Annotated[Database, Depends(get_db)]) -> JSONResponse:
        """For uptime checks: 200 and the paper count; 503 without a database."""
        try:
            with db.read() as connection:
                papers = paper_store.count(connection)
        except SQLAlchemyError:
            log.exception("health check: database unavailable")
            return JSONResponse({"status": "error", "papers": None}, status_code=503)
        return JSONResponse({"status": "ok", "papers": papers})

    # Before api and pages: their /api/papers/{arxiv_id:path} and /papers/{arxiv_id:path}
    # catch-alls would take /api/papers/{id}/comments and /papers/submit.
    app.include_router(auth.router)
    app.include_router(community.router)
    app.include_router(community.api_router)
    # Before pages: its /papers/{arxiv_id:path} catch-all would take /papers/{id}.md.
    # Before api: its /api/papers/{arxiv_id:path} catch-all would take .../similar.
    app.include_router(search_page.router)
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(subscriptions.router)
    app.include_router(pages.router)
    return app
