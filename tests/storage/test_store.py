"""The paper store on a real SQLite file and a real PostgreSQL: schema, migrations, types, SQL."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.storage import featured as featured_store
from paperboard.storage import migrate, state
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.schema import metadata, papers
from paperboard.storage.search import Filters, postgres_keyword_ids
from paperboard.storage.types import JSONList, UTCDateTime
from tests.conftest import downgrade

NOW = datetime(2025, 6, 1, 8, 30, 15, 250000, tzinfo=UTC)
PLUS_0530 = timezone(timedelta(hours=5, minutes=30))
MINUS_0800 = timezone(timedelta(hours=-8))
PLUS_0900 = timezone(timedelta(hours=9))


def make_record(arxiv_id: str, **changes: Any) -> PaperRecord:
    record = PaperRecord(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        abstract=f"Abstract of {arxiv_id}.",
        authors=["A. Author", "B. Author"],
        categories=["cs.LG", "cs.CL"],
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        updated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return replace(record, **changes)


def numbered_ids(count: int, start: int = 0) -> list[str]:
    return [f"2401.{n:05d}" for n in range(start + 1, start + count + 1)]


def insert(db: Database, records: list[PaperRecord], now: datetime = NOW) -> None:
    with db.write() as connection:
        paper_store.insert_records(connection, records, now)


def stored(db: Database, arxiv_id: str) -> PaperRecord:
    with db.read() as connection:
        record = paper_store.get_record(connection, arxiv_id)
    assert record is not None, arxiv_id
    return record


def assert_utc(record: PaperRecord) -> None:
    for name in ("published_at", "updated_at", "ingested_at"):
        value = getattr(record, name)
        if value is not None:
            assert value.utcoffset() == timedelta(0), name


# --- migrations --------------------------------------------------------------------------------


def test_migrations_create_tables(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"papers", "featured", "ingest_state", "alembic_version"} <= tables
    assert migrate.current_revision(db.engine) == migrate.head_revision()
    columns = {c["name"] for c in inspect(db.engine).get_columns("papers")}
    assert {c.name for c in papers.columns} <= columns
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("papers")}
    assert {"ix_papers_published_at", "ix_papers_modified_at"} <= indexes


def test_fresh_database_is_empty_until_upgraded(sqlite_url: str) -> None:
    bare = Database(sqlite_url, upgrade=False)
    try:
        assert "papers" not in inspect(bare.engine).get_table_names()
        assert migrate.current_revision(bare.engine) is None
        bare.upgrade()
        assert "papers" in inspect(bare.engine).get_table_names()
        assert migrate.current_revision(bare.engine) == migrate.head_revision()
    finally:
        bare.dispose()


def test_migration_lock_is_exclusive(database_url: str) -> None:
    """Processes starting together on a fresh database migrate one at a time (a file lock on
    SQLite, an advisory lock on PostgreSQL), instead of running one migration twice."""
    import threading

    engine = Database(database_url).engine
    inside: list[int] = []
    overlaps: list[bool] = []

    def hold(n: int) -> None:
        with migrate.migration_lock(engine):
            inside.append(n)
            overlaps.append(len(inside) > 1)
            threading.Event().wait(0.2)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engine.dispose()
    assert overlaps == [False, False, False]


def test_schema_matches_migrations(db: Database) -> None:
    """storage/schema.py and migrations/versions must describe the same tables."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)

    def is_postgres_fts(diff: Any) -> bool:
        # The PostgreSQL keyword index (a generated column) and vector index (pgvector HNSW)
        # exist only in the migrations.
        if isinstance(diff, list):
            return all(is_postgres_fts(d) for d in diff)
        postgres_only = ("search_vector", "ix_embeddings_vector_hnsw")
        return db.dialect == "postgresql" and any(name in repr(diff) for name in postgres_only)

    drift = [d for d in differences if not is_postgres_fts(d)]
    assert drift == []


