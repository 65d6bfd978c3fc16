"""Embedding throughput (abstracts/s) and the quality cost of a token cap and of bucketing.

  # throughput on N sample abstracts, each setting (token cap x bucketing x threads):
  nice -n 10 .venv/bin/python bench/embed_throughput.py measure --n 256

  # semantic MRR@10 at each token cap on a slice of title2abstract (the cap's quality cost):
  nice -n 10 .venv/bin/python bench/embed_throughput.py quality-cost

  # embed a corpus once into bench/results/cache/ (resumable, shardable over processes);
  # search_quality.py and search_latency.py read these vectors:
  nice -n 10 .venv/bin/python bench/embed_throughput.py cache sample --shards 2 --shard 0

The cached vectors are what ``paperboard embed`` stores (same embedder, same ``paper_text``),
written to .npy chunks so that the benchmarks need not re-run a 45-minute job.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from paperboard.search.embedder import OnnxMiniLMEmbedder, load_embedder, paper_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "bench" / "results" / "cache"
CHUNK = 1000


# --- corpora ------------------------------------------------------------------------------------


def sample_texts() -> Iterator[tuple[str, str]]:
    """The 88,864-paper sample: (arxiv id, title + abstract), the paraphrase set's targets
    first (so that a partly embedded sample can already be evaluated on it)."""
    targets = {
        json.loads(line)["target"]
        for line in (ROOT / "bench" / "paraphrase_queries.jsonl").read_text().splitlines()
    }
    rest = []
    with gzip.open(DATA / "arxiv-sample" / "papers.jsonl.gz", "rt") as stream:
        for line in stream:
            record = json.loads(line)
            item = record["id"], paper_text(record["title"], record["abstract"])
            if record["id"] in targets:
                yield item
            else:
                rest.append(item)
    yield from rest


def t2a_texts() -> Iterator[tuple[str, str]]:
    """title2abstract's corpus: abstracts only (the queries are the titles)."""
    with gzip.open(DATA / "eval" / "title2abstract" / "corpus.jsonl.gz", "rt") as stream:
        for line in stream:
            record = json.loads(line)
            yield record["_id"], paper_text("", record["text"]).lstrip(". ")


def csfcube_texts() -> Iterator[tuple[str, str]]:
    with gzip.open(DATA / "holdout" / "csfcube" / "papers.jsonl.gz", "rt") as stream:
        for line in stream:
            record = json.loads(line)
            yield str(record["paper_id"]), paper_text(record["title"], record["abstract"])


CORPORA = {"sample": sample_texts, "t2a": t2a_texts, "csfcube": csfcube_texts}


def cache_dir(corpus: str, embedder_name: str, max_tokens: int) -> Path:
    return CACHE / f"{corpus}-{embedder_name}-{max_tokens}"


def load_cached(corpus: str, embedder_name: str, max_tokens: int) -> tuple[list[str], np.ndarray]:
    """(ids, float16 vectors) of every finished chunk, in corpus order."""
    folder = cache_dir(corpus, embedder_name, max_tokens)
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    for chunk in sorted(folder.glob("chunk-*.npz")):
        data = np.load(chunk)
        ids.extend(str(i) for i in data["ids"])
        vectors.append(data["vectors"])
    if not vectors:
        return [], np.zeros((0, 0), np.float16)
    return ids, np.concatenate(vectors)


def cache(corpus: str, shards: int, shard: int, max_tokens: int, threads: int) -> None:
    embedder = load_embedder(max_tokens=max_tokens, threads=threads)
    folder = cache_dir(corpus, embedder.name, max_tokens)
    folder.mkdir(parents=True, exist_ok=True)
    items = list(CORPORA[corpus]())
    started, done = time.monotonic(), 0
    for number, start in enumerate(range(0, len(items), CHUNK)):
        if number % shards != shard:
            continue
        target = folder / f"chunk-{number:05d}.npz"
        if target.exists():  # resumable: finished chunks are kept
            continue
        part = items[start : start + CHUNK]
        vectors = embedder.embed([text for _, text in part]).astype(np.float16)
        temporary = folder / f".chunk-{number:05d}.tmp.npz"
        np.savez(temporary, ids=np.array([i for i, _ in part]), vectors=vectors)
        os.replace(temporary, target)
        done += len(part)
        rate = done / (time.monotonic() - started)
        print(f"{corpus} chunk {number}: {done} done, {rate:.1f}/s", flush=True)


