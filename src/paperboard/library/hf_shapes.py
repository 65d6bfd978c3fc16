"""Collections in Hugging Face's JSON shapes (pure): what ``huggingface_hub``'s ``Collection``
and ``CollectionItem`` parse, field for field (``tests/library/test_hf_shapes.py`` runs them).

- ``GET /api/collections/{slug}``, ``POST /api/collections``, ``POST .../items``:
  :func:`collection_json` with every item.
- ``PATCH /api/collections/{slug}``: ``{"success": true, "data": collection_json(...)}``
  (the client reads ``["data"]``).
- ``GET /api/collections``: :func:`listed_collection_json`, items cut to the first four and
  **no** ``position`` key: the client passes its own ``position=`` alongside the data, and a
  second one would be a TypeError in ``Collection(position=..., **data)``.

Values Hugging Face has and paperboard does not are given honestly: ``upvotes`` 0 (collections
cannot be upvoted here), ``isUpvotedByUser`` false, ``gating`` false, ``thumbnailUrl`` null.
"""

from __future__ import annotations

import html
from typing import Any

from paperboard.domain.collections import LISTED_ITEMS, Collection, CollectionItem
from paperboard.domain.hf_values import hf_user, iso, object_id


def note_json(note: str | None) -> dict[str, str] | None:
    """Hugging Face's note object: the text as typed and an escaped HTML rendering."""
    if note is None:
        return None
    return {"text": note, "html": html.escape(note).replace("\n", "<br>")}


def item_json(item: CollectionItem) -> dict[str, Any]:
    record = item.paper
    shaped: dict[str, Any] = {
        "_id": item.public_id,
        "id": record.arxiv_id,
        "type": "paper",
        "position": item.position,
        "title": record.title,
        "publishedAt": iso(record.published_at),
        "upvotes": item.upvotes,
        "authors": [
            {"_id": object_id("author", record.arxiv_id, str(i)), "name": name, "hidden": False}
            for i, name in enumerate(record.authors)
        ],
        "thumbnailUrl": None,
        "isUpvotedByUser": False,
        "lastUpdated": iso(item.updated_at),
    }
    note = note_json(item.note)
    if note is not None:
        shaped["note"] = note
    return shaped


def collection_json(collection: Collection, base_url: str) -> dict[str, Any]:
    """The full shape: every item the collection value carries."""
    shaped = listed_collection_json(collection, base_url, item_limit=None)
    shaped["position"] = collection.position
    return shaped


def listed_collection_json(
    collection: Collection, base_url: str, *, item_limit: int | None = LISTED_ITEMS
) -> dict[str, Any]:
    items = collection.items if item_limit is None else collection.items[:item_limit]
    return {
        "slug": collection.slug,
        "title": collection.title,
        "description": collection.description,
        "gating": False,
        "lastUpdated": iso(collection.updated_at),
        "owner": hf_user(collection.owner, collection.owner_fullname),
        "items": [item_json(item) for item in items],
        "numItems": collection.item_count,
        "theme": collection.theme,
        "private": collection.private,
        "upvotes": 0,
        "isUpvotedByUser": False,
        "shareUrl": f"{base_url.rstrip('/')}/collections/{collection.slug}",
    }
