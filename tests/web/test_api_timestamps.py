"""Every JSON API route writes times one way, Hugging Face's: ``YYYY-MM-DDTHH:MM:SS.fffZ``
(UTC, milliseconds). The table below has a request for each route under ``/api/``; a route
added without one fails ``test_every_api_route_is_exercised``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute

from paperboard.web.app import ROUTES
from tests.mcp_site import COMMENTED, McpSite, build_mcp_site

STRICT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# Anything a reader would take for a date with a time, in whichever spelling.
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
TIME_KEY = re.compile(r"(?:At|_at)$")


@dataclass(frozen=True)
class Call:
    url: str
    body: dict[str, Any] | list[Any] | None = None
    times: bool = True  # whether the answer must contain at least one time
    auth: bool = False
    json: bool = True  # an export is a file, not JSON: only its status is checked


@dataclass
class Seen:
    times: list[tuple[str, str]] = field(default_factory=list)  # (where, value)
    wrong: list[tuple[str, Any]] = field(default_factory=list)


# (method, route path) -> the requests that exercise it. {comment} is a comment of the site.
CALLS: dict[tuple[str, str], list[Call]] = {
    ("GET", "/api/daily_papers"): [
        Call("/api/daily_papers"),
        Call("/api/daily_papers?sort=trending"),
    ],
    ("GET", "/api/papers/search"): [
        Call("/api/papers/search?q=speculative+decoding"),
        Call("/api/papers/search"),
    ],
    ("GET", "/api/papers"): [Call("/api/papers?limit=5"), Call("/api/papers?search=diffusion")],
    ("GET", "/api/papers/{arxiv_id:path}"): [
        Call(f"/api/papers/{COMMENTED}"),
        Call(f"/api/papers/{COMMENTED}?field=comments"),
    ],
    ("GET", "/api/papers/{arxiv_id:path}/similar"): [Call(f"/api/papers/{COMMENTED}/similar")],
    ("GET", "/api/papers/{arxiv_id:path}/comments"): [Call(f"/api/papers/{COMMENTED}/comments")],
    ("GET", "/api/arxiv/{arxiv_id:path}/repos"): [
        Call(f"/api/arxiv/{COMMENTED}/repos", times=False)
    ],
    ("POST", "/api/papers/index"): [
        Call("/api/papers/index", {"arxivId": COMMENTED}, auth=True),
    ],
    ("POST", "/api/papers/{arxiv_id:path}/upvote"): [
        Call(f"/api/papers/{COMMENTED}/upvote", {}, times=False, auth=True)
    ],
    ("DELETE", "/api/papers/{arxiv_id:path}/upvote"): [
        Call(f"/api/papers/{COMMENTED}/upvote", times=False, auth=True)
    ],
    ("POST", "/api/papers/{arxiv_id:path}/comments"): [
        Call(f"/api/papers/{COMMENTED}/comments", {"text": "A new one"}, auth=True)
    ],
    ("PATCH", "/api/comments/{comment_id}"): [
        Call("/api/comments/{comment}", {"text": "Edited"}, auth=True)
    ],
    ("POST", "/api/comments/{comment_id}/hide"): [
        # ada is no curator: the refusal is JSON without times, checked all the same.
        Call("/api/comments/{comment}/hide", {"hidden": True}, times=False, auth=True)
    ],
    ("DELETE", "/api/comments/{comment_id}"): [Call("/api/comments/{comment}", auth=True)],
    # No mail server here: a 503 in JSON, without times.
    ("POST", "/api/subscriptions"): [
        Call("/api/subscriptions", {"email": "a@example.org"}, times=False)
    ],
    # The personal layer. {slug}, {item} and {follow}: a collection (with one paper) and a
    # follow of the token's owner, made before the calls.
    ("GET", "/api/whoami-v2"): [Call("/api/whoami-v2", times=False, auth=True)],
    ("GET", "/api/collections"): [Call("/api/collections?owner=ada", auth=True)],
    ("POST", "/api/collections"): [Call("/api/collections", {"title": "Another"}, auth=True)],
    ("GET", "/api/collections/{owner}/{name}"): [Call("/api/collections/{slug}", auth=True)],
    ("GET", "/api/collections/{owner}/{name}/export"): [
        Call("/api/collections/{slug}/export?format=bibtex", times=False, auth=True, json=False)
    ],
    ("PATCH", "/api/collections/{owner}/{name}"): [
        Call("/api/collections/{slug}", {"description": "Papers"}, auth=True)
    ],
    ("POST", "/api/collections/{owner}/{name}/items"): [
        Call(
            "/api/collections/{slug}/items",
            {"item": {"id": "2401.00002", "type": "paper"}},
            auth=True,
        )
    ],
    ("PATCH", "/api/collections/{owner}/{name}/items/{item_id}"): [
        Call("/api/collections/{slug}/items/{item}", {"note": "Read"}, times=False, auth=True)
    ],
    ("POST", "/api/collections/{owner}/{name}/import"): [
        Call("/api/collections/{slug}/import?format=csljson", [], times=False, auth=True)
    ],
    ("DELETE", "/api/collections/{owner}/{name}/items/{item_id}"): [
        Call("/api/collections/{slug}/items/{item}", times=False, auth=True)
    ],
    ("DELETE", "/api/collections/{owner}/{name}"): [
        Call("/api/collections/{slug}", times=False, auth=True)
    ],
    ("POST", "/api/follows"): [
        Call("/api/follows", {"kind": "category", "value": "cs.CL"}, times=False, auth=True)
    ],
    ("GET", "/api/follows"): [Call("/api/follows", times=False, auth=True)],
    ("DELETE", "/api/follows/{follow_id}"): [Call("/api/follows/{follow}", times=False, auth=True)],
    ("POST", "/api/papers/{arxiv_id:path}/dismiss"): [
        Call("/api/papers/2401.00003/dismiss", {}, times=False, auth=True)
    ],
    ("DELETE", "/api/papers/{arxiv_id:path}/dismiss"): [
        Call("/api/papers/2401.00003/dismiss", times=False, auth=True)
    ],
    ("GET", "/api/recommendations"): [Call("/api/recommendations", times=False, auth=True)],
    ("GET", "/api/recommendations/weights"): [
        Call("/api/recommendations/weights", times=False, auth=True)
    ],
    ("PATCH", "/api/recommendations/weights"): [
        Call("/api/recommendations/weights", {"upvotes": 0.5}, times=False, auth=True)
    ],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpSite]:
    built = build_mcp_site(tmp_path_factory.mktemp("timestamps"))
    yield built
    built.site.close()


def api_routes() -> set[tuple[str, str]]:
    """Every (method, path) under /api/ in the site's route table (web/app.py ROUTES)."""
    return {
        (method, route.path)
        for router in ROUTES
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/")
        for method in route.methods
    }


