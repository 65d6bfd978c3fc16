"""Export and import of collections: the round trip per format, matching by id and by exact
title, every unmatched entry reported, limits, nothing half-written; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperboard.community.errors import Forbidden, InvalidInput, NotFound
from paperboard.library import exchange as exchange_module
from paperboard.library.errors import TooLarge
from paperboard.search import keyword
from paperboard.search.service import SearchService
from paperboard.storage.database import Database
from tests.community_site import paper
from tests.library.conftest import Shelf, build_shelf

PAPERS = {
    "1706.03762": r"Attention Is All You Need for $\alpha$ & 100% of {BERT}",
    "2401.00002": "Deep Residual Learning for Image Recognition",
    "hep-th/9901001": "Large N Limit of Superconformal Field Theories",
}


@pytest.fixture
def shelf(db: Database, tmp_path: Path) -> Iterator[Shelf]:
    index = keyword.open_index(tmp_path / "data") if db.is_sqlite else None
    search = SearchService(db, index)
    built = build_shelf(db, search=lambda: search)
    built.add(*(paper(arxiv_id, title=title) for arxiv_id, title in PAPERS.items()))
    built.add(paper("2401.00009", title="Attention Is All You Need"))  # same words, shorter
    if index is not None:
        keyword.sync(db, index)
    yield built
    if index is not None:
        index.close()


@pytest.mark.parametrize("format_name", ["bibtex", "ris", "csljson"])
def test_round_trip_gives_the_same_papers(shelf: Shelf, format_name: str) -> None:
    ada = shelf.user("ada")
    collections, exchange = shelf.library.collections, shelf.library.exchange
    source = collections.create(ada, "Source")
    for arxiv_id in PAPERS:
        source = collections.add_paper(source.slug, arxiv_id, ada, note=f"note on {arxiv_id}")
    exported = exchange.export(source.slug, ada, format_name)
    assert exported.filename.endswith(exchange_module.FORMATS[format_name].extension)
    target = collections.create(ada, "Target")
    report = exchange.import_file(target.slug, ada, format_name, exported.text.encode())
    assert report.added == list(PAPERS) and report.unmatched == []
    assert report.matched_by_id == 3
    items = report.collection.items
    assert [item.paper.arxiv_id for item in items] == list(PAPERS)
    assert [item.note for item in items] == [f"note on {arxiv_id}" for arxiv_id in PAPERS]
    again = exchange.import_file(target.slug, ada, format_name, exported.text)
    assert again.added == [] and again.already_there == list(PAPERS)


def test_matching_by_title_and_reporting_the_rest(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    target = shelf.library.collections.create(ada, "Target")
    text = r"""
@article{he, title={Deep residual learning for image {R}ecognition}, author={He, Kaiming}}
@misc{tex, title={Attention is all you need for $\alpha$ \& 100\% of BERT}}
@misc{missing, eprint={2402.99999}, archivePrefix={arXiv}, title={Not stored}}
@misc{unknown, title={No paper has this title}}
@misc{untitled, author={Nobody}}
@misc{broken, title={oops}
"""
    report = shelf.library.exchange.import_file(target.slug, ada, "bibtex", text)
    assert report.added == ["2401.00002", "1706.03762"]
    assert report.matched_by_title == 2 and report.matched_by_id == 0
    reasons = {u.where: u.reason for u in report.unmatched}
    assert reasons["entry 3 (missing)"] == "arXiv 2402.99999 is not in paperboard"
    assert reasons["entry 4 (unknown)"] == "no arXiv id, and no paper has this exact title"
    assert reasons["entry 5 (untitled)"] == "no arXiv id and no title"
    assert any(where.startswith("line") for where in reasons)  # the broken block
    assert report.entries == 6
    assert len(report.added) + len(report.unmatched) == report.entries


def test_title_matching_is_exact(shelf: Shelf) -> None:
    ada = shelf.user("ada")
    target = shelf.library.collections.create(ada, "Target")
    csl = '[{"title": "Attention is all you need"}, {"title": "Attention is all you"}]'
    report = shelf.library.exchange.import_file(target.slug, ada, "csljson", csl)
    assert report.added == ["2401.00009"]
    assert [u.where for u in report.unmatched] == ["entry 2"]


def test_limits_and_nothing_half_written(shelf: Shelf, monkeypatch: pytest.MonkeyPatch) -> None:
    ada = shelf.user("ada")
    exchange = shelf.library.exchange
    target = shelf.library.collections.create(ada, "Target")
    with pytest.raises(TooLarge):
        exchange.import_file(target.slug, ada, "bibtex", b" " * (2 * 1024 * 1024 + 1))
    monkeypatch.setattr(exchange_module, "MAX_IMPORT_ENTRIES", 2)
    three = "".join(f"@misc{{k{n}, eprint={{{arxiv_id}}}}}\n" for n, arxiv_id in enumerate(PAPERS))
    with pytest.raises(TooLarge):
        exchange.import_file(target.slug, ada, "bibtex", three)
    monkeypatch.setattr(exchange_module, "MAX_IMPORT_ENTRIES", 5000)
    monkeypatch.setattr(exchange_module, "MAX_ITEMS", 2)
    with pytest.raises(TooLarge):
        exchange.import_file(target.slug, ada, "bibtex", three)
    ticks = iter([0.0, 0.0, 100.0])
    monkeypatch.setattr(exchange, "monotonic", lambda: next(ticks, 100.0))
    monkeypatch.setattr(exchange_module, "MAX_ITEMS", 5000)
    with pytest.raises(TooLarge):
        exchange.import_file(target.slug, ada, "bibtex", three)
    assert shelf.library.collections.get(target.slug, ada).items == ()


def test_bad_files_formats_and_owners(shelf: Shelf) -> None:
    ada, grace = shelf.user("ada"), shelf.user("grace")
    exchange = shelf.library.exchange
    target = shelf.library.collections.create(ada, "Target")
    secret = shelf.library.collections.create(ada, "Secret", private=True)
    with pytest.raises(InvalidInput):
        exchange.import_file(target.slug, ada, "endnote", "x")
    with pytest.raises(InvalidInput):
        exchange.import_file(target.slug, ada, "bibtex", b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput):
        exchange.import_file(target.slug, ada, "ris", "no records here")
    with pytest.raises(Forbidden):
        exchange.import_file(target.slug, grace, "bibtex", "@misc{a, title={x}}")
    with pytest.raises(NotFound):
        exchange.export(secret.slug, grace, "bibtex")
    with pytest.raises(InvalidInput):
        exchange.export(target.slug, ada, "docx")
    assert exchange.export(target.slug, None, "csljson").text.strip() == "[]"
