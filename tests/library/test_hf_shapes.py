"""The collections' JSON shapes parse with huggingface_hub's own classes, field for field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from huggingface_hub import Collection as HfCollection

from paperboard.domain.collections import Collection, CollectionItem
from paperboard.domain.paper import PaperRecord
from paperboard.library.hf_shapes import (
    collection_json,
    item_json,
    listed_collection_json,
    note_json,
)

MOMENT = datetime(2026, 11, 26, 8, 30, 0, 123456, tzinfo=UTC)


def item(position: int, note: str | None = None) -> CollectionItem:
    arxiv_id = f"2401.0000{position + 1}"
    record = PaperRecord(
        arxiv_id=arxiv_id,
        title=f"Paper {position}",
        abstract="Abstract.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        published_at=MOMENT,
    )
    return CollectionItem(
        public_id=f"{position:024x}",
        paper_id=position + 1,
        paper=record,
        upvotes=3,
        position=position,
        note=note,
        added_at=MOMENT,
        updated_at=MOMENT,
    )


def collection(items: int) -> Collection:
    return Collection(
        id=1,
        public_id="64f9a55bb3115b4f513ec026",
        owner_id=7,
        owner="ada",
        owner_fullname="Ada Lovelace",
        title="Reading list",
        description="Papers to read",
        private=True,
        theme="green",
        position=2,
        created_at=MOMENT,
        updated_at=MOMENT,
        item_count=items,
        items=tuple(item(n, note="<b>read</b>\nsoon" if n == 0 else None) for n in range(items)),
    )


def test_full_collection_parses_with_huggingface_hub() -> None:
    data = collection_json(collection(6), "http://testserver/")
    parsed = HfCollection(**data, endpoint="http://testserver")
    assert parsed.slug == "ada/reading-list-64f9a55bb3115b4f513ec026"
    assert parsed.title == "Reading list"
    assert parsed.owner["name"] == "ada"
    assert parsed.last_updated == datetime(2026, 11, 26, 8, 30, 0, 123000, tzinfo=UTC)
    assert (parsed.position, parsed.private, parsed.theme, parsed.upvotes) == (2, True, "green", 0)
    assert parsed.description == "Papers to read"
    assert parsed.url == "http://testserver/collections/" + parsed.slug
    assert len(parsed.items) == 6
    first = parsed.items[0]
    assert (first.item_object_id, first.item_id, first.item_type, first.position) == (
        f"{0:024x}",
        "2401.00001",
        "paper",
        0,
    )
    assert first.note == "<b>read</b>\nsoon"
    assert parsed.items[1].note is None
    assert data["shareUrl"] == "http://testserver/collections/" + parsed.slug


def test_listed_collection_has_no_position_and_four_items() -> None:
    data = listed_collection_json(collection(6), "http://testserver")
    assert "position" not in data  # list_collections passes its own
    assert len(data["items"]) == 4 and data["numItems"] == 6
    parsed = HfCollection(position=0, **data)
    assert len(parsed.items) == 4


def test_note_html_is_escaped() -> None:
    assert note_json(None) is None
    assert note_json("<b>x</b>\ny") == {"text": "<b>x</b>\ny", "html": "&lt;b&gt;x&lt;/b&gt;<br>y"}


@pytest.mark.parametrize("position", [0, 3])
def test_item_fields(position: int) -> None:
    shaped = item_json(item(position))
    assert shaped["type"] == "paper" and shaped["position"] == position
    assert shaped["publishedAt"] == "2026-11-26T08:30:00.123Z"
    assert "note" not in shaped
    assert shaped["authors"][0]["name"] == "Ada Lovelace"
