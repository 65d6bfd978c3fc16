"""The application factory's per-process start-up."""

from __future__ import annotations

from pathlib import Path

from anyio import to_thread
from fastapi.testclient import TestClient

from paperboard.config import load_settings
from paperboard.storage.database import Database
from tests.app_factory import make_app


def test_web_threads_bound_the_thread_pool_of_handlers(tmp_path: Path) -> None:
    settings = load_settings({"PAPERBOARD_WEB_THREADS": "6"}, data_dir=tmp_path)
    db = Database(settings.database_url)
    app = make_app(settings, db)

    @app.get("/test-thread-tokens")
    async def tokens() -> dict[str, float]:
        return {"tokens": to_thread.current_default_thread_limiter().total_tokens}

    with TestClient(app) as client:
        assert client.get("/test-thread-tokens").json() == {"tokens": 6}
        assert client.get("/healthz").status_code == 200  # a sync handler runs in that pool
    db.dispose()
