"""How browsers and agents find paperboard's search, API, MCP endpoint and feeds:
/opensearch.xml (linked from every page) and /llms.txt."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from fastapi.testclient import TestClient

from paperboard.config import load_settings
from paperboard.storage.database import Database
from tests.app_factory import make_app

BASE_URL = "https://papers.example.org"
NS = {"os": "http://a9.com/-/spec/opensearch/1.1/"}


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings({"PAPERBOARD_BASE_URL": BASE_URL}, data_dir=tmp_path)
    db = Database(sqlite_url)
    with TestClient(make_app(settings, db)) as test_client:
        yield test_client
    db.dispose()


def test_opensearch_description(client: TestClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/opensearchdescription+xml"
    root = SafeET.fromstring(response.content)
    assert root.tag == f"{{{NS['os']}}}OpenSearchDescription"
    short_name = root.findtext("os:ShortName", namespaces=NS)
    assert short_name == "paperboard" and len(short_name) <= 16
    templates = {url.get("type"): url.get("template") for url in root.findall("os:Url", NS)}
    assert templates["text/html"] == f"{BASE_URL}/search?q={{searchTerms}}"
    assert templates["application/atom+xml"] == f"{BASE_URL}/feeds/search.atom?q={{searchTerms}}"
    assert templates["application/opensearchdescription+xml"] == f"{BASE_URL}/opensearch.xml"


def test_every_page_links_the_opensearch_description(client: TestClient) -> None:
    for path in ("/", "/papers/trending", "/search", "/papers/2401.09999"):
        page = client.get(path).text
        link = re.search(
            r'<link rel="search" type="application/opensearchdescription\+xml"[^>]*>', page
        )
        assert link and 'href="/opensearch.xml"' in link.group(), path


def test_llms_txt_names_the_api_the_mcp_endpoint_and_the_feeds(client: TestClient) -> None:
    response = client.get("/llms.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert text.startswith("# paperboard\n\n> ")
    for needed in (
        f"{BASE_URL}/mcp",
        "read_paper",
        "my_feed",
        "paperboard mcp",
        f"{BASE_URL}/api/daily_papers",
        f"{BASE_URL}/api/papers/search",
        f"{BASE_URL}/feeds/trending.atom",
        "Accept: text/markdown",
        "Authorization: Bearer",
    ):
        assert needed in text, needed
    # Every link is absolute, on this server.
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links and all(link.startswith(BASE_URL) for link in links)


def test_favicon(client: TestClient) -> None:
    """Issue 18: /favicon.ico was a 404 on every page."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    icon = response.content
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    assert (reserved, kind) == (0, 1) and count >= 2  # an icon file with several sizes
    for number in range(count):
        width, height, *_rest, size, offset = struct.unpack(
            "<BBBBHHII", icon[6 + 16 * number : 22 + 16 * number]
        )
        assert width == height and width in (16, 32, 48)
        assert icon[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + size <= len(icon)
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


def test_every_page_links_the_icons(client: TestClient) -> None:
    for path in ("/", "/papers/trending", "/search", "/papers/2401.09999", "/login"):
        page = client.get(path).text
        assert re.search(r'<link rel="icon" href="/static/favicon\.svg\?v=\w+"', page), path
        assert '<link rel="icon" href="/favicon.ico"' in page, path
