"""Collections: create, read, list, fill, reorder, annotate and delete, with privacy, on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from paperboard.community.errors import Forbidden, InvalidInput, NotFound
from paperboard.domain.collections import parse_slug, title_slug
from paperboard.library.errors import Conflict
from paperboard.storage.schema import papers as papers_table
from tests.community_site import paper
from tests.library.conftest import Shelf


@pytest.fixture
def papers(shelf: Shelf) -> list[str]:
    ids = ["2401.00001", "2401.00002", "2401.00003"]
    shelf.add(*(paper(arxiv_id) for arxiv_id in ids))
    return ids


def test_slug_has_owner_title_words_and_a_stable_id(shelf: Shelf) -> None:
    ada = shelf.user("Ada")
    made = shelf.library.collections.create(ada, "Reading list: Ünïcode & more!")
    owner, _, rest = made.slug.partition("/")
    assert owner == "Ada"
    assert rest.startswith("reading-list-unicode-more-")
    parts = parse_slug(made.slug)
    assert parts is not None and parts.public_id == made.public_id
    renamed = shelf.library.collections.update(made.slug, ada, title="Later")
    assert renamed.slug == f"Ada/later-{made.public_id}"
    # The old slug still finds it: only the id at the end counts (and the owner).
    assert shelf.library.collections.get(made.slug, ada).title == "Later"
    with pytest.raises(NotFound):
        shelf.library.collections.get(f"grace/later-{made.public_id}", ada)


def test_title_slug_of_odd_titles() -> None:
    assert title_slug("  ") == "collection"
    assert title_slug("日本語") == "collection"
    assert title_slug("a" * 200) == "a" * 60


def test_add_update_move_and_delete_items(shelf: Shelf, papers: list[str]) -> None:
    ada = shelf.user("ada")
    collections = shelf.library.collections
    made = collections.create(ada, "Reading list", description="to read")
    for arxiv_id in papers:
        made = collections.add_paper(made.slug, f"https://arxiv.org/abs/{arxiv_id}v2", ada)
    assert [item.paper.arxiv_id for item in made.items] == papers
    assert [item.position for item in made.items] == [0, 1, 2]
    with pytest.raises(Conflict) as conflict:
        collections.add_paper(made.slug, papers[0], ada)
    assert conflict.value.slug == made.slug
    last = made.items[2]
    moved = collections.update_item(made.slug, last.public_id, ada, note="read first", position=0)
    assert [item.paper.arxiv_id for item in moved.items] == [papers[2], papers[0], papers[1]]
    assert moved.items[0].note == "read first"
    assert [item.position for item in moved.items] == [0, 1, 2]
    cleared = collections.update_item(made.slug, last.public_id, ada, note="")
    assert cleared.items[0].note is None
    after = collections.delete_item(made.slug, moved.items[1].public_id, ada)
    assert [item.paper.arxiv_id for item in after.items] == [papers[2], papers[1]]
    assert [item.position for item in after.items] == [0, 1]
    assert after.item_count == 2
    with pytest.raises(NotFound):
        collections.delete_item(made.slug, moved.items[1].public_id, ada)


def test_unknown_papers_and_bad_input_are_refused(shelf: Shelf, papers: list[str]) -> None:
    ada = shelf.user("ada")
    collections = shelf.library.collections
    made = collections.create(ada, "List")
    with pytest.raises(NotFound):
        collections.add_paper(made.slug, "2401.99999", ada)
    with pytest.raises(NotFound):
        collections.add_paper(made.slug, "not an id", ada)
    with pytest.raises(InvalidInput):
        collections.add_paper(made.slug, papers[0], ada, note="x" * 501)
    with pytest.raises(InvalidInput):
        collections.create(ada, "  ")
    with pytest.raises(InvalidInput):
        collections.create(ada, "Bad\x00title")
    with pytest.raises(InvalidInput):
        collections.update(made.slug, ada, theme="neon")
    with pytest.raises(InvalidInput):
        collections.update(made.slug, ada, description="d" * 151)
    with pytest.raises(Forbidden):
        collections.create(ada, "Elsewhere", namespace="huggingface")


def test_one_title_per_owner(shelf: Shelf) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    collections = shelf.library.collections
    first = collections.create(ada, "Reading list")
    with pytest.raises(Conflict) as conflict:
        collections.create(ada, "reading   LIST")
    assert conflict.value.slug == first.slug
    collections.create(grace, "Reading list")  # another owner may
    second = collections.create(ada, "Other")
    with pytest.raises(Conflict):
        collections.update(second.slug, ada, title="Reading List")


def test_private_collections_are_the_owners_alone(shelf: Shelf, papers: list[str]) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    collections = shelf.library.collections
    secret = collections.create(ada, "Secret", private=True)
    collections.add_paper(secret.slug, papers[0], ada)
    public = collections.create(ada, "Public")
    collections.add_paper(public.slug, papers[0], ada)
    assert collections.get(secret.slug, ada).private
    for viewer in (grace, None):
        with pytest.raises(NotFound):
            collections.get(secret.slug, viewer)
        listed = collections.list(viewer, owner="ada")
        assert [c.title for c in listed] == ["Public"]
        assert [c.title for c in collections.list(viewer, item=f"papers/{papers[0]}")] == ["Public"]
    with pytest.raises(NotFound):  # not Forbidden: its existence stays private too
        collections.add_paper(secret.slug, papers[1], grace)
    with pytest.raises(Forbidden):
        collections.add_paper(public.slug, papers[1], grace)
    with pytest.raises(Forbidden):
        collections.delete(public.slug, grace)
    assert [c.title for c in collections.list(ada, owner="ADA")] == ["Secret", "Public"]
    made_public = collections.update(secret.slug, ada, private=False)
    assert collections.get(made_public.slug, None).title == "Secret"


def test_listing_filters_and_truncates_items(shelf: Shelf, papers: list[str]) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    collections = shelf.library.collections
    big = collections.create(ada, "Big")
    extra = [f"2402.0000{n}" for n in range(1, 5)]
    shelf.add(*(paper(arxiv_id) for arxiv_id in extra))
    for arxiv_id in papers + extra:
        collections.add_paper(big.slug, arxiv_id, ada)
    collections.create(grace, "Grace's")
    listed = collections.list(None, owner="ada")
    assert len(listed) == 1 and listed[0].item_count == 7 and len(listed[0].items) == 4
    assert {c.title for c in collections.list(None)} == {"Big", "Grace's"}
    assert collections.list(None, owner="nobody") == []
    assert collections.list(None, item="papers/2401.99999") == []
    assert collections.list(None, item="models/gpt2") == []
    assert collections.list(None, item="papers/not-an-id") == []
    assert len(collections.get(big.slug, None).items) == 7


def test_collections_reorder_and_delete(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    collections = shelf.library.collections
    made = [collections.create(ada, title) for title in ("A", "B", "C")]
    assert [c.position for c in made] == [0, 1, 2]
    collections.update(made[2].slug, ada, position=0)
    assert [c.title for c in collections.list(ada, owner="ada")] == ["C", "A", "B"]
    collections.delete(made[0].slug, ada)
    listed = collections.list(ada, owner="ada")
    assert [(c.title, c.position) for c in listed] == [("C", 0), ("B", 1)]
    with pytest.raises(NotFound):
        collections.get(made[0].slug, ada)
    with pytest.raises(InvalidInput):
        collections.update(made[1].slug, ada, position=-1)


def test_deleting_a_paper_or_account_removes_its_items(shelf: Shelf, papers: list[str]) -> None:
    ada = shelf.user("ada")
    collections = shelf.library.collections
    made = collections.create(ada, "List")
    collections.add_paper(made.slug, papers[0], ada)
    collections.add_paper(made.slug, papers[1], ada)
    with shelf.db.write() as connection:
        connection.execute(delete(papers_table).where(papers_table.c.arxiv_id == papers[0]))
    assert [i.paper.arxiv_id for i in collections.get(made.slug, ada).items] == [papers[1]]


def test_save_paper_into_a_chosen_or_a_new_collection(shelf: Shelf, papers: list[str]) -> None:
    ada = shelf.user("ada")
    collections = shelf.library.collections
    created = collections.save_paper(ada, papers[0], new_title="Reading list", note="first")
    assert [item.paper.arxiv_id for item in created.items] == [papers[0]]
    # The same title again finds that collection; a paper already there stays as it is.
    again = collections.save_paper(ada, papers[0], new_title="reading list", note="other")
    assert again.slug == created.slug and [item.note for item in again.items] == ["first"]
    chosen = collections.save_paper(ada, papers[1], slug=created.slug)
    assert [item.paper.arxiv_id for item in chosen.items] == papers[:2]
    with pytest.raises(InvalidInput):
        collections.save_paper(ada, papers[1])
    with pytest.raises(NotFound):
        collections.save_paper(
            shelf.user("bob"), papers[1], slug=created.slug.replace("ada", "bob")
        )