# --- throughput ---------------------------------------------------------------------------------


def measure(n: int, repeat: int) -> None:
    texts = [text for _, text in zip(range(n * 50), sample_texts(), strict=False)][::50][:n]
    print(f"{len(texts)} sample abstracts, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    reference: np.ndarray | None = None
    # threads = batches run side by side (each single-threaded inside onnxruntime).
    for max_tokens, bucketing, threads in [
        (256, False, 1),
        (256, True, 1),
        (256, True, 2),
        (128, False, 2),
        (128, True, 1),
        (128, True, 2),
        (96, True, 2),
        (64, True, 2),
    ]:
        embedder = OnnxMiniLMEmbedder(
            max_tokens=max_tokens, bucketing=bucketing, threads=threads, batch_size=8
        )
        embedder.embed(texts[:8])  # warm-up
        best_wall, best_cpu = 0.0, 0.0
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            vectors = embedder.embed(texts)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best_wall, best_cpu = max(best_wall, len(texts) / wall), max(best_cpu, len(texts) / cpu)
        if reference is None:
            reference = vectors
        agreement = float((vectors * reference).sum(axis=1).mean())
        print(
            f"cap {max_tokens:>3} bucketing {bucketing!s:>5} threads {threads}: "
            f"{best_wall:6.1f} abstracts/s wall, {best_cpu:6.1f} per CPU-second; "
            f"mean cosine to cap-256 vectors {agreement:.3f}"
        )


def quality_cost(queries: int, distractors: int, caps: list[int]) -> None:
    """Semantic MRR@10 on a slice of title2abstract (the first ``queries`` titles, their
    abstracts plus ``distractors`` others) for each token cap: what a cap costs in ranking."""
    lines = (DATA / "eval" / "title2abstract" / "queries.jsonl").read_text().splitlines()
    chosen = [json.loads(line) for line in lines[:queries]]
    targets = {q["target"] for q in chosen}
    corpus = [(i, t) for i, t in t2a_texts() if i in targets]
    corpus += [(i, t) for i, t in t2a_texts() if i not in targets][:distractors]
    ids = [i for i, _ in corpus]
    print(f"{len(chosen)} title queries over {len(corpus)} abstracts")
    for cap in caps:
        embedder = OnnxMiniLMEmbedder(max_tokens=cap, threads=1, batch_size=8)
        started = time.process_time()
        docs = embedder.embed([t for _, t in corpus])
        cpu = time.process_time() - started
        found = embedder.embed([q["text"] for q in chosen]) @ docs.T
        mrr = 0.0
        for query, scores in zip(chosen, found, strict=True):
            top = [ids[i] for i in np.argsort(-scores)[:10]]
            if query["target"] in top:
                mrr += 1 / (top.index(query["target"]) + 1)
        print(
            f"cap {cap:>3}: semantic MRR@10 {mrr / len(chosen):.3f}; "
            f"{len(corpus) / cpu:.1f} abstracts per CPU-second"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cache_parser = commands.add_parser("cache")
    cache_parser.add_argument("corpus", choices=sorted(CORPORA))
    cache_parser.add_argument("--shards", type=int, default=1)
    cache_parser.add_argument("--shard", type=int, default=0)
    cache_parser.add_argument("--max-tokens", type=int, default=128)
    cache_parser.add_argument("--threads", type=int, default=1)
    cost_parser = commands.add_parser("quality-cost")
    cost_parser.add_argument("--queries", type=int, default=300)
    cost_parser.add_argument("--distractors", type=int, default=1700)
    cost_parser.add_argument("--caps", default="64,128,256")
    measure_parser = commands.add_parser("measure")
    measure_parser.add_argument("--n", type=int, default=256)
    measure_parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.command == "cache":
        cache(args.corpus, args.shards, args.shard, args.max_tokens, args.threads)
    elif args.command == "quality-cost":
        quality_cost(args.queries, args.distractors, [int(c) for c in args.caps.split(",")])
    else:
        measure(args.n, args.repeat)


if __name__ == "__main__":
    main()
