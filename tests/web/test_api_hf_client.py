"""The real ``huggingface_hub`` client against a real paperboard server (uvicorn, loopback).

This is the compatibility promise of DESIGN.md §3: ``HfApi(endpoint=...)`` works unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paperboard.config import load_settings
from tests.api_site import MARKUP, OLD_STYLE, build_site, recorded_daily
from tests.app_factory import Site, loopback_socket, make_app, serve_app, url_of

NEWEST_DAY = date(2026, 8, 12)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[Site]:
    with build_site(tmp_path_factory.mktemp("hf-client"), fixtures_dir) as built:
        yield built


@pytest.fixture(scope="module")
def endpoint(site: Site) -> Iterator[str]:
    with serve_app(site.app) as url:
        yield url


@pytest.fixture(scope="module")
def linked_endpoint(site: Site) -> Iterator[str]:
    """The site served with PAPERBOARD_BASE_URL set to its own address, so that the Link
    headers it sends (built from the base URL) lead back to it."""
    sock = loopback_socket()
    settings = load_settings({}, data_dir=site.settings.data_dir, base_url=url_of(sock))
    with serve_app(make_app(settings, site.db, site.keyword_index), sock) as url:
        yield url


@pytest.fixture
def api(endpoint: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # Loopback only: a proxy configured in the environment must not see these requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    from huggingface_hub import HfApi, constants

    # The package reads these once at import; the test may run after another imported it.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    return HfApi(endpoint=endpoint, token=False)


def test_list_daily_papers_by_date(api) -> None:  # type: ignore[no-untyped-def]
    papers = list(api.list_daily_papers(date="2025-07-22"))
    recorded = recorded_daily(date(2025, 7, 22))
    assert {p.id for p in papers} == {item["paper"]["id"] for item in recorded}
    by_id = {item["paper"]["id"]: item for item in recorded}
    for paper in papers:
        hf = by_id[paper.id]
        assert paper.upvotes == hf["paper"]["upvotes"]
        assert paper.comments == hf["numComments"]
        assert paper.summary == hf["paper"]["summary"].strip()
        assert [a.name for a in paper.authors] == [a["name"] for a in hf["paper"]["authors"]]
        assert paper.published_at.isoformat().startswith(hf["paper"]["publishedAt"][:19])
        assert paper.submitted_at.isoformat().startswith(hf["paper"]["submittedOnDailyAt"][:19])
        assert paper.submitted_by.username == hf["paper"]["submittedOnDailyBy"]["user"]
        assert paper.submitted_by.fullname == hf["paper"]["submittedOnDailyBy"]["fullname"].strip()
        assert paper.title == " ".join(hf["title"].split())


def test_list_daily_papers_by_week_month_sort_and_page(api) -> None:  # type: ignore[no-untyped-def]
    week = list(api.list_daily_papers(week="2024-W24"))
    assert len(week) == len(recorded_daily(date(2024, 6, 13)))
    month = list(api.list_daily_papers(month="2025-01"))
    assert [p.id for p in month] == [MARKUP.arxiv_id]
    assert month[0].submitted_by.username == "curator-carol"
    assert month[0].github_repo is None  # read from the top level, where Hugging Face has none
    latest = list(api.list_daily_papers())
    assert {p.id for p in latest} == {i["paper"]["id"] for i in recorded_daily(NEWEST_DAY)}
    trending = list(api.list_daily_papers(sort="trending", limit=3))
    assert [p.upvotes for p in trending] == sorted((p.upvotes for p in latest), reverse=True)[:3]
    second_page = list(api.list_daily_papers(date=str(NEWEST_DAY), limit=5, p=1))
    ranked = sorted(latest, key=lambda p: -p.upvotes)
    assert {p.upvotes for p in second_page} <= {p.upvotes for p in ranked[3:12]}
    assert len(second_page) == 5
    submitter = recorded_daily(date(2024, 6, 13))[0]["submittedBy"]["name"]
    mine = list(api.list_daily_papers(date="2024-06-13", submitter=submitter))
    assert mine and all(p.submitted_by.fullname for p in mine)


def test_paper_info(api) -> None:  # type: ignore[no-untyped-def]
    info = api.paper_info("2407.21783")
    assert info.id == "2407.21783"
    assert info.title == "The Llama 3 Herd of Models"
    # Search results carry no board entry, so no imported upvotes: only boards bring them.
    assert info.upvotes == 0 and info.submitted_at is None
    assert info.published_at is not None and info.published_at.year == 2024
    assert len(info.authors) > 100 and info.authors[0].name == "Abhimanyu Dubey"
    assert info.ai_keywords and "Llama 3" in info.ai_keywords
    featured = api.paper_info("2507.14683")
    assert featured.upvotes == 63 and featured.comments == 1
    assert featured.submitted_by.username == "veggiebird"
    assert featured.submitted_at.isoformat() == "2025-07-22T01:41:01.897000+00:00"
    assert featured.ai_summary.startswith("The MiroMind-M1 series")
    old = api.paper_info(OLD_STYLE.arxiv_id)
    assert old.id == OLD_STYLE.arxiv_id and old.submitted_by is None


def test_paper_info_of_an_unknown_paper_raises_404(api) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as raised:
        api.paper_info("2401.99999")
    assert raised.value.response.status_code == 404


def test_list_papers_searches(api) -> None:  # type: ignore[no-untyped-def]
    found = list(api.list_papers(query="kazakh", limit=5))
    assert 1 <= len(found) <= 5
    assert all("kazakh" in (p.title + p.summary).lower() for p in found)
    llama = list(api.list_papers(query="llama 3 herd"))
    assert llama[0].id == "2407.21783"
    assert llama[0].highlightedTitle[1] == {"type": "highlight", "text": "Llama"}
    newest = list(api.list_papers(limit=3))
    assert len(newest) == 3


def test_read_paper(api) -> None:  # type: ignore[no-untyped-def]
    text = api.read_paper("2407.21783")
    assert text.startswith("# The Llama 3 Herd of Models\n")
    assert "## Abstract" in text
    assert api.read_paper(OLD_STYLE.arxiv_id).startswith("# Strings on an old-style identifier")


def test_paginate_follows_the_daily_papers_link_header(
    api, linked_endpoint: str, site: Site
) -> None:  # type: ignore[no-untyped-def]
    """``huggingface_hub``'s ``paginate`` (what its list calls use) walks a board page by page
    through the ``Link`` header, and ends on the last page. (``api``: the client's settings.)"""
    from huggingface_hub.utils import paginate

    del api
    board = recorded_daily(NEWEST_DAY)
    url = f"{linked_endpoint}/api/daily_papers"
    items = list(paginate(url, params={"date": str(NEWEST_DAY), "limit": 6}, headers={}))
    assert len(items) == len(board)
    assert {item["paper"]["id"] for item in items} == {item["paper"]["id"] for item in board}
    upvotes = [item["paper"]["upvotes"] for item in items]
    assert upvotes == sorted(upvotes, reverse=True)
