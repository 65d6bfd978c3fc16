"""Papers: bulk upsert for ingest, look-ups and listings for the web and the CLI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, Text, bindparam, func, or_, select, type_coerce, update

from paperboard.domain.paper import PaperRecord
from paperboard.storage.schema import papers

# SQLite allows 32,766 bound parameters per statement; keep IN lists well below.
MAX_IN_LIST = 1000

_RECORD_COLUMNS = (
    "arxiv_id",
    "version",
    "title",
    "abstract",
    "authors",
    "published_at",
    "updated_at",
    "announced_on",
    "comments",
    "journal_ref",
    "doi",
    "license",
    "report_no",
    "submitter",
    "code_urls",
    "project_page",
    "ai_summary",
    "ai_keywords",
    "github_stars",
    "thumbnail_url",
)


def record_to_row(
    record: PaperRecord, now: datetime, content_hash: str | None = None
) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in _RECORD_COLUMNS}
    row["categories"] = " ".join(record.categories)
    row["primary_category"] = record.primary_category
    row["content_hash"] = content_hash or record.content_hash()
    row["created_at"] = record.ingested_at or now
    row["modified_at"] = now
    return row


def row_to_record(row: Row[Any] | dict[str, Any]) -> PaperRecord:
    data = row._mapping if isinstance(row, Row) else row
    values = {name: data[name] for name in _RECORD_COLUMNS}
    values["categories"] = data["categories"].split() if data["categories"] else []
    values["ingested_at"] = data["created_at"]
    return PaperRecord(**values)


def _chunks(items: Sequence[str], size: int = MAX_IN_LIST) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def hashes_for(connection: Connection, arxiv_ids: Sequence[str]) -> dict[str, str]:
    """arxiv_id -> content hash, for those of ``arxiv_ids`` already stored."""
    found: dict[str, str] = {}
    for chunk in _chunks(arxiv_ids):
        query = select(papers.c.arxiv_id, papers.c.content_hash).where(papers.c.arxiv_id.in_(chunk))
        found.update((key, value) for key, value in connection.execute(query))
    return found


def records_for(connection: Connection, arxiv_ids: Sequence[str]) -> dict[str, PaperRecord]:
    found: dict[str, PaperRecord] = {}
    for chunk in _chunks(arxiv_ids):
        for row in connection.execute(select(papers).where(papers.c.arxiv_id.in_(chunk))):
            found[row.arxiv_id] = row_to_record(row)
    return found


def ids_for(connection: Connection, arxiv_ids: Sequence[str]) -> dict[str, int]:
    """arxiv_id -> internal integer id, for those stored."""
    found: dict[str, int] = {}
    for chunk in _chunks(arxiv_ids):
        query = select(papers.c.arxiv_id, papers.c.id).where(papers.c.arxiv_id.in_(chunk))
        found.update((key, value) for key, value in connection.execute(query))
    return found


def insert_records(
    connection: Connection,
    records: Iterable[PaperRecord],
    now: datetime,
    hashes: dict[str, str] | None = None,
) -> None:
    hashes = hashes or {}
    rows = [record_to_row(record, now, hashes.get(record.arxiv_id)) for record in records]
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        _sqlite_bulk_insert(connection, rows)
    else:
        connection.execute(papers.insert(), rows)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's column types would bind on SQLite (see types.py), done directly."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    return value


def _sqlite_bulk_insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    # Snapshot ingest writes millions of rows; SQLAlchemy's per-parameter processing cost as
    # much as SQLite itself, so bulk inserts on SQLite bind plain values through the driver.
    # tests/storage/test_store.py checks that rows written this way read back identically.
    names = list(rows[0])
    sql = f"INSERT INTO papers ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    values = [tuple(_sqlite_value(row[name]) for name in names) for row in rows]
    connection.exec_driver_sql(sql, values)


def update_records(connection: Connection, records: Iterable[PaperRecord], now: datetime) -> None:
    rows = []
    for record in records:
        row = record_to_row(record, now)
        del row["created_at"]  # first ingest time never changes
        row["key"] = row.pop("arxiv_id")
        rows.append(row)
    if rows:
        values = {name: bindparam(name) for name in rows[0] if name != "key"}
        statement = update(papers).where(papers.c.arxiv_id == bindparam("key")).values(values)
        connection.execute(statement, rows)


def get_record(connection: Connection, arxiv_id: str) -> PaperRecord | None:
    row = connection.execute(select(papers).where(papers.c.arxiv_id == arxiv_id)).first()
    return row_to_record(row) if row else None


def count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(papers)).scalar_one()


def newest(connection: Connection, *, limit: int = 30, offset: int = 0) -> list[PaperRecord]:
    """Most recently published first (then most recently ingested)."""
    query = (
        select(papers)
        .order_by(papers.c.published_at.desc().nulls_last(), papers.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [row_to_record(row) for row in connection.execute(query)]


def iter_all(connection: Connection, batch_size: int = 2000) -> Iterator[PaperRecord]:
    """Every paper in id order, fetched in key-set pages so memory stays flat."""
    last_id = 0
    while True:
        query = select(papers).where(papers.c.id > last_id).order_by(papers.c.id).limit(batch_size)
        rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield row_to_record(row)
        last_id = rows[-1].id


def modified_since(
    connection: Connection,
    since: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Papers modified at or after ``since``, in (modified_at, id) order, after the key ``after``.

    The keyword index uses it to catch up with the database.
    """
    query = select(
        papers.c.id,
        papers.c.title,
        papers.c.abstract,
        # The index tokenises the JSON text as it is: decoding it here would only cost time.
        type_coerce(papers.c.authors, Text).label("authors_text"),
        papers.c.categories,
        papers.c.modified_at,
    )
    if since is not None:
        query = query.where(papers.c.modified_at >= since)
    if after is not None:
        # Written as a range on modified_at plus a filter, so that the index is used.
        modified, last_id = after
        query = query.where(
            papers.c.modified_at >= modified,
            or_(papers.c.modified_at > modified, papers.c.id > last_id),
        )
    query = query.order_by(papers.c.modified_at, papers.c.id).limit(limit)
    return [row._asdict() for row in connection.execute(query)]
