"""Collections (reading lists): create, read, list, fill, reorder, annotate, delete.

Hugging Face's collections API, as ``huggingface_hub`` calls it, maps one call to one method
here, so a web handler parses, calls and renders (library/hf_shapes.py). Private collections
are visible to their owner only: to anyone else they do not exist (404, never 403, so that a
slug does not tell whether a private collection is behind it). Only the owner changes one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from paperboard.community.accounts import account
from paperboard.community.context import Context
from paperboard.community.errors import Forbidden, InvalidInput, NotFound
from paperboard.domain.arxiv_id import InvalidArxivId, canonical_id
from paperboard.domain.collections import (
    DEFAULT_THEME,
    LISTED_ITEMS,
    MAX_COLLECTIONS_PER_OWNER,
    MAX_DESCRIPTION_CHARS,
    MAX_ITEMS,
    MAX_NOTE_CHARS,
    MAX_TITLE_CHARS,
    PUBLIC_ID_CHARS,
    THEMES,
    Collection,
    clean_text,
    has_control_characters,
    parse_slug,
    title_key,
)
from paperboard.library.errors import Conflict
from paperboard.storage import collections as store
from paperboard.storage import papers as paper_store
from paperboard.storage import users as user_store
from paperboard.storage.users import User

MAX_LIST_LIMIT = 100
PAPER_ITEM_PREFIX = "papers/"


def new_public_id() -> str:
    return secrets.token_hex(PUBLIC_ID_CHARS // 2)


@dataclass(frozen=True, slots=True)
class Unchanged:
    """ "Leave this field as it is" where None is a value (a note or description cleared)."""


UNCHANGED = Unchanged()


def check_title(title: str) -> str:
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise InvalidInput("A collection needs a title.", "title")
    if len(cleaned) > MAX_TITLE_CHARS or has_control_characters(cleaned):
        raise InvalidInput(
            f"A title has at most {MAX_TITLE_CHARS} characters and no control characters.",
            "title",
        )
    return cleaned


def check_text(value: str | None, limit: int, field: str) -> str | None:
    cleaned = clean_text(value)
    if cleaned is not None and (len(cleaned) > limit or has_control_characters(cleaned)):
        raise InvalidInput(
            f"A {field} has at most {limit} characters and no control characters.", field
        )
    return cleaned


def check_theme(theme: str) -> str:
    if theme not in THEMES:
        raise InvalidInput(f"The theme is one of {', '.join(THEMES)}.", "theme")
    return theme


def check_position(position: int) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise InvalidInput("A position is a whole number from 0.", "position")
    return position


def require_owner(collection: Collection, actor: User) -> None:
    if collection.owner_id != actor.id:
        raise Forbidden("Only the owner can change a collection.")


class Collections:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- reading ------------------------------------------------------------------------
    def get(self, slug: str, viewer: User | None) -> Collection:
        """The collection with every item; NotFound when it does not exist or is private to
        someone else."""
        with self.context.db.read() as connection:
            return self._visible(connection, slug, viewer)

    def list(
        self,
        viewer: User | None,
        *,
        owner: str | None = None,
        item: str | None = None,
        limit: int = MAX_LIST_LIMIT,
        offset: int = 0,
        item_limit: int | None = LISTED_ITEMS,
    ) -> list[Collection]:
        """Visible collections, optionally of one ``owner`` (a username) and holding one
        ``item`` (``"papers/2401.01234"``; other kinds of items exist only on Hugging Face)."""
        limit = max(1, min(limit, MAX_LIST_LIMIT))
        with self.context.db.read() as connection:
            owner_id = None
            if owner is not None:
                found = user_store.by_username(connection, owner)
                if found is None:
                    return []
                owner_id = found.id
            paper_id = None
            if item is not None:
                paper_id = self._item_paper_id(connection, item)
                if paper_id is None:
                    return []
            return store.listing(
                connection,
                viewer_id=viewer.id if viewer else None,
                owner_id=owner_id,
                paper_id=paper_id,
                limit=limit,
                offset=max(0, offset),
                item_limit=item_limit,
            )

    def _item_paper_id(self, connection: Connection, item: str) -> int | None:
        if not item.startswith(PAPER_ITEM_PREFIX):
            return None
        try:
            arxiv_id = canonical_id(item[len(PAPER_ITEM_PREFIX) :])
        except InvalidArxivId:
            return None
        return paper_store.ids_for(connection, [arxiv_id]).get(arxiv_id)

    # --- writing ------------------------------------------------------------------------
    def create(
        self,
        owner: User,
        title: str,
        *,
        description: str | None = None,
        private: bool = False,
        theme: str = DEFAULT_THEME,
        namespace: str | None = None,
    ) -> Collection:
        """A new, empty collection, last among the owner's. Conflict (with the existing
        slug) when the owner has one of that title; ``namespace`` must be the owner's own
        username (there are no organisations here)."""
        if namespace is not None and namespace.lower() != owner.username.lower():
            raise Forbidden("You can create collections in your own namespace only.")
        title = check_title(title)
        description = check_text(description, MAX_DESCRIPTION_CHARS, "description")
        theme = check_theme(theme)
        self._hit(owner)
        new = store.NewCollection(
            public_id=new_public_id(),
            owner_id=owner.id,
            title=title,
            title_key=title_key(title),
            description=description,
            private=bool(private),
            theme=theme,
        )
        with self.context.db.write() as connection:
            if store.count_of_owner(connection, owner.id) >= MAX_COLLECTIONS_PER_OWNER:
                raise InvalidInput(f"You have {MAX_COLLECTIONS_PER_OWNER} collections already.")
            if store.insert_collection(connection, new, self.context.clock()) is None:
                existing = store.by_owner_and_title(connection, owner.id, new.title_key)
                slug = existing.slug if existing else ""
                raise Conflict(f"You already have a collection titled {title!r}.", slug)
            created = store.by_public_id(connection, new.public_id)
        assert created is not None
        return created

    def update(
        self,
        slug: str,
        actor: User,
        *,
        title: str | None = None,
        description: str | Unchanged | None = UNCHANGED,
        private: bool | None = None,
        theme: str | None = None,
        position: int | None = None,
    ) -> Collection:
        """Change what is given (Hugging Face's PATCH sends only those); the slug's words
        follow a new title, its id stays."""
        values: dict[str, object] = {}
        if title is not None:
            checked = check_title(title)
            values["title"] = checked
            values["title_key"] = title_key(checked)
        if not isinstance(description, Unchanged):
            values["description"] = check_text(description, MAX_DESCRIPTION_CHARS, "description")
        if private is not None:
            values["private"] = bool(private)
        if theme is not None:
            values["theme"] = check_theme(theme)
        if position is not None:
            position = check_position(position)
        with self._changing(slug, actor) as (connection, collection, now):
            if values and not store.update_collection(connection, collection.id, values, now):
                raise Conflict(f"You already have a collection titled {title!r}.", slug)
            if position is not None:
                store.move_collection(connection, actor.id, collection.id, position)
            return self._reload(connection, collection)

    def delete(self, slug: str, actor: User) -> None:
        with self._changing(slug, actor) as (connection, collection, _):
            store.delete_collection(connection, actor.id, collection.id)

    def add_paper(
        self, slug: str, arxiv_id: str, actor: User, *, note: str | None = None
    ) -> Collection:
        """Add a paper (by arXiv id or URL) last; Conflict when it is there already."""
        note = check_text(note, MAX_NOTE_CHARS, "note")
        try:
            paper_key = canonical_id(arxiv_id)
        except InvalidArxivId:
            raise NotFound(f"{arxiv_id[:80]!r} is not an arXiv id.") from None
        with self._changing(slug, actor) as (connection, collection, now):
            paper_id = paper_store.ids_for(connection, [paper_key]).get(paper_key)
            if paper_id is None:
                raise NotFound(f"paperboard has no paper {paper_key}.")
            if store.item_count(connection, collection.id) >= MAX_ITEMS:
                raise InvalidInput(f"A collection holds at most {MAX_ITEMS:,} papers.")
            added = store.insert_items(
                connection, collection.id, [(paper_id, new_public_id(), note)], now
            )
            if not added:
                raise Conflict(f"{paper_key} is in this collection already.", collection.slug)
            store.touch(connection, collection.id, now)
            return self._reload(connection, collection)

    def save_paper(
        self,
        user: User,
        arxiv_id: str,
        *,
        slug: str | None = None,
        new_title: str | None = None,
        note: str | None = None,
    ) -> Collection:
        """A page's "save to collection": into ``slug``, or into the user's collection titled
        ``new_title`` (made when they have none); a paper already there stays as it is."""
        if slug is None:
            if not new_title:
                raise InvalidInput("Choose a collection, or name a new one.", "title")
            try:
                slug = self.create(user, new_title).slug
            except Conflict as exc:
                slug = exc.slug
        try:
            return self.add_paper(slug, arxiv_id, user, note=note)
        except Conflict:
            return self.get(slug, user)

    def update_item(
        self,
        slug: str,
        item_id: str,
        actor: User,
        *,
        note: str | Unchanged | None = UNCHANGED,
        position: int | None = None,
    ) -> Collection:
        """Change an item's note and/or move it; ``item_id`` is the item's ``_id``."""
        if not isinstance(note, Unchanged):
            note = check_text(note, MAX_NOTE_CHARS, "note")
        if position is not None:
            position = check_position(position)
        with self._changing(slug, actor) as (connection, collection, now):
            row_id = self._item_row(connection, collection, item_id)
            if not isinstance(note, Unchanged):
                store.set_item_note(connection, row_id, note, now)
            if position is not None:
                store.move_item(connection, collection.id, row_id, position)
            store.touch(connection, collection.id, now)
            return self._reload(connection, collection)

    def delete_item(self, slug: str, item_id: str, actor: User) -> Collection:
        with self._changing(slug, actor) as (connection, collection, now):
            row_id = self._item_row(connection, collection, item_id)
            store.delete_item(connection, collection.id, row_id)
            store.touch(connection, collection.id, now)
            return self._reload(connection, collection)

    # --- helpers ------------------------------------------------------------------------
    @contextmanager
    def _changing(
        self, slug: str, actor: User
    ) -> Iterator[tuple[Connection, Collection, datetime]]:
        """A write transaction on a collection the actor owns (counted against their
        limit), with the time of the change."""
        self._hit(actor)
        now = self.context.clock()
        with self.context.db.write() as connection:
            yield connection, self._owned(connection, slug, actor), now

    def _hit(self, user: User) -> None:
        self.context.limiter.hit(("library_per_account", account(user)))

    def _visible(self, connection: Connection, slug: str, viewer: User | None) -> Collection:
        parts = parse_slug(slug)
        found = store.by_public_id(connection, parts.public_id) if parts else None
        hidden = (
            found is not None and found.private and (viewer is None or viewer.id != found.owner_id)
        )
        if found is None or parts is None or found.owner.lower() != parts.owner.lower() or hidden:
            raise NotFound("No such collection.")
        return found

    def _owned(self, connection: Connection, slug: str, actor: User) -> Collection:
        collection = self._visible(connection, slug, actor)
        require_owner(collection, actor)
        return collection

    def _item_row(self, connection: Connection, collection: Collection, item_id: str) -> int:
        row_id = store.item_id(connection, collection.id, item_id)
        if row_id is None:
            raise NotFound("No such item in this collection.")
        return row_id

    def _reload(self, connection: Connection, collection: Collection) -> Collection:
        reloaded = store.by_public_id(connection, collection.public_id)
        assert reloaded is not None
        return reloaded
