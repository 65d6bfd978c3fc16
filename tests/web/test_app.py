"""The application factory's per-process start-up."""

from __future__ import annotations

from pathlib import Path

from anyio import to_thread

from paperboard.storage.database import Database
from tests.app_factory import build_site


def test_web_threads_bound_the_thread_pool_of_handlers(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/paperboard.db")
    with build_site(db, tmp_path, env={"PAPERBOARD_WEB_THREADS": "6"}, cache=True) as site:

        @site.app.get("/test-thread-tokens")
        async def tokens() -> dict[str, float]:
            return {"tokens": to_thread.current_default_thread_limiter().total_tokens}

        client = site.open_client()
        assert client.get("/test-thread-tokens").json() == {"tokens": 6}
        assert client.get("/healthz").status_code == 200  # a sync handler runs in that pool
    db.dispose()
