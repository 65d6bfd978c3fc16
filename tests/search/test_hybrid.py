"""Pure parts of search: reading the query box, reciprocal-rank fusion, highlights."""

from __future__ import annotations

import time

import pytest

from paperboard.search.highlight import highlight, snippet, term_stems
from paperboard.search.keyword import keyword_query
from paperboard.search.query import MAX_QUERY_CHARS, MAX_WORDS, parse_query
from paperboard.search.service import SearchService


@pytest.mark.parametrize(
    ("text", "words", "phrases", "authors", "categories", "ids"),
    [
        ("attention AND (", ["attention"], [], [], [], []),
        ('"lone quote', ["lone", "quote"], [], [], [], []),
        ('""', [], [], [], [], []),
        ("🤖🤖 emoji", ["emoji"], [], [], [], []),
        ('"speculative decoding" cache', ["cache"], [["speculative", "decoding"]], [], [], []),
        ('"single"', ["single"], [], [], [], []),
        ('author:"Ada Lovelace" graphs', ["graphs"], [], ["Ada Lovelace"], [], []),
        ("author:Turing", [], [], ["Turing"], [], []),
        ('author:""', [], [], [], [], []),
        ("cat:cs.cl category:astro-ph.ga", [], [], [], ["cs.CL", "astro-ph.GA"], []),
        (
            "cat:physics.optics cat:cond-mat.mes-hall",
            [],
            [],
            [],
            ["physics.optics", "cond-mat.mes-hall"],
            [],
        ),
        ("cat:../../etc", [], [], [], [], []),
        ("2401.00001", [], [], [], [], ["2401.00001"]),
        (
            "see arXiv:2401.00001v3 and https://arxiv.org/abs/hep-th/9901001v2",
            ["see", "and"],
            [],
            [],
            [],
            ["2401.00001", "hep-th/9901001"],
        ),
        ("https://huggingface.co/papers/2401.00002", [], [], [], [], ["2401.00002"]),
        ("1234.5678 is not a month", ["1234", "5678", "is", "not", "a", "month"], [], [], [], []),
    ],
)
def test_parse_query(
    text: str,
    words: list[str],
    phrases: list[list[str]],
    authors: list[str],
    categories: list[str],
    ids: list[str],
) -> None:
    parsed = parse_query(text)
    assert parsed.words == words
    assert parsed.phrases == phrases
    assert parsed.authors == authors
    assert parsed.categories == categories
    assert parsed.arxiv_ids == ids


@pytest.mark.parametrize(
    "text",
    ["x" * 5000, "ab " * 2000, '"' * 4000, "author:" * 600, "2401." * 900, "(" * 4000, "🤖" * 4000],
)
def test_hostile_input_is_fast_and_bounded(text: str) -> None:
    started = time.perf_counter()
    parsed = parse_query(text)
    keyword_query(parsed)
    highlight("A title", text, parsed.terms())
    assert time.perf_counter() - started < 0.5
    assert len(parsed.raw) <= MAX_QUERY_CHARS and len(parsed.words) <= MAX_WORDS


def test_keyword_query_is_built_from_plain_words_only() -> None:
    parsed = parse_query('title:evil "graph nets" author:"O\'Brien" cat:cs.LG a:b [x TO y] OR')
    query = keyword_query(parsed)
    # Stopwords ("a", "to") are no free words (domain/stopwords.py).
    assert query == ('title evil b x y +"graph nets" +authors:"o brien" +(category:"cs.LG")')


def test_semantic_text_keeps_the_sentence_without_filters() -> None:
    parsed = parse_query('Speculative decoding, "from a cache"! cat:cs.CL 2401.00001')
    assert parsed.semantic_text.split() == ["Speculative", "decoding,", "from", "a", "cache", "!"]
    assert parse_query("cat:cs.CL").semantic_text == ""


def test_reciprocal_rank_fusion() -> None:
    service = SearchService(db=None, keyword_index=None, rrf_k=60)  # type: ignore[arg-type]
    fused = service.fuse([1, 2, 3], [3, 4, 1])
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 63)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in fused][:2] == [1, 3]  # tie: keyword order first
    assert scores[4] == pytest.approx(1 / 62) and scores[2] == pytest.approx(1 / 62)
    weighted = SearchService(db=None, keyword_index=None, keyword_weight=2.0)  # type: ignore[arg-type]
    assert weighted.fuse([1, 2], [2, 1])[0][0] == 1


def test_a_far_leading_keyword_hit_goes_first() -> None:
    service = SearchService(db=None, keyword_index=None, keyword_lead_gap=0.15)  # type: ignore[arg-type]
    semantic = [5, 6, 7, 1]
    # 10 vs 8: a 20% lead, a look-up: paper 1 first although the embedder ranks it 4th.
    led = service.combine([(1, 10.0), (2, 8.0), (3, 1.0)], semantic)
    assert led[0][0] == 1 and [i for i, _ in led[1:]] == [
        i for i, _ in service.fuse([1, 2, 3], semantic) if i != 1
    ]
    # 10 vs 9: no clear lead, plain fusion.
    close = service.combine([(1, 10.0), (2, 9.0)], semantic)
    assert close == service.fuse([1, 2], semantic)
    # Keyword alone (no semantic hits) or switched off: plain fusion.
    assert service.combine([(1, 10.0), (2, 1.0)], []) == service.fuse([1, 2], [])
    off = SearchService(db=None, keyword_index=None, keyword_lead_gap=None)  # type: ignore[arg-type]
    assert off.combine([(1, 10.0), (2, 1.0)], semantic) == off.fuse([1, 2], semantic)


def test_highlight_marks_stems_in_title_and_snippet() -> None:
    result = highlight(
        "Diffusion Models for Video Generation",
        "We extend image diffusion models to generate coherent videos.",
        ["model", "videos", "the"],
    )
    title = "Diffusion Models for Video Generation"
    assert [title[s:e] for s, e in result.title_spans] == ["Models", "Video"]
    assert [result.snippet[s:e] for s, e in result.snippet_spans] == ["models", "videos"]
    assert result.matched_terms == ["model", "videos"]


def test_snippet_picks_the_densest_window() -> None:
    text = (
        "Filler words here. " * 40
        + "Galaxy rotation curves of spiral galaxy discs. "
        + ("More filler. " * 40)
    )
    cut, spans = snippet(text, term_stems(["galaxy", "rotation"]), width=120)
    assert cut.startswith("…") and cut.endswith("…") and len(cut) <= 122
    assert [cut[s:e] for s, e in spans] == ["Galaxy", "rotation", "galaxy"]
    short, _ = snippet("Short abstract.", term_stems(["absent"]))
    assert short == "Short abstract."
