"""The modules the commands call, each imported when a command first uses it.

Why not at the top of each command module: together they bring SQLAlchemy, Alembic, NumPy,
tantivy, onnxruntime, httpx and uvicorn. Measured (``time paperboard --help``, median of 10 on
the 2-core development machine): 0.22 s as here, 1.0 s with these modules imported at the top;
every ``--help`` and every mistyped command would pay the difference. So the command modules
take these names from here, and a module is imported on the first attribute access (the
first call); tests/cli/test_services.py checks that ``--help`` imports none of them.

Light modules (``paperboard.config``, ``paperboard.domain``, exception-only modules, ``rich``)
are imported at the top of the command modules as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


class LazyModule:
    """Stands for the module ``name``, imported on first attribute access (``importlib``
    holds the import locks, so threads may share it)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"


if TYPE_CHECKING:
    # What type checkers, editors and import-linter see: the modules themselves.
    import uvicorn

    from paperboard import runtime
    from paperboard.community import service as community_service
    from paperboard.ingest import demo as ingest_demo
    from paperboard.ingest import export as ingest_export
    from paperboard.ingest import featuring
    from paperboard.ingest import http as ingest_http
    from paperboard.ingest import service as ingest_service
    from paperboard.ingest import snapshot as ingest_snapshot
    from paperboard.ingest import sources as ingest_sources
    from paperboard.jobs import embed as jobs_embed
    from paperboard.jobs import sync as jobs_sync
    from paperboard.jobs import worker as jobs_worker
    from paperboard.mail import compose as mail_compose
    from paperboard.mail import delivery as mail_delivery
    from paperboard.mail import semantic_topics, smtp
    from paperboard.mcp import server as mcp_server
    from paperboard.ops import backup, copy_to, digest_preview, export, stats
    from paperboard.ops import check as checks
    from paperboard.search import embedder, keyword, vectors
    from paperboard.search import service as search_service
    from paperboard.storage import database
    from paperboard.storage import migrate as migrations
    from paperboard.web import http_protocol
else:
    # The composition root and the database.
    runtime = LazyModule("paperboard.runtime")
    database = LazyModule("paperboard.storage.database")
    migrations = LazyModule("paperboard.storage.migrate")
    # Ingest.
    ingest_service = LazyModule("paperboard.ingest.service")
    ingest_sources = LazyModule("paperboard.ingest.sources")
    ingest_http = LazyModule("paperboard.ingest.http")
    ingest_snapshot = LazyModule("paperboard.ingest.snapshot")
    ingest_export = LazyModule("paperboard.ingest.export")
    ingest_demo = LazyModule("paperboard.ingest.demo")
    featuring = LazyModule("paperboard.ingest.featuring")
    # Search.
    keyword = LazyModule("paperboard.search.keyword")
    embedder = LazyModule("paperboard.search.embedder")
    vectors = LazyModule("paperboard.search.vectors")
    search_service = LazyModule("paperboard.search.service")
    # Background work.
    jobs_worker = LazyModule("paperboard.jobs.worker")
    jobs_sync = LazyModule("paperboard.jobs.sync")
    jobs_embed = LazyModule("paperboard.jobs.embed")
    # Community and mail.
    community_service = LazyModule("paperboard.community.service")
    mail_compose = LazyModule("paperboard.mail.compose")
    mail_delivery = LazyModule("paperboard.mail.delivery")
    semantic_topics = LazyModule("paperboard.mail.semantic_topics")
    smtp = LazyModule("paperboard.mail.smtp")
    # Operations.
    backup = LazyModule("paperboard.ops.backup")
    checks = LazyModule("paperboard.ops.check")
    copy_to = LazyModule("paperboard.ops.copy_to")
    digest_preview = LazyModule("paperboard.ops.digest_preview")
    export = LazyModule("paperboard.ops.export")
    stats = LazyModule("paperboard.ops.stats")
    # The web server, and the MCP server over stdio.
    uvicorn = LazyModule("uvicorn")
    http_protocol = LazyModule("paperboard.web.http_protocol")
    mcp_server = LazyModule("paperboard.mcp.server")
