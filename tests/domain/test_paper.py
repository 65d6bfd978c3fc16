"""Paper records: cleaning titles and author lists, the content hash, pickling between processes."""

from __future__ import annotations

import copy
import pickle
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from paperboard.domain.paper import (
    FeaturedRecord,
    Malformed,
    PaperRecord,
    clean_abstract,
    clean_authors,
    clean_title,
    split_authors,
)


def full_record() -> PaperRecord:
    """A record with every field set to a non-default value."""
    return PaperRecord(
        arxiv_id="2401.01234",
        title="Łearning with Ümlauts: a «study»",
        abstract="We study things.\nOn two lines.",
        authors=["Zoë O'Neil", "山田 太郎", "C. Balázs"],
        categories=["cs.LG", "cs.CL", "stat.ML"],
        published_at=datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        updated_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
        version=3,
        announced_on=date(2024, 1, 3),
        comments="12 pages, 3 figures",
        journal_ref="NeurIPS 2024",
        doi="10.1000/xyz",
        license="http://creativecommons.org/licenses/by/4.0/",
        report_no="TR-1",
        submitter="Zoë O'Neil",
        code_urls=["https://github.com/a/b"],
        project_page="https://a.github.io/b",
        ai_summary="A summary.",
        ai_keywords=["learning", "umlauts"],
        github_stars=42,
        thumbnail_url="https://example.org/thumbnails/2401.01234.png",
        ingested_at=datetime(2024, 3, 1, tzinfo=UTC),
    )


