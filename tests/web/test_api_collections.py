"""Collections over HTTP beyond what the Hugging Face client covers: whoami, 409 with the slug,
and export then import (body or multipart) giving the same papers, with every entry that
matched nothing reported; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperboard.search import keyword
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from tests.app_factory import Site, build_site
from tests.community_site import paper

PAPERS = {
    "1706.03762": r"Attention Is All You Need for $\alpha$ & 100% of {BERT}",
    "2401.00002": "Deep Residual Learning for Image Recognition",
    "hep-th/9901001": "Large N Limit of Superconformal Field Theories",
}
UNKNOWN_BIBTEX = """
@misc{nowhere2020, title = {A Paper Nobody Has}, author = {Doe, Jane}, year = {2020}}
@misc{byname, title = {Deep Residual Learning for Image Recognition}, year = {2016}}
"""


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """On SQLite (with its keyword index) and PostgreSQL (its tsvector column)."""
    index = keyword.open_index(tmp_path / "index") if db.is_sqlite else None
    built = build_site(db, tmp_path / "data", search=SearchService(db, index))
    built.add(*(paper(arxiv_id, title=title) for arxiv_id, title in PAPERS.items()))
    if index is not None:
        keyword.sync(db, index)
    built.user("ada")
    built.user("bob")
    with built:
        yield built
    if index is not None:
        index.close()


def _client(site: Site, username: str) -> TestClient:
    _, token = site.community.tokens.create_for(username)
    client = site.open_client(raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _collection(client: TestClient, title: str, *arxiv_ids: str) -> str:
    created = client.post("/api/collections", json={"title": title})
    assert created.status_code == 200, created.text
    slug: str = created.json()["slug"]
    for arxiv_id in arxiv_ids:
        added = client.post(
            f"/api/collections/{slug}/items",
            json={"item": {"id": arxiv_id, "type": "paper"}, "note": f"on {arxiv_id}"},
        )
        assert added.status_code == 200, added.text
    return slug


def test_whoami_names_the_tokens_owner(site: Site) -> None:
    assert _client(site, "ada").get("/api/whoami-v2").json()["name"] == "ada"
    anonymous = site.client.get("/api/whoami-v2")
    assert anonymous.status_code == 401
    assert (
        site.client.get("/api/whoami-v2", headers={"Authorization": "Bearer x"}).status_code == 401
    )


def test_a_title_taken_answers_409_with_the_existing_slug(site: Site) -> None:
    ada = _client(site, "ada")
    slug = _collection(ada, "Reading list")
    again = ada.post("/api/collections", json={"title": "reading list"})
    assert again.status_code == 409 and again.json()["slug"] == slug
    refused = ada.post("/api/collections", json={"title": "Mine", "namespace": "bob"})
    assert refused.status_code == 403
    assert site.client.post("/api/collections", json={"title": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("format_name", "media_type", "marker"),
    [
        ("bibtex", "application/x-bibtex", "eprint"),
        ("ris", "application/x-research-info-systems", "TY  - "),
        ("csljson", "application/vnd.citationstyles.csl+json", '"number"'),
    ],
)
def test_export_then_import_gives_the_same_papers(
    site: Site, format_name: str, media_type: str, marker: str
) -> None:
    ada = _client(site, "ada")
    source = _collection(ada, "Source", *PAPERS)
    exported = ada.get(f"/api/collections/{source}/export", params={"format": format_name})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith(media_type)
    assert "attachment" in exported.headers["content-disposition"]
    assert marker in exported.text
    target = _collection(ada, "Target")
    report = ada.post(
        f"/api/collections/{target}/import",
        params={"format": format_name},
        content=exported.content,
    ).json()
    assert report["added"] == list(PAPERS) and report["unmatched"] == []
    assert report["matchedById"] == 3 and report["slug"] == target
    items = ada.get(f"/api/collections/{target}").json()["items"]
    assert [item["id"] for item in items] == list(PAPERS)
    assert [item["note"]["text"] for item in items] == [f"on {arxiv_id}" for arxiv_id in PAPERS]
    # The same file again, as a form's upload: everything is there already.
    again = ada.post(
        f"/api/collections/{target}/import",
        params={"format": format_name},
        files={"file": ("papers", exported.content)},
    ).json()
    assert again["added"] == [] and again["alreadyThere"] == list(PAPERS)


def test_import_reports_every_entry_that_matched_nothing(site: Site) -> None:
    ada = _client(site, "ada")
    slug = _collection(ada, "Imported")
    report = ada.post(
        f"/api/collections/{slug}/import", params={"format": "bibtex"}, content=UNKNOWN_BIBTEX
    ).json()
    assert report["added"] == ["2401.00002"] and report["matchedByTitle"] == 1
    assert [u["title"] for u in report["unmatched"]] == ["A Paper Nobody Has"]
    assert report["unmatched"][0]["reason"]
    unreadable = ada.post(
        f"/api/collections/{slug}/import", params={"format": "csljson"}, content=b"{not json"
    )
    assert unreadable.status_code == 400


def test_private_collections_export_and_import_for_their_owner_only(site: Site) -> None:
    ada, bob = _client(site, "ada"), _client(site, "bob")
    slug = _collection(ada, "Secret", "2401.00002")
    assert ada.patch(f"/api/collections/{slug}", json={"private": True}).status_code == 200
    assert bob.get(f"/api/collections/{slug}/export").status_code == 404
    assert site.client.get(f"/api/collections/{slug}/export").status_code == 404
    assert ada.get(f"/api/collections/{slug}/export").status_code == 200
    public = _collection(ada, "Public", "2401.00002")
    stolen = bob.post(
        f"/api/collections/{public}/import", params={"format": "bibtex"}, content=UNKNOWN_BIBTEX
    )
    assert stolen.status_code == 403
