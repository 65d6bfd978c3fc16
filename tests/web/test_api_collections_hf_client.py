"""The real ``huggingface_hub`` client against paperboard's collections API (uvicorn on
loopback, SQLite): it creates, fills, reads, lists and deletes collections unchanged, and a
private collection does not exist for anyone but its owner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperboard.storage.database import Database
from tests.app_factory import build_site, serve_app
from tests.community_site import paper

PAPERS = ("2401.00001", "2401.00002", "2401.00003", "hep-th/9901001")


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The server's URL and API tokens for ada and bob."""
    db = Database(sqlite_url)
    with build_site(db, tmp_path / "data") as site, serve_app(site.app) as url:
        site.add(*(paper(arxiv_id, title=f"On {arxiv_id}") for arxiv_id in PAPERS))
        site.user("ada")
        site.user("bob")
        _, ada = site.community.tokens.create_for("ada")
        _, bob = site.community.tokens.create_for("bob")
        yield url, ada, bob
    db.dispose()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)

    def make(endpoint: str, token: str) -> HfApi:
        return HfApi(endpoint=endpoint, token=token)

    return make


def test_the_hub_client_creates_fills_reads_lists_and_deletes(served, client) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub.errors import HfHubHTTPError

    url, ada_token, _ = served
    ada = client(url, ada_token)
    assert ada.whoami()["name"] == "ada"

    created = ada.create_collection("Reading list", description="To read this week")
    assert created.slug.startswith("ada/reading-list-") and created.items == []
    assert created.description == "To read this week" and not created.private
    again = ada.create_collection("Reading list", exists_ok=True)
    assert again.slug == created.slug

    for arxiv_id in PAPERS[:3]:
        ada.add_collection_item(created.slug, arxiv_id, "paper", note=f"about {arxiv_id}")
    ada.add_collection_item(created.slug, PAPERS[0], "paper", exists_ok=True)
    with pytest.raises(HfHubHTTPError) as duplicate:
        ada.add_collection_item(created.slug, PAPERS[0], "paper")
    assert duplicate.value.response.status_code == 409

    read = ada.get_collection(created.slug)
    assert [item.item_id for item in read.items] == list(PAPERS[:3])
    assert [item.item_type for item in read.items] == ["paper"] * 3
    assert [item.position for item in read.items] == [0, 1, 2]
    assert read.items[1].note == "about 2401.00002"

    last = read.items[2]
    ada.update_collection_item(created.slug, last.item_object_id, note="first!", position=0)
    ada.delete_collection_item(created.slug, read.items[0].item_object_id)
    read = ada.get_collection(created.slug)
    assert [item.item_id for item in read.items] == ["2401.00003", "2401.00002"]
    assert read.items[0].note == "first!"

    renamed = ada.update_collection_metadata(created.slug, title="Reading list v2", theme="pink")
    assert renamed.slug.startswith("ada/reading-list-v2-") and renamed.theme == "pink"
    assert renamed.slug.rsplit("-", 1)[1] == created.slug.rsplit("-", 1)[1]

    second = ada.create_collection("Later")
    ada.add_collection_item(second.slug, "hep-th/9901001", "paper")
    listed = list(ada.list_collections(owner="ada"))
    assert {c.slug for c in listed} == {renamed.slug, second.slug}
    holding = list(ada.list_collections(item="papers/2401.00002"))
    assert [c.slug for c in holding] == [renamed.slug]
    old_style = list(ada.list_collections(item="papers/hep-th/9901001"))
    assert [c.slug for c in old_style] == [second.slug]

    ada.delete_collection(second.slug)
    ada.delete_collection(second.slug, missing_ok=True)
    with pytest.raises(HfHubHTTPError) as gone:
        ada.get_collection(second.slug)
    assert gone.value.response.status_code == 404


def test_a_private_collection_exists_for_its_owner_only(served, client) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub.errors import HfHubHTTPError

    url, ada_token, bob_token = served
    ada, bob = client(url, ada_token), client(url, bob_token)
    secret = ada.create_collection("Secret", private=True)
    ada.add_collection_item(secret.slug, PAPERS[0], "paper")
    public = ada.create_collection("Public")
    assert ada.get_collection(secret.slug).private
    assert {c.slug for c in ada.list_collections(owner="ada")} == {secret.slug, public.slug}

    assert [c.slug for c in bob.list_collections(owner="ada")] == [public.slug]
    assert list(bob.list_collections(item=f"papers/{PAPERS[0]}")) == []
    for call in (
        lambda: bob.get_collection(secret.slug),
        lambda: bob.add_collection_item(secret.slug, PAPERS[1], "paper"),
        lambda: bob.delete_collection(secret.slug),
    ):
        with pytest.raises(HfHubHTTPError) as hidden:
            call()
        assert hidden.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as refused:
        bob.delete_collection(public.slug)
    assert refused.value.response.status_code == 403
    assert ada.get_collection(secret.slug).items[0].item_id == PAPERS[0]
