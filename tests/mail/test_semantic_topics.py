"""Plain-language interests matched by meaning (mail/semantic_topics.py), with the real
bundled MiniLM model and with a model that cannot be loaded."""

from __future__ import annotations

import pytest

from paperboard.domain.periods import parse_day
from paperboard.domain.topics import Topics
from paperboard.mail.digest import DigestPaper, PeriodDigest
from paperboard.mail.semantic_topics import SemanticTopicMatcher, default_matcher
from paperboard.search.embedder import EmbedderError, HashingEmbedder, load_embedder

DAY = parse_day("2026-11-20")


def paper(n: int, title: str, abstract: str, categories: tuple[str, ...] = ("cs.LG",)):
    return DigestPaper(
        arxiv_id=f"2611.{n:05d}",
        title=title,
        authors=("Ada Lovelace",),
        abstract=abstract,
        categories=categories,
        upvotes=100 - n,
        num_comments=0,
        code_url=None,
    )


PAPERS = [
    # About it in a way the small model does not see (similarity 0.25): not matched.
    paper(
        0,
        "Draft-and-verify decoding makes large language models answer three times sooner",
        "A small draft network proposes several tokens that the big transformer checks in one "
        "forward pass, cutting generation latency and serving cost of chatbots.",
    ),
    paper(
        1,
        "Spiral galaxies in deep telescope surveys",
        "We count spiral arms in 40,000 galaxies observed by a wide-field telescope.",
        ("astro-ph.GA",),
    ),
    # Shares "inference" and "efficient" with the interest, about something else entirely.
    paper(
        2,
        "Efficient inference of gene regulatory networks from single-cell data",
        "A Bayesian method recovers which genes regulate which, from expression counts.",
        ("q-bio.MN",),
    ),
    paper(
        3,
        "Quantizing the weights of LLMs to 4 bits with little loss",
        "Post-training quantization lets language models run on one consumer GPU.",
    ),
]

INTEREST = Topics(interest="efficient inference for LLMs")


@pytest.fixture(scope="module")
def minilm():  # type: ignore[no-untyped-def]
    return load_embedder("minilm-int8", threads=1)


def test_the_interest_is_matched_by_meaning(minilm) -> None:  # type: ignore[no-untyped-def]
    digest = PeriodDigest("daily", DAY, PAPERS, SemanticTopicMatcher(minilm))
    # The quantization paper shares one word of three ("LLMs") yet is about the interest
    # (similarity 0.54); the gene paper shares two and is not (0.38).
    assert digest.select(INTEREST) == (3,)


def test_the_word_approximation_misses_and_overreaches() -> None:
    # The baseline the semantic matcher replaces: it takes the gene paper, misses paper 3.
    digest = PeriodDigest("daily", DAY, PAPERS)
    assert digest.select(INTEREST) == (2,)


def test_categories_and_keywords_stay_exact(minilm) -> None:  # type: ignore[no-untyped-def]
    digest = PeriodDigest("daily", DAY, PAPERS, SemanticTopicMatcher(minilm))
    assert digest.select(Topics(categories=("astro-ph",))) == (1,)
    assert digest.select(Topics(keywords=("galaxies",))) == (1,)
    both = Topics(categories=("astro-ph",), interest=INTEREST.interest)
    assert digest.select(both) == (1, 3)


def test_the_model_is_loaded_only_for_an_interest() -> None:
    loads: list[int] = []

    def load() -> HashingEmbedder:
        loads.append(1)
        return HashingEmbedder()

    digest = PeriodDigest("daily", DAY, PAPERS, SemanticTopicMatcher(load))
    digest.select(Topics(categories=("cs.LG",)))
    assert loads == []
    digest.select(INTEREST)
    digest.select(Topics(interest="galaxies in telescope surveys"))
    assert loads == [1]


def test_an_unloadable_model_falls_back_to_words(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> HashingEmbedder:
        raise EmbedderError("PAPERBOARD_EMBEDDER=off: semantic search is switched off")

    digest = PeriodDigest("daily", DAY, PAPERS, SemanticTopicMatcher(broken))
    assert digest.select(INTEREST) == (2,)
    assert "matched by their words only" in caplog.text


def test_default_matcher_follows_the_setting() -> None:
    digest = PeriodDigest("daily", DAY, PAPERS, default_matcher("off"))
    assert digest.select(INTEREST) == (2,)  # off: words only
