"""The ASGI entry point: the app a server process runs opens its search in the background."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from paperboard.asgi import create_app_from_env
from paperboard.web import deps


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
    for thread in warm_up_threads():
        thread.join(30)
    service = app.state.search_service  # set without any request
    assert service.semantic_available
    # Requests get that same service.
    assert deps.search_service_of(app.state) is service
    app.state.db.dispose()


def test_a_failed_warm_up_is_logged_and_left_to_the_first_request(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(deps, "open_search_service", broken)

    class State:
        settings = type("S", (), {"data_dir": Path("."), "embedder": "hashing"})()
        db = None
        keyword_index = None

    class App:
        state = State()

    with caplog.at_level(logging.ERROR, logger="paperboard.web.deps"):
        deps.warm_up_search(App()).join(10)  # type: ignore[arg-type]
    assert "opening the search service in the background failed" in caplog.text
    assert getattr(App.state, "search_service", None) is None
