"""Merging what two sources say about one paper (domain.merge.merge_paper), as tables."""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from paperboard.domain.merge import merge_paper
from paperboard.domain.paper import PaperRecord

T1 = datetime(2024, 1, 1, 12, tzinfo=UTC)
T2 = datetime(2024, 2, 1, 12, tzinfo=UTC)
T3 = datetime(2024, 3, 1, 12, tzinfo=UTC)
D1 = date(2024, 1, 2)
D2 = date(2024, 2, 2)


def arxiv(**changes: Any) -> PaperRecord:
    """What arXiv says: categories, comments, DOI; no AI summary, keywords or stars."""
    record = PaperRecord(
        arxiv_id="2401.01234",
        title="Attention Is Still All You Need",
        abstract="We revisit attention.",
        authors=["A. Smith", "B. Jones"],
        categories=["cs.LG", "cs.CL"],
        published_at=T1,
        updated_at=T1,
        version=1,
        announced_on=D1,
        comments="10 pages",
        journal_ref=None,
        doi="10.1000/xyz",
        license="http://creativecommons.org/licenses/by/4.0/",
        submitter="A. Smith",
        code_urls=["https://github.com/a/b"],
    )
    return replace(record, **changes)


def hf(**changes: Any) -> PaperRecord:
    """What Hugging Face says: no categories, comments or version; AI summary, keywords, stars."""
    record = PaperRecord(
        arxiv_id="2401.01234",
        title="Attention Is Still All You Need",
        abstract="We revisit attention.",
        authors=["A. Smith", "B. Jones"],
        categories=[],
        published_at=T1,
        code_urls=["https://github.com/a/b"],
        project_page="https://a.github.io/b",
        ai_summary="Attention, again.",
        ai_keywords=["attention", "transformers"],
        github_stars=120,
        thumbnail_url="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2401.01234.png",
    )
    return replace(record, **changes)


# --- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "incoming", "title", "version"),
    [
        # A newer version wins...
        (arxiv(), arxiv(version=2, title="New"), "New", 2),
        (arxiv(version=2), arxiv(version=5, title="Newest"), "Newest", 5),
        # ...an older one never overwrites a newer one...
        (arxiv(version=2, title="New"), arxiv(version=1), "New", 2),
        (arxiv(version=5, title="Newest"), arxiv(version=2, title="Older"), "Newest", 5),
        # ...and for the same version the incoming record wins (a correction from the source).
        (arxiv(), arxiv(title="Fixed typo"), "Fixed typo", 1),
    ],
)
def test_newer_version_wins(
    stored: PaperRecord, incoming: PaperRecord, title: str, version: int
) -> None:
    merged = merge_paper(stored, incoming)
    assert merged.title == title
    assert merged.version == version


def test_newer_version_wins_field_by_field() -> None:
    stored = arxiv()
    incoming = arxiv(
        version=2,
        abstract="Rewritten.",
        authors=["A. Smith", "B. Jones", "C. Brown"],
        categories=["cs.CL"],
        comments="12 pages, accepted",
        doi="10.1000/new",
    )
    merged = merge_paper(stored, incoming)
    for name in ("abstract", "authors", "categories", "comments", "doi"):
        assert getattr(merged, name) == getattr(incoming, name), name
    # And the other way round nothing of the older version leaks in.
    reverse = merge_paper(incoming, stored)
    for name in ("abstract", "authors", "categories", "comments", "doi"):
        assert getattr(reverse, name) == getattr(incoming, name), name


# --- sources enrich each other -----------------------------------------------------------------

_FROM_ARXIV = ("categories", "comments", "doi", "license", "submitter")
_FROM_HF = ("ai_summary", "ai_keywords", "github_stars", "project_page", "thumbnail_url")


@pytest.mark.parametrize(
    ("stored", "incoming"),
    [
        (arxiv(), hf()),  # arXiv first, then Hugging Face
        (hf(), arxiv()),  # Hugging Face first, then arXiv
        (arxiv(version=3), hf()),  # HF does not know versions: its default 1 is "older"
        (hf(), arxiv(version=3)),
    ],
    ids=["arxiv-then-hf", "hf-then-arxiv", "arxiv-v3-then-hf", "hf-then-arxiv-v3"],
)
def test_empty_fields_filled_from_other_source(stored: PaperRecord, incoming: PaperRecord) -> None:
    merged = merge_paper(stored, incoming)
    source_arxiv = stored if stored.categories else incoming
    source_hf = incoming if source_arxiv is stored else stored
    for name in _FROM_ARXIV:
        assert getattr(merged, name) == getattr(source_arxiv, name), name
    for name in _FROM_HF:
        assert getattr(merged, name) == getattr(source_hf, name), name
    assert merged.primary_category == "cs.LG"
    assert merged.version == max(stored.version, incoming.version)


@pytest.mark.parametrize(
    ("name", "empty"),
    [
        ("title", ""),
        ("abstract", ""),
        ("authors", []),
        ("categories", []),
        ("comments", None),
        ("comments", ""),
        ("journal_ref", None),
        ("doi", None),
        ("report_no", None),
        ("ai_summary", None),
        ("ai_keywords", []),
        ("github_stars", None),
        ("project_page", None),
    ],
)
def test_newer_empty_field_does_not_erase_older_value(name: str, empty: Any) -> None:
    older = arxiv(
        journal_ref="NeurIPS",
        report_no="TR-1",
        ai_summary="S",
        ai_keywords=["k"],
        github_stars=3,
        project_page="https://p.example",
    )
    newer = replace(older, version=2, **{name: empty})
    assert getattr(merge_paper(older, newer), name) == getattr(older, name)
    assert getattr(merge_paper(newer, older), name) == getattr(older, name)


