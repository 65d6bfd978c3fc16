"""The personal layer's pages: save a paper to a collection from its page, see the collection
(notes, export), see "for you" with its reasons, dismiss one; sessions and CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperboard.storage.database import Database
from tests.app_factory import Site
from tests.web.library_site import personal_site


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    yield from personal_site(db, tmp_path)


def test_save_a_paper_see_it_in_for_you_reasons_and_dismiss_one(site: Site) -> None:
    assert 'href="/papers/2411.00012/save"' not in site.get("/papers/new")
    ada = site.signed_in("ada")
    assert 'href="/papers/2411.00012/save"' in ada.get("/papers/new").text  # on every card
    page = ada.get("/papers/2411.00012")
    assert 'href="/papers/2411.00012/save"' in page.text
    assert "Reading list" in ada.get("/papers/2411.00012/save").text
    saved = ada.post_form(
        "/papers/2411.00012/save",
        {"title": "Reading list", "note": "read on Monday"},
        page="/papers/2411.00012/save",
    )
    assert saved.status_code == 303
    collection_url = saved.headers["location"]
    assert collection_url.startswith("/collections/ada/reading-list-")
    shown = ada.get(collection_url).text
    assert "On graphs 2411.00012" in shown and "read on Monday" in shown
    assert f"{collection_url}/export?format=bibtex" in shown
    exported = ada.get(f"{collection_url}/export", params={"format": "bibtex"})
    assert "eprint = {2411.00012}" in exported.text.replace("  ", " ")

    # Saving again, into the existing collection by its slug, changes nothing.
    slug = collection_url.removeprefix("/collections/")
    again = ada.post_form("/papers/2411.00012/save", {"slug": slug}, page="/for-you")
    assert again.headers["location"] == collection_url

    for_you = ada.get("/for-you").text
    assert "2411.00012" not in for_you  # in the collection: never recommended
    assert "2411.00011" in for_you and "Reading list" in for_you  # the reason names it
    assert 'class="reason-weight"' in for_you
    dismissed = ada.post_form("/papers/2411.00011/dismiss", {"next": "/for-you"}, page="/for-you")
    assert dismissed.status_code == 303 and dismissed.headers["location"] == "/for-you"
    assert 'data-arxiv-id="2411.00011"' not in ada.get("/for-you").text


def test_pages_need_a_session_and_csrf_and_private_stays_private(site: Site) -> None:
    assert site.client.get("/for-you", follow_redirects=False).status_code == 303
    ada = site.signed_in("ada")
    refused = ada.post_form("/papers/2411.00011/dismiss", token="forged")
    assert refused.status_code == 403
    saved = ada.post_form("/papers/2411.00013/save", {"title": "Mine"}, page="/for-you")
    url = saved.headers["location"]
    slug = url.removeprefix("/collections/")
    ada_api = site.community.tokens.create_for("ada")[1]
    private = site.client.patch(
        f"/api/collections/{slug}",
        json={"private": True},
        headers={"Authorization": f"Bearer {ada_api}"},
    )
    assert private.status_code == 200
    assert ada.get(url).status_code == 200
    assert site.client.get(url).status_code == 404
    assert site.client.get(f"{url}/export").status_code == 404
    nowhere = ada.post_form("/papers/2411.00013/save", {}, page="/for-you")
    assert nowhere.status_code == 400


def test_the_owner_edits_notes_and_imports_a_file_on_the_collection_page(site: Site) -> None:
    ada = site.signed_in("ada")
    saved = ada.post_form("/papers/2411.00013/save", {"title": "Stars"}, page="/for-you")
    url = saved.headers["location"]
    page = ada.get(url).text
    item_id = re.search(r'id="item-([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    noted = ada.post_form(f"{url}/items/{item_id}/note", {"note": "bright"}, page=url)
    assert noted.status_code == 303
    assert ">bright</textarea>" in ada.get(url).text
    assert "bright" in site.get(url) and "<textarea" not in site.get(url)  # others just read it

    bibtex = "@misc{a, eprint = {2411.00014}}\n@misc{b, title = {Nothing Like This}}\n"
    imported = ada.post_form(
        f"{url}/import",
        {"format": "bibtex"},
        page=url,
        files={"file": ("refs.bib", bibtex.encode())},
    )
    assert imported.status_code == 200
    assert "1 added" in imported.text and "Nothing Like This" in imported.text
    assert "On diffusion 2411.00014" in ada.get(url).text
    bob = site.signed_in("bob")
    refused = bob.post_form(
        f"{url}/import", {"format": "bibtex"}, page=url, files={"file": ("x.bib", b"")}
    )
    assert refused.status_code == 403
