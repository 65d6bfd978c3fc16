"""``/healthz`` for uptime checks: 200 and the paper count; 503 without a database."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.web.deps import get_db

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.api_route("/healthz", methods=["GET", "HEAD"])
def healthz(db: Annotated[Database, Depends(get_db)]) -> JSONResponse:
    try:
        with db.read() as connection:
            papers = paper_store.count(connection)
    except SQLAlchemyError:
        log.exception("health check: database unavailable")
        return JSONResponse({"status": "error", "papers": None}, status_code=503)
    return JSONResponse({"status": "ok", "papers": papers})
