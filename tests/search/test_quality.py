"""Search quality on real papers (issue 18): the keyword engines rank only papers that share a
content word with the query. Stopwords once matched author names such as "Shideh Davarpanah
for the NUSES Collaboration" or "Hou In Ivan Tam", where they are rare and so score high:
"diffusion models for robust classification" ranked astro-ph papers among its top ten."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy
from sqlalchemy import text

from paperboard.domain.stopwords import STOPWORDS
from paperboard.ingest.loader import load
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.search.keyword import KeywordIndex, sync
from paperboard.search.service import SearchRequest, SearchService
from paperboard.storage.database import Database
from tests.conftest import SHARED_DATA

SAMPLE = SHARED_DATA / "arxiv-sample" / "papers.jsonl.gz"
HEAD = 1000  # the sample's first papers: cs.CV, cs.LG, cs.CL ... and a little physics
TOP = 20
QUERIES = [
    "diffusion models for robust classification",
    "the state of the art in image segmentation",
    "a survey of methods for the evaluation of language models",
    "on the robustness of vision transformers to noise",
]
STOPWORD_ONLY = ["for", "the", "for the", "a of in"]
# The test's own idea of words that carry no content, independent of the code under test.
FUNCTION_WORDS = "a an and are as at be by for in is of on or the to with"
_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def stems(text: str) -> set[str]:
    return set(_ANALYZER.analyze(text))


def content_stems(query: str) -> set[str]:
    return stems(query) - stems(FUNCTION_WORDS)


def sample_lines() -> list[bytes]:
    """The sample's head plus every paper with "for the" or "Hou In" among its authors (the
    JSON puts "authors" before "title")."""
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not found")
    lines = []
    with gzip.open(SAMPLE, "rb") as stream:
        for number, line in enumerate(stream):
            authors = line.partition(b'"title"')[0]
            if number < HEAD or b" for the " in authors or b"Hou In " in authors:
                lines.append(line)
    return lines


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    lines = sample_lines()
    ids = {line.partition(b'"submitter"')[0] for line in lines}
    # The NUSES and Pierre Auger collaborations' papers, two of Hou In Ivan Tam's.
    for arxiv_id in ("2509.17618", "2509.06343", "2503.14756", "2503.16848"):
        assert f'{{"id": "{arxiv_id}", '.encode() in ids
    return lines


@pytest.fixture(params=["tantivy", "tsvector"])
def engine(
    request: pytest.FixtureRequest, corpus: list[bytes], tmp_path: Path
) -> Iterator[tuple[Database, KeywordIndex | None]]:
    """The embedded index over SQLite, or PostgreSQL's tsvector column."""
    on_tantivy = request.param == "tantivy"
    url = request.getfixturevalue("sqlite_url" if on_tantivy else "postgres_url")
    db = Database(url)
    load(db, iter_snapshot(iter(corpus)))  # type: ignore[arg-type]
    index = KeywordIndex(tmp_path / "keyword-index") if on_tantivy else None
    if index is not None:
        sync(db, index)
    yield db, index
    if index is not None:
        index.close()
    db.dispose()


def shares_no_content_word(query: str, title: str, abstract: str, authors: list[str]) -> bool:
    return not content_stems(query) & stems(" ".join([title, abstract, *authors]))


def test_every_keyword_result_shares_a_content_word_with_the_query(engine) -> None:  # type: ignore[no-untyped-def]
    db, index = engine
    service = SearchService(db, index)
    for query in QUERIES:
        page = service.search(SearchRequest(query=query, mode="keyword", per_page=TOP))
        assert len(page.hits) == TOP, query  # the corpus has plenty of real matches
        noise = [
            (hit.paper.arxiv_id, hit.paper.authors[:2])
            for hit in page.hits
            if shares_no_content_word(query, hit.paper.title, hit.paper.abstract, hit.paper.authors)
        ]
        assert noise == [], query


def test_stopwords_match_nothing_but_author_filters_keep_them(engine) -> None:  # type: ignore[no-untyped-def]
    """A query of stopwords finds nothing by keyword ("for" found 51 papers); only free words
    drop them: a name asked for by ``author:`` is matched as typed. (One test, not three: each
    loads the corpus.)"""
    db, index = engine
    service = SearchService(db, index)
    for query in STOPWORD_ONLY:
        page = service.search(SearchRequest(query=query, mode="keyword"))
        assert (page.hits, page.total) == ([], 0), query
    page = service.search(SearchRequest(query='author:"Hou In Ivan Tam"', mode="keyword"))
    assert {hit.paper.arxiv_id for hit in page.hits} == {"2503.14756", "2503.16848"}
    if index is not None:  # tantivy: phrases keep their stopwords (PostgreSQL skips them)
        page = service.search(SearchRequest(query='"for the NUSES Collaboration"', mode="keyword"))
        assert [hit.paper.arxiv_id for hit in page.hits] == ["2509.17618"]


def test_the_stopwords_are_postgresql_english_ones(postgres_url: str) -> None:
    """tantivy drops the words the tsvector engine's 'english' configuration drops."""
    db = Database(postgres_url)
    try:
        with db.read() as connection:
            kept = [
                word
                for word in sorted(STOPWORDS)
                if connection.execute(
                    text("SELECT to_tsvector('english', :w)"), {"w": word}
                ).scalar()
            ]
    finally:
        db.dispose()
    assert kept == []
