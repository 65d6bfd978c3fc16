"""The ASGI entry point: the app a server process runs opens its search in the background."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard import runtime as runtime_module
from paperboard.asgi import create_app_from_env
from paperboard.config import load_settings
from paperboard.runtime import build_runtime
from paperboard.storage.database import Database


def warm_up_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "paperboard-search-warm-up"]


def test_the_search_service_opens_before_the_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PAPERBOARD_DATABASE_URL", "PAPERBOARD_KEYWORD_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERBOARD_EMBEDDER", "hashing")
    app = create_app_from_env()
    runtime = app.state.runtime
    for thread in warm_up_threads():
        thread.join(30)
    assert runtime.is_search_open()  # without any request
    service = runtime.search
    assert service.semantic_available
    # Requests get that same service: a search answers with its embedder's results.
    with TestClient(app) as client:
        assert client.get("/search", params={"q": "graph"}).status_code == 200
    assert runtime.search is service
    runtime.close()


def test_a_failed_warm_up_is_logged_and_left_to_the_first_request(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime_module, "open_search_service", broken)
    settings = load_settings({"PAPERBOARD_EMBEDDER": "hashing"}, data_dir=tmp_path / "data")
    runtime = build_runtime(settings, Database(sqlite_url))
    with caplog.at_level(logging.ERROR, logger="paperboard.runtime"):
        runtime.warm_up().join(10)
    assert "opening the search service in the background failed" in caplog.text
    assert not runtime.is_search_open()
    runtime.close()