def test_local_comments_are_counted_for_existing_papers(database_url: str) -> None:
    """Migration 0009 fills papers.local_comments from the visible comments stored before it
    (and its downgrade takes the column away again)."""
    db = Database(database_url)
    try:
        # Stored at the head (the store writes today's columns), then taken back to 0008.
        insert(db, [make_record("2401.00001"), make_record("2401.00002")])
        downgrade(db, "0008_embedding_claims")
        assert "local_comments" not in {c["name"] for c in inspect(db.engine).get_columns("papers")}
        with db.write() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, username_key, email, password_hash, role, "
                    "votes_public, created_at) VALUES ('ada', 'ada', 'a@example.org', 'x', "
                    "'user', false, :now)"
                ),
                {"now": NOW},
            )
            for hidden, deleted in ((None, None), (None, None), (NOW, None), (None, NOW)):
                connection.execute(
                    text(
                        "INSERT INTO comments (paper_id, user_id, body, created_at, modified_at, "
                        "hidden_at, deleted_at) SELECT papers.id, users.id, 'hi', :now, :now, "
                        ":hidden, :deleted FROM papers, users WHERE arxiv_id = '2401.00001'"
                    ),
                    {"now": NOW, "hidden": hidden, "deleted": deleted},
                )
        db.upgrade()
        with db.read() as connection:
            query = select(papers.c.arxiv_id, papers.c.local_comments)
            counts = {arxiv_id: count for arxiv_id, count in connection.execute(query)}
        assert counts == {"2401.00001": 2, "2401.00002": 0}
    finally:
        db.dispose()


def test_upgrade_is_idempotent(database_url: str) -> None:
    first = Database(database_url)
    insert(first, [make_record("2401.00001")])
    first.upgrade()
    first.dispose()
    second = Database(database_url)
    try:
        assert migrate.current_revision(second.engine) == migrate.head_revision()
        with second.read() as connection:
            assert paper_store.count(connection) == 1
        migrate.upgrade(second.engine, "head")
        assert stored(second, "2401.00001").title == "Paper 2401.00001"
    finally:
        second.dispose()


# --- column types ------------------------------------------------------------------------------


@pytest.fixture
def types_table(db: Database) -> Table:
    table = Table(
        "type_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("moment", UTCDateTime),
        Column("entries", JSONList),
    )
    with db.write() as connection:
        table.create(connection)
    return table


MOMENTS = [
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 1, 0, tzinfo=PLUS_0530),  # the day before in UTC
    datetime(2023, 12, 31, 20, 0, 0, 999999, tzinfo=MINUS_0800),  # the day after in UTC
    datetime(1991, 8, 14, 0, 0, tzinfo=UTC),
    datetime(2100, 2, 28, 23, 59, 59, tzinfo=UTC),
    None,
]


def test_utc_datetime_round_trip(db: Database, types_table: Table) -> None:
    # One table of values per database (a fresh PostgreSQL database per test costs ~0.5 s).
    with db.write() as connection:
        connection.execute(
            types_table.insert(), [{"id": n, "moment": m} for n, m in enumerate(MOMENTS)]
        )
    with db.read() as connection:
        rows = connection.execute(select(types_table.c.id, types_table.c.moment)).all()
    back = dict(rows)
    for number, moment in enumerate(MOMENTS):
        assert back[number] == moment, moment
        if moment is not None:
            value = back[number]
            assert value.utcoffset() == timedelta(0), moment
            assert value.replace(tzinfo=None) == moment.astimezone(UTC).replace(tzinfo=None)


def test_utc_datetime_rejects_naive(db: Database, types_table: Table) -> None:
    with pytest.raises((ValueError, StatementError), match="naive"), db.write() as connection:
        connection.execute(types_table.insert().values(id=1, moment=datetime(2024, 1, 1)))
    with db.read() as connection:
        assert connection.execute(select(types_table.c.id)).all() == []


