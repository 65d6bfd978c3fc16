"""The ASGI entry point for uvicorn (``paperboard serve``) and any other ASGI server:

uvicorn --factory paperboard.asgi:create_app_from_env
"""

from __future__ import annotations

from fastapi import FastAPI

from paperboard.runtime import open_runtime
from paperboard.web.app import create_app


def create_app_from_env() -> FastAPI:
    runtime = open_runtime()
    app = create_app(runtime)
    runtime.warm_up()
    return app
