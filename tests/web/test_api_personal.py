"""Follows, dismissals and "for you" over HTTP: tokens for writes, a token or a session for
recommendations, the /api/daily_papers item shape plus reasons with weights."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.storage.database import Database
from tests.app_factory import Site
from tests.web.library_site import personal_site


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    yield from personal_site(db, tmp_path)


def _client(site: Site, username: str) -> TestClient:
    site.user(username)
    _, token = site.community.tokens.create_for(username)
    client = site.open_client(raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_follows_are_added_listed_and_removed(site: Site) -> None:
    ada = _client(site, "ada")
    first = ada.post("/api/follows", json={"kind": "author", "value": "Alan  Turing"})
    assert first.status_code == 201
    assert first.json()["value"] == "Alan Turing" and first.json()["kind"] == "author"
    again = ada.post("/api/follows", json={"kind": "author", "value": "Alan Turing"})
    assert again.json()["id"] == first.json()["id"]
    category = ada.post("/api/follows", json={"kind": "category", "value": "cs.CL"}).json()
    assert [f["label"] for f in ada.get("/api/follows").json()] == ["Alan Turing", "cs.CL"]
    assert ada.delete(f"/api/follows/{category['id']}").status_code == 200
    assert ada.delete(f"/api/follows/{category['id']}").status_code == 404
    assert [f["value"] for f in ada.get("/api/follows").json()] == ["Alan Turing"]
    nobody = ada.post("/api/follows", json={"kind": "user", "value": "nobody"})
    assert nobody.status_code == 404
    assert ada.post("/api/follows", json={"kind": "planet", "value": "x"}).status_code == 422
    assert site.client.get("/api/follows").status_code == 401
    _client(site, "bob").delete(f"/api/follows/{first.json()['id']}")
    assert len(ada.get("/api/follows").json()) == 1  # bob cannot remove ada's follow


def test_recommendations_carry_reasons_and_leave_out_kept_and_dismissed(site: Site) -> None:
    ada = _client(site, "ada")
    assert ada.post("/api/follows", json={"kind": "author", "value": "Alan Turing"}).is_success
    found = ada.get("/api/recommendations", params={"limit": 10}).json()
    ids = [item["paper"]["id"] for item in found]
    assert set(ids) >= {"2411.00011", "2411.00012", "2411.00013"}
    assert "2410.00016" not in ids  # announced before the window
    for item in found:
        assert item["reasons"] and item["title"] and "submittedBy" in item
        assert sum(r["weight"] for r in item["reasons"]) == pytest.approx(item["score"], abs=1e-4)
    by_turing = next(item for item in found if item["paper"]["id"] == "2411.00011")
    assert any("Alan Turing" in r["text"] for r in by_turing["reasons"])

    dismissed = ada.post("/api/papers/2411.00011/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["changed"]
    saved = ada.post("/api/collections", json={"title": "Keep"}).json()["slug"]
    ada.post(
        f"/api/collections/{saved}/items", json={"item": {"id": "2411.00012", "type": "paper"}}
    )
    ids = [item["paper"]["id"] for item in ada.get("/api/recommendations").json()]
    assert "2411.00011" not in ids and "2411.00012" not in ids and "2411.00013" in ids

    assert ada.delete("/api/papers/2411.00011/dismiss").json()["changed"]
    ids = [item["paper"]["id"] for item in ada.get("/api/recommendations").json()]
    assert "2411.00011" in ids
    assert ada.post("/api/papers/2499.99999/dismiss").status_code == 404


def test_recommendations_window_and_who_may_ask(site: Site) -> None:
    ada = _client(site, "ada")
    ada.post("/api/follows", json={"kind": "author", "value": "Alan Turing"})
    old = ada.get("/api/recommendations", params={"since": "2026-10-01", "until": "2026-10-31"})
    assert [item["paper"]["id"] for item in old.json()] == ["2410.00016"]
    too_long = ada.get("/api/recommendations", params={"since": "2026-01-01"})
    assert too_long.status_code == 400
    assert ada.get("/api/recommendations", params={"since": "yesterday"}).status_code == 422
    assert site.client.get("/api/recommendations").status_code == 401
    bad_token = {"Authorization": "Bearer nope"}
    assert site.client.get("/api/recommendations", headers=bad_token).status_code == 401
    # A signed-in visitor's page may ask with its session.
    visitor = site.signed_in("carol")
    assert visitor.get("/api/recommendations").status_code == 200


def test_signals_are_weighed_or_turned_off(site: Site) -> None:
    ada = _client(site, "ada")
    ada.post("/api/follows", json={"kind": "author", "value": "Alan Turing"})
    assert ada.get("/api/recommendations/weights").json()["authors"] > 0
    changed = ada.patch("/api/recommendations/weights", json={"authors": 0, "trending": 2})
    assert changed.status_code == 200
    assert changed.json()["authors"] == 0 and changed.json()["trending"] == 2
    for item in ada.get("/api/recommendations").json():
        assert all(r["signal"] != "authors" for r in item["reasons"])
    assert ada.patch("/api/recommendations/weights", json={"nope": 1}).status_code == 400
    assert ada.patch("/api/recommendations/weights", json={"authors": 11}).status_code == 400
    assert site.client.patch("/api/recommendations/weights", json={}).status_code == 401