LISTS: list[tuple[list[Any] | None, list[Any]]] = [
    ([], []),
    (None, []),
    (["a"], ["a"]),
    (["Łukasz Kaiser", "山田 太郎", 'Zoë "Q" O\'Neil', "emoji 🙂", "back\\slash"],) * 2,
    ([1, 2.5, True, None, {"a": [1, {"b": "c"}]}],) * 2,
    (["x" * 100_000],) * 2,
]


def test_json_list_round_trip(db: Database, types_table: Table) -> None:
    with db.write() as connection:
        connection.execute(
            types_table.insert(),
            [{"id": n, "entries": given} for n, (given, _) in enumerate(LISTS)],
        )
    with db.read() as connection:
        back = dict(connection.execute(select(types_table.c.id, types_table.c.entries)).all())
    for number, (given, expected) in enumerate(LISTS):
        assert back[number] == expected, given


# --- writing and reading papers ----------------------------------------------------------------


def full_record(arxiv_id: str = "2401.01234") -> PaperRecord:
    return PaperRecord(
        arxiv_id=arxiv_id,
        title="Łearning with Ümlauts — a “study” of 𝔽-spaces",
        abstract="Line one.\nLine two with $\\alpha$ and 'quotes'.",
        authors=["Zoë O'Neil", "山田 太郎", "C. Balázs", 'A. "Quote" Person'],
        categories=["cs.LG", "cs.CL", "stat.ML"],
        # Non-UTC offsets and microseconds: the store keeps the instant and hands back UTC.
        published_at=datetime(2024, 1, 1, 1, 2, 3, 456789, tzinfo=PLUS_0530),
        updated_at=datetime(2024, 2, 3, 4, 5, 6, 7, tzinfo=MINUS_0800),
        version=3,
        announced_on=date(2024, 1, 2),
        comments="12 pages; code at https://github.com/a/b",
        journal_ref="NeurIPS 2024",
        doi="10.1000/xyz",
        license="http://creativecommons.org/licenses/by/4.0/",
        report_no="TR-1",
        submitter="Zoë O'Neil",
        code_urls=["https://github.com/a/b", "https://huggingface.co/a/ü"],
        project_page="https://a.github.io/b",
        ai_summary="A summary — with a dash.",
        ai_keywords=["learning", "ümlauts", "日本語"],
        github_stars=42,
        ingested_at=datetime(2024, 3, 1, 12, 0, 0, 1, tzinfo=PLUS_0900),
    )


ROUND_TRIP_RECORDS = [
    full_record(),
    # Everything optional left out.
    PaperRecord(arxiv_id="hep-th/9901001", title="T", abstract="", authors=[], categories=[]),
    # Whole seconds (no fractional part written) and an old-style id with a subject class.
    replace(
        full_record("math.GT/0309136"),
        published_at=datetime(2003, 9, 9, 0, 0, 0, tzinfo=UTC),
        updated_at=datetime(2003, 9, 10, 12, 0, 0, tzinfo=UTC),
        ingested_at=datetime(2025, 1, 1, tzinfo=UTC),
        github_stars=0,
        comments="",
    ),
]


def test_insert_then_get_round_trip(db: Database) -> None:
    insert(db, ROUND_TRIP_RECORDS)
    for record in ROUND_TRIP_RECORDS:
        back = stored(db, record.arxiv_id)
        expected = replace(record, ingested_at=record.ingested_at or NOW)
        for f in fields(PaperRecord):
            assert getattr(back, f.name) == getattr(expected, f.name), (record.arxiv_id, f.name)
        assert back == expected
        assert_utc(back)


