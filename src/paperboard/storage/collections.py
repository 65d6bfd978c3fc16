"""Collections and their items (library/collections.py owns the rules; this is the SQL).

Positions are kept dense (0..n-1) by the writers here: a move or a delete renumbers the
owner's collections or the collection's items in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperboard.domain.collections import Collection, CollectionItem
from paperboard.storage.papers import MAX_IN_LIST, row_to_record
from paperboard.storage.schema import collection_items, collections, papers, users


@dataclass(frozen=True, slots=True)
class NewCollection:
    public_id: str
    owner_id: int
    title: str
    title_key: str
    description: str | None
    private: bool
    theme: str


_COLLECTION_COLUMNS = (
    *collections.c,
    users.c.username.label("owner_name"),
    users.c.display_name.label("owner_fullname"),
    select(func.count())
    .where(collection_items.c.collection_id == collections.c.id)
    .scalar_subquery()
    .label("item_count"),
)


def _collection(row: Any, items: Sequence[CollectionItem] = ()) -> Collection:
    return Collection(
        id=row.id,
        public_id=row.public_id,
        owner_id=row.owner_id,
        owner=row.owner_name,
        owner_fullname=row.owner_fullname or row.owner_name,
        title=row.title,
        description=row.description,
        private=row.private,
        theme=row.theme,
        position=row.position,
        created_at=row.created_at,
        updated_at=row.updated_at,
        item_count=row.item_count,
        items=tuple(items),
    )


def _select_collections() -> Any:
    return select(*_COLLECTION_COLUMNS).join(users, users.c.id == collections.c.owner_id)


def insert_collection(connection: Connection, new: NewCollection, now: datetime) -> int | None:
    """The new collection's id, placed last among the owner's; None when the owner already has
    one of that title (the constraint decides, whatever the concurrency)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    position = count_of_owner(connection, new.owner_id)
    statement = (
        dialect.insert(collections)
        .values(
            public_id=new.public_id,
            owner_id=new.owner_id,
            title=new.title,
            title_key=new.title_key,
            description=new.description,
            private=new.private,
            theme=new.theme,
            position=position,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["owner_id", "title_key"])
        .returning(collections.c.id)
    )
    return connection.execute(statement).scalar()


def count_of_owner(connection: Connection, owner_id: int) -> int:
    query = select(func.count()).where(collections.c.owner_id == owner_id)
    return connection.execute(query).scalar_one()


def by_public_id(
    connection: Connection, public_id: str, *, with_items: bool = True
) -> Collection | None:
    row = connection.execute(
        _select_collections().where(collections.c.public_id == public_id)
    ).first()
    if row is None:
        return None
    items = items_of(connection, [row.id]).get(row.id, []) if with_items else []
    return _collection(row, items)


def by_owner_and_title(connection: Connection, owner_id: int, title_key: str) -> Collection | None:
    query = _select_collections().where(
        collections.c.owner_id == owner_id, collections.c.title_key == title_key
    )
    row = connection.execute(query).first()
    return _collection(row) if row else None


def listing(
    connection: Connection,
    *,
    viewer_id: int | None,
    owner_id: int | None = None,
    paper_id: int | None = None,
    limit: int,
    offset: int = 0,
    item_limit: int | None = None,
) -> list[Collection]:
    """Collections the viewer may see (public ones, and their own private ones), the owner's
    order within an owner, most recently updated first across owners."""
    visible = (
        collections.c.private.is_(False)
        if viewer_id is None
        else or_(collections.c.private.is_(False), collections.c.owner_id == viewer_id)
    )
    query = _select_collections().where(visible)
    if owner_id is not None:
        query = query.where(collections.c.owner_id == owner_id).order_by(collections.c.position)
    else:
        query = query.order_by(collections.c.updated_at.desc(), collections.c.id.desc())
    if paper_id is not None:
        holding = select(collection_items.c.collection_id).where(
            collection_items.c.paper_id == paper_id
        )
        query = query.where(collections.c.id.in_(holding))
    rows = connection.execute(query.limit(limit).offset(offset)).all()
    items = items_of(connection, [row.id for row in rows], per_collection=item_limit)
    return [_collection(row, items.get(row.id, [])) for row in rows]


