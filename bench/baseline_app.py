"""The framework's floor for comparison (DESIGN.md §2): a bare FastAPI route rendering 30 rows
from SQLite with Jinja2, no cache. Served by bench/web_load.py with the same workers and load.

    PAPERBOARD_BASELINE_DB=path/to/paperboard.db uvicorn --factory bench.baseline_app:create
"""

from __future__ import annotations

import os
import sqlite3
import threading

import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    "<!doctype html><html><body><ul>{% for r in rows %}"
    "<li><a href='/papers/{{ r[0] }}'>{{ r[1] }}</a><p>{{ r[2][:300] }}</p></li>"
    "{% endfor %}</ul></body></html>"
)


def create() -> FastAPI:
    path = os.environ["PAPERBOARD_BASELINE_DB"]
    local = threading.local()
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        if not hasattr(local, "connection"):
            local.connection = sqlite3.connect(path, check_same_thread=False)
        rows = local.connection.execute(
            "SELECT arxiv_id, title, abstract FROM papers ORDER BY published_at DESC LIMIT 30"
        ).fetchall()
        return TEMPLATE.render(rows=rows)

    return app
