"""The route table (web/app.py ``ROUTES``, which ``create_app`` includes in its order): every
route is reachable, none is shadowed by a route before it (the ``{arxiv_id:path}`` catch-alls
match almost anything below /papers/ and /api/papers/), and the catch-alls come last."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match

from paperboard.storage.database import Database
from paperboard.web.app import ROUTES
from paperboard.web.pages import papers as papers_pages
from tests.app_factory import build_site

# A value for each path parameter of the site, as a client would send it.
SAMPLES = {
    "arxiv_id": ("2401.00001", "hep-th/9901001"),
    "day": ("2026-01-05",),
    "week": ("2026-W02",),
    "month": ("2026-01",),
    "comment_id": ("7",),
    "token_id": ("3",),
    "username": ("ada",),
    # A collection's slug, owner/title-words-id, is two segments.
    "owner": ("ada",),
    "name": ("reading-list-0123456789abcdef01234567",),
    "item_id": ("89abcdef0123456789abcdef",),
    "follow_id": ("4",),
}
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def _paths(template: str) -> list[str]:
    paths = [template]
    for name in _PARAM.findall(template):
        paths = [
            re.sub(r"{" + name + r"(?::\w+)?}", value, path, count=1)
            for path in paths
            for value in SAMPLES[name]
        ]
    return paths


def _table(routers: tuple[APIRouter, ...] = ROUTES) -> list[APIRoute]:
    """The site's routes in matching order."""
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


def _first_match(routes: list[APIRoute], path: str, method: str) -> APIRoute:
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    raise AssertionError(f"no route answers {method} {path}")


def test_every_route_answers_its_own_paths() -> None:
    routes = _table()
    checked = 0
    for route in routes:
        for method in sorted(route.methods):
            for path in _paths(route.path):
                found = _first_match(routes, path, method)
                assert found is route, (
                    f"{method} {path} is answered by {getattr(found, 'path', found)!r}, "
                    f"registered before {route.path!r}: move it in web/app.py ROUTES"
                )
                checked += 1
    assert checked > 60  # every page, API route and feed of the site


def test_the_catch_alls_come_last() -> None:
    paths = [route.path for route in _table()]
    assert paths[-2:] == ["/api/papers/{arxiv_id:path}", "/papers/{arxiv_id:path}"]
    # And nothing else uses a path converter as its last segment.
    assert not [p for p in paths[:-2] if p.endswith(":path}")]


def test_a_catch_all_registered_early_would_be_caught() -> None:
    """The check above can fail: with the page catch-all moved first, /papers/trending would
    be answered by it."""
    reordered = _table((papers_pages.catch_all, *ROUTES))
    (catch_all,) = papers_pages.catch_all.routes
    assert _first_match(reordered, "/papers/trending", "GET") is catch_all


def test_the_app_serves_the_table_in_order(tmp_path: Path) -> None:
    """What create_app registers is ROUTES: the catch-all answers a paper and the fixed page
    before it answers its own path."""
    db = Database(f"sqlite:///{tmp_path}/t.db")
    with build_site(db, tmp_path, cache=True) as site:
        client = site.open_client()
        assert client.get("/papers/trending").status_code == 200
        missing = client.get("/papers/2401.00001")
        assert missing.status_code == 404 and "has no paper 2401.00001" in missing.text