def test_zero_stars_is_a_value() -> None:
    # 0 is not "unknown": a newer record saying 0 stars is kept.
    merged = merge_paper(hf(github_stars=5), hf(github_stars=0, version=2))
    assert merged.github_stars == 0


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "incoming", "published", "updated"),
    [
        ((T1, T1), (T2, T2), T1, T2),
        ((T2, T2), (T1, T1), T1, T2),
        ((T1, T3), (T2, T2), T1, T3),
        ((None, None), (T2, T3), T2, T3),
        ((T2, T3), (None, None), T2, T3),
        ((None, T3), (T1, None), T1, T3),
        ((None, None), (None, None), None, None),
    ],
)
def test_published_earliest_updated_latest(
    stored: tuple[datetime | None, datetime | None],
    incoming: tuple[datetime | None, datetime | None],
    published: datetime | None,
    updated: datetime | None,
) -> None:
    for versions in ((1, 2), (2, 1), (1, 1)):
        a = arxiv(published_at=stored[0], updated_at=stored[1], version=versions[0])
        b = arxiv(published_at=incoming[0], updated_at=incoming[1], version=versions[1])
        merged = merge_paper(a, b)
        assert merged.published_at == published, versions
        assert merged.updated_at == updated, versions


@pytest.mark.parametrize(
    ("stored", "incoming", "announced"),
    [(D1, D2, D1), (D2, D1, D1), (None, D2, D2), (D1, None, D1), (None, None, None)],
)
def test_announced_on_earliest(
    stored: date | None, incoming: date | None, announced: date | None
) -> None:
    assert merge_paper(arxiv(announced_on=stored), arxiv(announced_on=incoming)).announced_on == (
        announced
    )
    later = arxiv(announced_on=incoming, version=2)
    assert merge_paper(arxiv(announced_on=stored), later).announced_on == announced


# --- code links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "incoming", "expected"),
    [
        (["https://github.com/a/b"], ["https://github.com/a/b"], ["https://github.com/a/b"]),
        (
            ["https://github.com/a/b"],
            ["https://github.com/c/d"],
            ["https://github.com/c/d", "https://github.com/a/b"],  # newer first
        ),
        (
            ["https://github.com/a/b", "https://github.com/c/d"],
            ["https://github.com/c/d", "https://github.com/e/f"],
            ["https://github.com/c/d", "https://github.com/e/f", "https://github.com/a/b"],
        ),
        ([], ["https://github.com/a/b"], ["https://github.com/a/b"]),
        (["https://github.com/a/b"], [], ["https://github.com/a/b"]),
        ([], [], []),
    ],
)
def test_code_urls_union(stored: list[str], incoming: list[str], expected: list[str]) -> None:
    merged = merge_paper(arxiv(code_urls=stored), arxiv(code_urls=incoming))
    assert merged.code_urls == expected
    assert len(merged.code_urls) == len(set(merged.code_urls))


def test_code_urls_union_ignores_case() -> None:
    merged = merge_paper(
        arxiv(code_urls=["https://github.com/owner/repo"]),
        hf(code_urls=["https://github.com/Owner/Repo"]),
    )
    assert len(merged.code_urls) == 1


# --- bookkeeping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "incoming", "expected"),
    [(T1, T2, T1), (T1, None, T1), (None, T2, T2), (None, None, None)],
)
def test_ingested_at_kept_from_stored(
    stored: datetime | None, incoming: datetime | None, expected: datetime | None
) -> None:
    for version in (1, 2):
        merged = merge_paper(
            arxiv(ingested_at=stored), arxiv(ingested_at=incoming, version=version)
        )
        assert merged.ingested_at == expected


def test_arxiv_id_kept() -> None:
    assert merge_paper(arxiv(), hf(version=2)).arxiv_id == "2401.01234"


def test_inputs_not_mutated() -> None:
    stored, incoming = arxiv(), hf(version=2, published_at=T2)
    before = copy.deepcopy((stored, incoming))
    merge_paper(stored, incoming)
    merge_paper(incoming, stored)
    assert (stored, incoming) == before


@pytest.mark.parametrize(
    ("stored", "incoming"),
    [(arxiv(), hf()), (hf(), arxiv()), (arxiv(), arxiv(version=2, title="New"))],
)
def test_merge_is_idempotent(stored: PaperRecord, incoming: PaperRecord) -> None:
    # Re-ingesting the same record after a merge changes nothing (the loader relies on it).
    merged = merge_paper(stored, incoming)
    assert merge_paper(merged, incoming) == merged
    assert merge_paper(merged, merged) == merged
    assert merge_paper(merged, incoming).content_hash() == merged.content_hash()


def test_merge_of_identical_records_is_identity() -> None:
    record = arxiv(ai_summary="S")
    assert merge_paper(record, copy.deepcopy(record)) == record


def test_every_field_is_handled() -> None:
    # A field added to PaperRecord must be decided on here and in merge_paper.
    assert {f.name for f in fields(PaperRecord)} == {
        "arxiv_id",
        "version",
        "title",
        "abstract",
        "authors",
        "categories",
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
        "ingested_at",
    }