# --- cleaning ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "Prompt diphoton production cross sections at Tevatron and\n  LHC energies",
            "Prompt diphoton production cross sections at Tevatron and LHC energies",
        ),
        ("  A\t\tB  ", "A B"),
        ("A\r\nB", "A B"),
        ("A\n\n\nB", "A B"),
        ("A  \n  B", "A B"),
        ("One line", "One line"),
        ("", ""),
        ("   ", ""),
        (r"$\alpha$-Stable  Laws", r"$\alpha$-Stable Laws"),
    ],
)
def test_clean_title(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


def test_clean_abstract_keeps_lines() -> None:
    assert clean_abstract("  First line\nsecond line.\n") == "First line\nsecond line."


@pytest.mark.parametrize(
    ("authors", "names"),
    [
        ("A. Smith", ["A. Smith"]),
        ("A. Smith and B. Jones", ["A. Smith", "B. Jones"]),
        ("A. Smith, B. Jones and C. Brown", ["A. Smith", "B. Jones", "C. Brown"]),
        ("A. Smith, B. Jones, and C. Brown", ["A. Smith", "B. Jones", "C. Brown"]),
        ("A and B and C", ["A", "B", "C"]),
        ("A. Smith; B. Jones", ["A. Smith", "B. Jones"]),
        # Affiliations in parentheses may contain commas and "and".
        ("A. Smith (MIT, Cambridge and Harvard), B. Jones (ETH)", ["A. Smith", "B. Jones"]),
        ("A. Smith ((1) MIT and (2) ETH), B. Jones", ["A. Smith", "B. Jones"]),
        (
            "A. Smith (1), B. Jones (1 and 2) ((1) MIT, (2) ETH)",
            ["A. Smith", "B. Jones"],
        ),
        # "and" inside a name is not a separator.
        ("Alexander Anderson, Sandra Andersen", ["Alexander Anderson", "Sandra Andersen"]),
        ("Brandon Land and Anders Sand", ["Brandon Land", "Anders Sand"]),
        # Wrapped lines and runs of spaces.
        ("A.\n  Smith,\n B.   Jones", ["A. Smith", "B. Jones"]),
        # TeX accents become Unicode.
        (
            r"C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
            ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"],
        ),
        (r"P. Erd\H{o}s and J. Ne\v{s}et\v{r}il", ["P. Erdős", "J. Nešetřil"]),
        ("ATLAS Collaboration", ["ATLAS Collaboration"]),
        ("A. Smith, , B. Jones", ["A. Smith", "B. Jones"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_authors(authors: str, names: list[str]) -> None:
    assert split_authors(authors) == names


@pytest.mark.parametrize(
    ("names", "clean"),
    [
        ([" A.  Smith ", "B.\tJones"], ["A. Smith", "B. Jones"]),
        (["", "  ", "A"], ["A"]),
        ([r"Erd\H{o}s", r"J{\o}rgensen"], ["Erdős", "Jørgensen"]),
        (["山田 太郎"], ["山田 太郎"]),
        ([], []),
    ],
)
def test_clean_authors(names: list[str], clean: list[str]) -> None:
    assert clean_authors(names) == clean


# --- derived fields ----------------------------------------------------------------------------


def test_derived_fields() -> None:
    record = full_record()
    assert record.primary_category == "cs.LG"
    assert record.abs_url == "https://arxiv.org/abs/2401.01234"
    assert record.pdf_url == "https://arxiv.org/pdf/2401.01234"
    assert replace(record, categories=[]).primary_category is None


# --- content hash ------------------------------------------------------------------------------


def test_content_hash_is_stable() -> None:
    record = full_record()
    assert record.content_hash() == record.content_hash()
    assert copy.deepcopy(record).content_hash() == record.content_hash()
    assert len(record.content_hash()) == 32  # fits papers.content_hash (String(32))
    int(record.content_hash(), 16)


def test_content_hash_is_pinned() -> None:
    # Stored hashes are compared with new ones on every re-ingest: if this value changes, every
    # paper of an existing database looks changed once. Change it only on purpose.
    record = PaperRecord(
        arxiv_id="0704.0001",
        title="T",
        abstract="A",
        authors=["X"],
        categories=["hep-ph"],
        published_at=datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC),
    )
    assert record.content_hash() == PINNED_HASH


PINNED_HASH = "fe26dde936eb2fb613cb2feb84930e58"

_CHANGES: dict[str, Any] = {
    "title": "Another title",
    "abstract": "Another abstract.",
    "authors": ["Zoë O'Neil", "C. Balázs", "山田 太郎"],  # order matters
    "categories": ["cs.CL", "cs.LG", "stat.ML"],  # the primary category changes
    "published_at": datetime(2024, 1, 2, 3, 4, 5, 123457, tzinfo=UTC),
    "updated_at": None,
    "version": 4,
    "announced_on": date(2024, 1, 4),
    "comments": None,
    "journal_ref": "ICML 2024",
    "doi": "10.1000/abc",
    "license": None,
    "report_no": "TR-2",
    "submitter": "Someone Else",
    "code_urls": ["https://github.com/a/b", "https://github.com/c/d"],
    "project_page": None,
    "ai_summary": "Another summary.",
    "ai_keywords": ["umlauts", "learning"],
    "github_stars": 43,
    "thumbnail_url": None,
}


def test_every_stored_field_is_covered() -> None:
    # A field added to PaperRecord must be added to the hash (or listed here as not hashed).
    not_hashed = {"arxiv_id", "ingested_at"}
    assert set(_CHANGES) == {f.name for f in fields(PaperRecord)} - not_hashed


@pytest.mark.parametrize("name", sorted(_CHANGES))
def test_content_hash_changes_with_each_field(name: str) -> None:
    record = full_record()
    changed = replace(record, **{name: _CHANGES[name]})
    assert changed.content_hash() != record.content_hash()


@pytest.mark.parametrize(("name", "empty"), [("comments", ""), ("github_stars", 0), ("doi", "")])
def test_content_hash_tells_empty_from_missing(name: str, empty: Any) -> None:
    record = full_record()
    missing = replace(record, **{name: None})
    assert replace(record, **{name: empty}).content_hash() != missing.content_hash()


def test_content_hash_ignores_ingest_time() -> None:
    record = full_record()
    later = replace(record, ingested_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert later.content_hash() == record.content_hash()
    assert replace(record, ingested_at=None).content_hash() == record.content_hash()


def test_content_hash_does_not_confuse_adjacent_fields() -> None:
    # Fields are hashed as a structured list, not concatenated text.
    a = replace(full_record(), title="ab", abstract="c")
    b = replace(full_record(), title="a", abstract="bc")
    assert a.content_hash() != b.content_hash()
    c = replace(full_record(), authors=["A, B"])
    d = replace(full_record(), authors=["A", "B"])
    assert c.content_hash() != d.content_hash()


# --- pickling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        full_record(),
        PaperRecord(arxiv_id="hep-th/9901001", title="T", abstract="", authors=[], categories=[]),
        replace(
            full_record(),
            published_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(microseconds=1),
        ),
    ],
)
@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(record: PaperRecord, protocol: int) -> None:
    restored = pickle.loads(pickle.dumps(record, protocol=protocol))
    assert type(restored) is PaperRecord
    assert restored == record
    assert restored.content_hash() == record.content_hash()
    # A copy, not shared state.
    restored.authors.append("New")
    assert record.authors != restored.authors


def test_pickle_batch_of_items() -> None:
    # The parser process sends lists of mixed items to the writer.
    items = [
        full_record(),
        FeaturedRecord("2401.01234", date(2024, 1, 2), "user", "User Name", None, 5, 1, "hf"),
        Malformed("line 3", "invalid JSON"),
    ]
    assert pickle.loads(pickle.dumps(items)) == items