def check_times(value: Any, where: str, seen: Seen) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}"
            if TIME_KEY.search(key) and item is not None and not isinstance(item, str):
                seen.wrong.append((path, item))
            check_times(item, path, seen)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            check_times(item, f"{where}[{number}]", seen)
    elif isinstance(value, str) and (LOOKS_LIKE_A_TIME.match(value) or TIME_KEY.search(where)):
        if STRICT.fullmatch(value):
            seen.times.append((where, value))
        else:
            seen.wrong.append((where, value))


def test_every_api_route_is_exercised() -> None:
    assert api_routes() == set(CALLS)


def test_every_api_time_is_iso_utc_with_milliseconds(site: McpSite) -> None:
    client = site.site.visitor().http
    auth = {"Authorization": f"Bearer {site.token}"}
    posted = client.post(
        f"/api/papers/{COMMENTED}/comments", json={"text": "To edit"}, headers=auth
    )
    comment = posted.json()["id"]
    made = client.post("/api/collections", json={"title": "Times"}, headers=auth).json()
    slug = made["slug"]
    added = client.post(
        f"/api/collections/{slug}/items",
        json={"item": {"id": COMMENTED, "type": "paper"}},
        headers=auth,
    ).json()
    item = added["items"][0]["_id"]
    follow = client.post(
        "/api/follows", json={"kind": "author", "value": "Ada Lovelace"}, headers=auth
    ).json()["id"]
    fill = {"{comment}": str(comment), "{slug}": slug, "{item}": item, "{follow}": str(follow)}
    # Writes last (the deletion last of all), so every read sees the site as built.
    order = sorted(CALLS, key=lambda route: (route[0] != "GET", route[0] == "DELETE"))
    for method, path in order:
        for call in CALLS[(method, path)]:
            url = call.url
            for placeholder, value in fill.items():
                url = url.replace(placeholder, value)
            response = client.request(
                method, url, json=call.body, headers=auth if call.auth else None
            )
            if not call.json:
                assert response.status_code == 200, (url, response.text[:300])
                continue
            assert response.headers["content-type"].startswith("application/json"), url
            seen = Seen()
            check_times(response.json(), f"{method} {url}", seen)
            assert not seen.wrong, seen.wrong
            if call.times:
                assert response.status_code < 300 and seen.times, (url, response.text[:300])


@pytest.mark.parametrize(
    ("value", "right"),
    [
        ({"createdAt": "2026-11-26T00:00:00.000Z"}, True),
        ({"publishedAt": "2024-01-02T00:00:00+00:00"}, False),  # isoformat()
        ({"createdAt": "2026-11-26T00:00:00Z"}, False),  # no milliseconds
        ({"when": "2026-11-26 10:00:00"}, False),  # a time under any key
        ({"updated_at": 1764115200}, False),  # a number where a time belongs
        ({"editedAt": None, "title": "2026: a year"}, True),
    ],
)
def test_the_check_can_fail(value: dict[str, Any], right: bool) -> None:
    seen = Seen()
    check_times(value, "body", seen)
    assert (not seen.wrong) is right