def items_of(
    connection: Connection, collection_ids: Sequence[int], *, per_collection: int | None = None
) -> dict[int, list[CollectionItem]]:
    """collection id -> its items in position order (the first ``per_collection`` of them)."""
    found: dict[int, list[CollectionItem]] = {}
    for start in range(0, len(collection_ids), MAX_IN_LIST):
        chunk = list(collection_ids[start : start + MAX_IN_LIST])
        conditions = [collection_items.c.collection_id.in_(chunk)]
        if per_collection is not None:
            conditions.append(collection_items.c.position < per_collection)
        query = (
            select(
                papers,
                collection_items.c.collection_id,
                collection_items.c.public_id.label("item_public_id"),
                collection_items.c.position.label("item_position"),
                collection_items.c.note.label("item_note"),
                collection_items.c.created_at.label("item_created_at"),
                collection_items.c.updated_at.label("item_updated_at"),
            )
            .join(papers, papers.c.id == collection_items.c.paper_id)
            .where(and_(*conditions))
            .order_by(collection_items.c.collection_id, collection_items.c.position)
        )
        for row in connection.execute(query):
            found.setdefault(row.collection_id, []).append(
                CollectionItem(
                    public_id=row.item_public_id,
                    paper_id=row.id,
                    paper=row_to_record(row),
                    upvotes=row.upvotes,
                    position=row.item_position,
                    note=row.item_note,
                    added_at=row.item_created_at,
                    updated_at=row.item_updated_at,
                )
            )
    return found


def update_collection(
    connection: Connection, collection_id: int, values: dict[str, Any], now: datetime
) -> bool:
    """Set ``values`` (title, title_key, description, private, theme) and the update time;
    False when another of the owner's collections has the new title."""
    if "title_key" in values:
        owner_id = select(collections.c.owner_id).where(collections.c.id == collection_id)
        clash = select(collections.c.id).where(
            collections.c.owner_id == owner_id.scalar_subquery(),
            collections.c.title_key == values["title_key"],
            collections.c.id != collection_id,
        )
        if connection.execute(clash).first() is not None:
            return False
    statement = (
        update(collections)
        .where(collections.c.id == collection_id)
        .values(**values, updated_at=now)
    )
    connection.execute(statement)
    return True


def touch(connection: Connection, collection_id: int, now: datetime) -> None:
    statement = update(collections).where(collections.c.id == collection_id)
    connection.execute(statement.values(updated_at=now))


def move_collection(connection: Connection, owner_id: int, collection_id: int, to: int) -> None:
    query = (
        select(collections.c.id)
        .where(collections.c.owner_id == owner_id)
        .order_by(collections.c.position, collections.c.id)
    )
    ids = [row_id for (row_id,) in connection.execute(query)]
    _renumber(connection, collections, _moved(ids, collection_id, to))


def delete_collection(connection: Connection, owner_id: int, collection_id: int) -> None:
    connection.execute(delete(collections).where(collections.c.id == collection_id))
    query = (
        select(collections.c.id)
        .where(collections.c.owner_id == owner_id)
        .order_by(collections.c.position, collections.c.id)
    )
    _renumber(connection, collections, [row_id for (row_id,) in connection.execute(query)])


# --- items ------------------------------------------------------------------------------------