def test_update_then_get_round_trip(db: Database) -> None:
    placeholders = [
        make_record(r.arxiv_id, version=1, ingested_at=r.ingested_at) for r in ROUND_TRIP_RECORDS
    ]
    insert(db, placeholders)
    later = NOW + timedelta(hours=1)
    with db.write() as connection:
        paper_store.update_records(connection, ROUND_TRIP_RECORDS, later)
    for record in ROUND_TRIP_RECORDS:
        back = stored(db, record.arxiv_id)
        assert back == replace(record, ingested_at=record.ingested_at or NOW)
        assert_utc(back)
    with db.read() as connection:
        modified = connection.execute(select(papers.c.modified_at)).scalars().all()
    assert modified == [later] * len(ROUND_TRIP_RECORDS)


def _raw_row(db: Database, arxiv_id: str) -> dict[str, Any]:
    """The row as the driver returns it: text for datetimes, dates and lists on SQLite."""
    with db.read() as connection:
        result = connection.exec_driver_sql("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        row = result.mappings().one()
    return {k: v for k, v in row.items() if k not in ("id", "arxiv_id")}


@pytest.mark.parametrize("record", ROUND_TRIP_RECORDS, ids=lambda r: r.arxiv_id)
def test_sqlite_fast_path_writes_what_sqlalchemy_writes(
    sqlite_url: str, record: PaperRecord
) -> None:
    """insert_records binds plain values through the driver on SQLite: the stored text must be
    exactly what SQLAlchemy's column types write, or SQL comparisons and ordering break."""
    db = Database(sqlite_url)
    try:
        record = replace(record, ingested_at=record.ingested_at or NOW)
        fast = replace(record, arxiv_id="2501.00001")
        via_insert = replace(record, arxiv_id="2501.00002")
        via_update = replace(record, arxiv_id="2501.00003")
        insert(db, [fast])
        with db.write() as connection:
            # SQLAlchemy's own insert, with the same row values.
            row = paper_store.record_to_row(via_insert, NOW, fast.content_hash())
            connection.execute(papers.insert(), [row])
            # And update_records over a placeholder row.
            placeholder = make_record(via_update.arxiv_id, ingested_at=record.ingested_at)
            connection.execute(papers.insert(), [paper_store.record_to_row(placeholder, NOW)])
            paper_store.update_records(connection, [via_update], NOW)
        raw_fast = _raw_row(db, fast.arxiv_id)
        assert raw_fast == _raw_row(db, via_insert.arxiv_id)
        assert raw_fast == _raw_row(db, via_update.arxiv_id)
        for arxiv_id in (fast.arxiv_id, via_insert.arxiv_id, via_update.arxiv_id):
            assert stored(db, arxiv_id) == replace(record, arxiv_id=arxiv_id)
        # The lists are stored as JSON text (the keyword index reads them as such).
        assert orjson.loads(raw_fast["authors"]) == record.authors
    finally:
        db.dispose()


def test_fast_path_datetimes_compare_with_bound_values(db: Database) -> None:
    """modified_since and newest compare and order stored datetimes with bound parameters."""
    written_at = datetime(2025, 1, 1, 9, 0, 0, 500000, tzinfo=PLUS_0900)
    insert(db, [make_record("2401.00001")], now=written_at)
    same_instant = written_at.astimezone(MINUS_0800)
    with db.read() as connection:
        found = paper_store.modified_since(connection, same_instant, None, 10)
        assert [r["title"] for r in found] == ["Paper 2401.00001"]
        assert found[0]["modified_at"] == written_at
        later = same_instant + timedelta(microseconds=1)
        assert paper_store.modified_since(connection, later, None, 10) == []
        earlier = written_at - timedelta(microseconds=1)
        assert len(paper_store.modified_since(connection, earlier, None, 10)) == 1


def test_arxiv_id_is_unique(db: Database) -> None:
    insert(db, [make_record("2401.00001")])
    with pytest.raises(IntegrityError):
        insert(db, [make_record("2401.00001", title="Again")])
    assert stored(db, "2401.00001").title == "Paper 2401.00001"


def test_empty_store(db: Database) -> None:
    with db.write() as connection:
        paper_store.insert_records(connection, [], NOW)
        paper_store.update_records(connection, [], NOW)
    with db.read() as connection:
        assert paper_store.count(connection) == 0
        assert paper_store.get_record(connection, "2401.99999") is None
        assert paper_store.newest(connection) == []
        assert list(paper_store.iter_all(connection, batch_size=3)) == []
        assert paper_store.modified_since(connection, None, None, 10) == []
        assert paper_store.hashes_for(connection, []) == {}
        assert paper_store.ids_for(connection, []) == {}
        assert paper_store.records_for(connection, []) == {}
        assert paper_store.records_for(connection, ["2401.99999"]) == {}


def test_stored_content_hash(db: Database) -> None:
    record = make_record("2401.00001")
    with db.write() as connection:
        paper_store.insert_records(connection, [record], NOW)
        paper_store.insert_records(
            connection, [make_record("2401.00002")], NOW, {"2401.00002": "f" * 32}
        )
    with db.read() as connection:
        hashes = paper_store.hashes_for(connection, ["2401.00001", "2401.00002"])
    assert hashes == {"2401.00001": record.content_hash(), "2401.00002": "f" * 32}


# --- listings ----------------------------------------------------------------------------------


def test_newest_ordering(db: Database) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    records = [
        make_record("2405.00001", published_at=day),
        make_record("2405.00002", published_at=None),
        make_record("2405.00003", published_at=day + timedelta(days=2)),
        make_record("2405.00004", published_at=day + timedelta(microseconds=1)),
        make_record("2405.00005", published_at=day),  # same time as 1: newer row first
        make_record("2405.00006", published_at=None),
        # Same instant as 4 + 1 day, written with an offset: ordering is by instant.
        make_record("2405.00007", published_at=(day + timedelta(days=1)).astimezone(MINUS_0800)),
    ]
    insert(db, records)
    expected = [
        "2405.00003",
        "2405.00007",
        "2405.00004",
        "2405.00005",
        "2405.00001",
        "2405.00006",  # no date: last, newest row first
        "2405.00002",
    ]
    with db.read() as connection:
        assert [r.arxiv_id for r in paper_store.newest(connection, limit=100)] == expected
        assert [r.arxiv_id for r in paper_store.newest(connection, limit=3)] == expected[:3]
        page = paper_store.newest(connection, limit=3, offset=3)
        assert [r.arxiv_id for r in page] == expected[3:6]
        assert paper_store.newest(connection, limit=3, offset=7) == []


def test_iter_all_pages_across_batches(db: Database) -> None:
    ids = numbered_ids(25)
    # Inserted in three transactions so that ids are not one contiguous statement.
    insert(db, [make_record(i) for i in ids[:10]])
    insert(db, [make_record(i) for i in ids[10:11]])
    insert(db, [make_record(i) for i in ids[11:]])
    with db.read() as connection:
        for batch_size in (1, 7, 24, 25, 26, 2000):
            seen = [r.arxiv_id for r in paper_store.iter_all(connection, batch_size=batch_size)]
            assert seen == ids, batch_size


def test_lookups_with_more_ids_than_one_in_list(db: Database) -> None:
    count = 2 * paper_store.MAX_IN_LIST + 500
    ids = numbered_ids(count)
    records = [make_record(i, github_stars=n) for n, i in enumerate(ids)]
    insert(db, records)
    unknown = numbered_ids(700, start=count)
    # Stored and unknown ids interleaved, so that every chunk has some of each.
    asked = [x for pair in zip(ids, unknown + [None] * count, strict=False) for x in pair if x]
    with db.read() as connection:
        hashes = paper_store.hashes_for(connection, asked)
        numbers = paper_store.ids_for(connection, asked)
        found = paper_store.records_for(connection, asked)
    assert hashes == {r.arxiv_id: r.content_hash() for r in records}
    assert set(numbers) == set(ids)
    assert len(set(numbers.values())) == count
    assert set(found) == set(ids)
    assert found[ids[-1]] == replace(records[-1], ingested_at=NOW)
    assert found[ids[1500]].github_stars == 1500


def test_modified_since_order_and_cursor(db: Database) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    t1, t2 = t0 + timedelta(seconds=1), t0 + timedelta(seconds=2)
    ids = numbered_ids(9)
    insert(db, [make_record(i, authors=["Ünicode Name"]) for i in ids[3:6]], now=t1)
    insert(db, [make_record(i) for i in ids[:3]], now=t0)
    insert(db, [make_record(i) for i in ids[6:]], now=t2)
    with db.write() as connection:
        # Rewriting a paper moves it to the end.
        paper_store.update_records(connection, [make_record(ids[3], title="Moved")], t2)
    with db.read() as connection:
        everything = paper_store.modified_since(connection, None, None, 100)
        keys = [(r["modified_at"], r["id"]) for r in everything]
        assert keys == sorted(keys)
        assert [r["modified_at"] for r in everything] == [t0] * 3 + [t1] * 2 + [t2] * 4
        assert [r["title"] for r in everything] == [
            f"Paper {ids[0]}",
            f"Paper {ids[1]}",
            f"Paper {ids[2]}",
            f"Paper {ids[4]}",
            f"Paper {ids[5]}",
            "Moved",  # the oldest row id among those modified at t2
            f"Paper {ids[6]}",
            f"Paper {ids[7]}",
            f"Paper {ids[8]}",
        ]
        # The JSON text of the authors, as stored.
        assert orjson.loads(everything[3]["authors_text"]) == ["Ünicode Name"]
        assert set(everything[0]) == {
            "id",
            "title",
            "abstract",
            "authors_text",
            "categories",
            "modified_at",
        }

        assert len(paper_store.modified_since(connection, t1, None, 100)) == 6
        assert len(paper_store.modified_since(connection, t2, None, 100)) == 4
        assert paper_store.modified_since(connection, t2 + timedelta(seconds=1), None, 100) == []

        # Paging with the (modified_at, id) cursor visits every row once, also within ties.
        for limit in (1, 2, 3, 4, 100):
            paged: list[tuple[datetime, int]] = []
            after = None
            while True:
                page = paper_store.modified_since(connection, None, after, limit)
                if not page:
                    break
                assert len(page) <= limit
                paged += [(r["modified_at"], r["id"]) for r in page]
                after = paged[-1]
            assert paged == keys, limit
        # since and after together.
        first_t1 = next(k for k in keys if k[0] == t1)
        rest = paper_store.modified_since(connection, t1, first_t1, 100)
        assert [(r["modified_at"], r["id"]) for r in rest] == keys[keys.index(first_t1) + 1 :]


# --- ingest state ------------------------------------------------------------------------------


def test_state_get_put(db: Database) -> None:
    with db.read() as connection:
        assert state.get(connection, "oai:cs") is None
    with db.write() as connection:
        state.put(connection, "oai:cs", "token-1")
        state.put(connection, "hf:last-day", "2025-07-22")
    with db.write() as connection:
        state.put(connection, "oai:cs", "tökén|2" * 1000)
    with db.read() as connection:
        assert state.get(connection, "oai:cs") == "tökén|2" * 1000
        assert state.get(connection, "hf:last-day") == "2025-07-22"
        assert state.get(connection, "OAI:CS") is None


def test_state_written_with_data_rolls_back_with_it(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as connection:
        paper_store.insert_records(connection, [make_record("2401.00001")], NOW)
        state.put(connection, "oai:cs", "token-2")
        raise RuntimeError("interrupted")
    with db.read() as connection:
        assert state.get(connection, "oai:cs") is None
        assert paper_store.count(connection) == 0


# --- featured ----------------------------------------------------------------------------------


def _paper_ids(db: Database, ids: list[str]) -> dict[str, int]:
    with db.read() as connection:
        return paper_store.ids_for(connection, ids)


def test_featured_store(db: Database) -> None:
    ids = numbered_ids(3)
    insert(db, [make_record(i) for i in ids])
    numbers = _paper_ids(db, ids)
    day1, day2 = date(2025, 7, 21), date(2025, 7, 22)
    records = [
        FeaturedRecord(
            ids[0],
            day1,
            "veggiebird",
            "Xingxuan Li",
            datetime(2025, 7, 21, 1, 41, 1, 897000, tzinfo=UTC),
            63,
            1,
            "huggingface",
        ),
        FeaturedRecord(ids[1], day1, None, None, None, 0, 0, "curator"),
        FeaturedRecord(ids[0], day2, "ünïcode", "Zoë", NOW.astimezone(PLUS_0530), 5, 2, "curator"),
    ]
    with db.read() as connection:
        assert featured_store.count(connection) == 0
        assert featured_store.days_count(connection) == 0
        assert featured_store.existing(connection, [(day1, numbers[ids[0]])]) == {}
    with db.write() as connection:
        featured_store.insert(
            connection,
            [featured_store.row_for(r, numbers[r.arxiv_id], NOW) for r in records],
        )
        featured_store.insert(connection, [])
    with db.read() as connection:
        assert featured_store.count(connection) == 3
        assert featured_store.days_count(connection) == 2
        keys = [(day1, numbers[ids[0]]), (day1, numbers[ids[1]]), (day2, numbers[ids[0]])]
        missing = [(day2, numbers[ids[1]]), (day1, numbers[ids[2]])]
        found = featured_store.existing(connection, keys + missing)
        assert set(found) == set(keys)
        assert [found[k][1:] for k in keys] == [(63, 1), (0, 0), (5, 2)]
        back = list(featured_store.iter_all(connection))
    # featured_at defaults to the time of writing.
    assert back == [records[0], replace(records[1], featured_at=NOW), records[2]]
    for record in back:
        assert record.featured_at is not None
        assert record.featured_at.utcoffset() == timedelta(0)

    with db.write() as connection:
        row_id = found[keys[1]][0]
        featured_store.update_counts(
            connection, [{"key": row_id, "imported_upvotes": 10, "imported_comments": 3}]
        )
        featured_store.update_counts(connection, [])
    with db.read() as connection:
        after = featured_store.existing(connection, keys)
        assert after[keys[1]] == (row_id, 10, 3)
        assert after[keys[0]] == found[keys[0]]
        assert featured_store.count(connection) == 3


def test_featured_constraints(db: Database) -> None:
    insert(db, [make_record("2401.00001")])
    paper_id = _paper_ids(db, ["2401.00001"])["2401.00001"]
    record = FeaturedRecord("2401.00001", date(2025, 1, 1))
    with db.write() as connection:
        featured_store.insert(connection, [featured_store.row_for(record, paper_id, NOW)])
    # One entry per paper and day...
    with pytest.raises(IntegrityError), db.write() as connection:
        featured_store.insert(connection, [featured_store.row_for(record, paper_id, NOW)])
    # ...and only for a stored paper.
    with pytest.raises(IntegrityError), db.write() as connection:
        other_day = replace(record, day=date(2025, 1, 2))
        featured_store.insert(connection, [featured_store.row_for(other_day, paper_id + 99, NOW)])
    with db.read() as connection:
        assert featured_store.count(connection) == 1


def test_featured_existing_with_many_keys(db: Database) -> None:
    ids = numbered_ids(400)
    insert(db, [make_record(i) for i in ids])
    numbers = _paper_ids(db, ids)
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(3)]
    rows = [
        featured_store.row_for(FeaturedRecord(i, d, upvotes=n), numbers[i], NOW)
        for n, i in enumerate(ids)
        for d in days
    ]
    with db.write() as connection:
        featured_store.insert(connection, rows)
    keys = [(d, numbers[i]) for i in ids for d in days]
    with db.read() as connection:
        found = featured_store.existing(connection, keys)
        assert featured_store.count(connection) == 1200
        assert featured_store.days_count(connection) == 3
    assert set(found) == set(keys)
    assert found[(days[2], numbers[ids[399]])][1] == 399


# --- PostgreSQL keyword index ------------------------------------------------------------------


def test_postgres_search_vector_is_filled(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        insert(
            db,
            [
                make_record(
                    "2401.00001",
                    title="Diffusion transformers for protein folding",
                    abstract="We fold proteins with denoising models.",
                    authors=["Łukasz Kaiser", "Ada Lovelace"],
                ),
                make_record(
                    "2401.00002",
                    title="Graph neural networks",
                    abstract="Message passing on molecules.",
                ),
            ],
        )

        def matching(query: str) -> list[str]:
            sql = text(
                "SELECT arxiv_id FROM papers "
                "WHERE search_vector @@ websearch_to_tsquery('english', :q) ORDER BY arxiv_id"
            )
            with db.read() as connection:
                return list(connection.execute(sql, {"q": query}).scalars())

        assert matching("protein") == ["2401.00001"]
        assert matching("folds") == ["2401.00001"]  # stemmed
        assert matching("denoising") == ["2401.00001"]  # abstract
        assert matching("kaiser") == ["2401.00001"]  # authors
        assert matching("molecules") == ["2401.00002"]
        assert matching("protein -diffusion") == []
        assert matching("quantum") == []
        with db.read() as connection:
            weights = connection.execute(
                text("SELECT search_vector::text FROM papers WHERE arxiv_id = '2401.00001'")
            ).scalar_one()
        assert "'protein':4A" in weights

        # The generated column follows updates.
        with db.write() as connection:
            paper_store.update_records(
                connection, [make_record("2401.00002", title="Quantum annealing")], NOW
            )
        assert matching("quantum") == ["2401.00002"]
        assert matching("graph") == []
    finally:
        db.dispose()


@pytest.mark.parametrize("name", ["lovelace", "jones"])
def test_postgres_search_finds_authors_whose_names_stem(postgres_url: str, name: str) -> None:
    db = Database(postgres_url)
    try:
        insert(db, [make_record("2401.00001", authors=["Ada Lovelace", "Mary Jones"])])
        with db.read() as connection:
            found = postgres_keyword_ids(connection, [name], [], Filters(), 10)
            stored = paper_store.ids_for(connection, ["2401.00001"])["2401.00001"]
        assert [paper_id for paper_id, _rank in found] == [stored]
    finally:
        db.dispose()


def test_shared_reads_use_one_connection_in_this_thread_only(db: Database) -> None:
    import threading

    with db.read() as first, db.read() as second:
        assert first is not second  # outside a block, each read has its own connection
    with db.shared_reads():
        with db.read() as first:
            pass
        with db.read() as second, db.shared_reads(), db.read() as nested:
            assert second is first and nested is first
        elsewhere: list[object] = []

        def other_thread() -> None:
            with db.read() as connection:
                elsewhere.append(connection)
                assert connection.execute(select(papers.c.id).limit(1)).all() == []

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert elsewhere and elsewhere[0] is not first
        assert first.execute(select(papers.c.id).limit(1)).all() == []
    assert first.closed  # returned to the pool when the block ends
    with db.read() as after:
        assert after is not first and not after.closed


def test_counted_paper_has_counters_and_no_board_entry(db: Database) -> None:
    from paperboard.storage import listing

    insert(db, [make_record("2401.00001")])
    with db.read() as connection:
        found = listing.counted_paper(connection, "2401.00001")
        missing = listing.counted_paper(connection, "2401.99999")
    assert missing is None and found is not None
    assert found.paper.arxiv_id == "2401.00001" and found.paper_id > 0
    assert (found.upvotes, found.num_comments, found.featured_day) == (0, 0, None)