def insert_items(
    connection: Connection,
    collection_id: int,
    entries: Sequence[tuple[int, str, str | None]],
    now: datetime,
) -> list[int]:
    """Add ``(paper_id, public_id, note)`` entries after the last item in one statement,
    skipping papers already there; returns the paper ids added, in order. A paper added by a
    concurrent request between the check and the insert is skipped by the constraint."""
    present = paper_ids_in(connection, collection_id)
    fresh: list[tuple[int, str, str | None]] = []
    for entry in entries:
        if entry[0] not in present:
            present.add(entry[0])
            fresh.append(entry)
    if not fresh:
        return []
    position = item_count(connection, collection_id)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(collection_items).on_conflict_do_nothing(
        index_elements=["collection_id", "paper_id"]
    )
    rows = [
        {
            "public_id": public_id,
            "collection_id": collection_id,
            "paper_id": paper_id,
            "position": position + offset,
            "note": note,
            "created_at": now,
            "updated_at": now,
        }
        for offset, (paper_id, public_id, note) in enumerate(fresh)
    ]
    connection.execute(statement, rows)
    return [paper_id for paper_id, _, _ in fresh]


def item_count(connection: Connection, collection_id: int) -> int:
    query = select(func.count()).where(collection_items.c.collection_id == collection_id)
    return connection.execute(query).scalar_one()


def paper_ids_in(connection: Connection, collection_id: int) -> set[int]:
    query = select(collection_items.c.paper_id).where(
        collection_items.c.collection_id == collection_id
    )
    return {paper_id for (paper_id,) in connection.execute(query)}


def item_id(connection: Connection, collection_id: int, public_id: str) -> int | None:
    query = select(collection_items.c.id).where(
        collection_items.c.collection_id == collection_id,
        collection_items.c.public_id == public_id,
    )
    return connection.execute(query).scalar()


def set_item_note(connection: Connection, row_id: int, note: str | None, now: datetime) -> None:
    statement = update(collection_items).where(collection_items.c.id == row_id)
    connection.execute(statement.values(note=note, updated_at=now))


def _item_ids(connection: Connection, collection_id: int) -> list[int]:
    query = (
        select(collection_items.c.id)
        .where(collection_items.c.collection_id == collection_id)
        .order_by(collection_items.c.position, collection_items.c.id)
    )
    return [row_id for (row_id,) in connection.execute(query)]


def move_item(connection: Connection, collection_id: int, row_id: int, to: int) -> None:
    ordered = _moved(_item_ids(connection, collection_id), row_id, to)
    _renumber(connection, collection_items, ordered)


def delete_item(connection: Connection, collection_id: int, row_id: int) -> None:
    connection.execute(delete(collection_items).where(collection_items.c.id == row_id))
    _renumber(connection, collection_items, _item_ids(connection, collection_id))


def _moved(ids: list[int], moving: int, to: int) -> list[int]:
    rest = [i for i in ids if i != moving]
    rest.insert(max(0, min(to, len(rest))), moving)
    return rest


def _renumber(connection: Connection, table: Any, ordered_ids: list[int]) -> None:
    """Positions 0..n-1 in the given order, writing only the rows whose position changes."""
    if not ordered_ids:
        return
    current = dict(
        connection.execute(
            select(table.c.id, table.c.position).where(table.c.id.in_(ordered_ids))
        ).all()
    )
    for position, row_id in enumerate(ordered_ids):
        if current.get(row_id) != position:
            connection.execute(update(table).where(table.c.id == row_id).values(position=position))


# --- the user's library, for recommendations -------------------------------------------------


def saved_papers(connection: Connection, owner_id: int, limit: int) -> list[tuple[int, str]]:
    """(paper id, collection title) of the owner's saved papers, most recently saved first."""
    query = (
        select(collection_items.c.paper_id, collections.c.title)
        .join(collections, collections.c.id == collection_items.c.collection_id)
        .where(collections.c.owner_id == owner_id)
        .order_by(collection_items.c.created_at.desc(), collection_items.c.id.desc())
        .limit(limit)
    )
    return [(paper_id, title) for paper_id, title in connection.execute(query)]


def saved_paper_ids(connection: Connection, owner_id: int) -> set[int]:
    """Every paper in any of the owner's collections."""
    query = (
        select(collection_items.c.paper_id)
        .join(collections, collections.c.id == collection_items.c.collection_id)
        .where(collections.c.owner_id == owner_id)
    )
    return {paper_id for (paper_id,) in connection.execute(query)}
