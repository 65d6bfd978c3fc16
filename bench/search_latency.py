"""Hybrid search latency (single client, query embedding included), at the 88,864-paper sample
and at 1,000,000 synthetic papers.

Sample: the sample is ingested into a SQLite database (tantivy keyword index, as
``paperboard ingest`` does), the cached MiniLM vectors (bench/embed_throughput.py, the same
vectors ``paperboard embed`` stores) go into its ``embeddings`` table, and the HNSW file is
built from it by the product's own sync. Then ``SearchService.search`` runs 120
natural-language queries (48 paraphrases + 72 titles) three times each, with the query-vector
cache cleared before every call, exactly as serve would (one embedding thread). Papers the
cache run has not reached yet get a perturbed copy of a real vector (the count is printed).

1,000,000: the sample replicated to 1M: copy c of paper i gets the key c*10^8+i, the same text
in tantivy (so posting lists are ~11x longer, as with a corpus 11x larger), and its vector
plus Gaussian noise (per-dimension sigma 0.025, cosine ~0.9 to the original), re-normalised.
The service searches those 1M-entry indexes; hits map back to the sample's rows (SQL lookups
by primary key, whose cost hardly depends on table size). Recall@10 of the HNSW index against
exact search is measured on 100 queries.

  nice -n 10 .venv/bin/python bench/search_latency.py            # sample
  nice -n 10 .venv/bin/python bench/search_latency.py --million  # and 1M
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_throughput import CACHE, DATA, ROOT, load_cached

from paperboard.config import load_settings
from paperboard.ingest.service import ingest
from paperboard.ingest.sources import open_source, parse_source
from paperboard.search.embedder import load_embedder
from paperboard.search.keyword import IndexDoc, KeywordIndex, open_index
from paperboard.search.query import ParsedQuery
from paperboard.search.service import SearchRequest, SearchService
from paperboard.search.vectors import _new_index, open_vector_index
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

MODEL = "minilm-int8"
WORK = ROOT / "bench" / "results" / "latency"
COPY_STRIDE = 100_000_000
MILLION = 1_000_000
NOISE_SIGMA = 0.025


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def queries() -> list[str]:
    paraphrases = (ROOT / "bench" / "paraphrase_queries.jsonl").read_text().splitlines()
    titles = (DATA / "eval" / "title2abstract" / "queries.jsonl").read_text().splitlines()
    texts = [json.loads(line)["query"] for line in paraphrases]
    return texts + [json.loads(line)["text"] for line in titles[: 120 - len(texts)]]


# --- the sample database ------------------------------------------------------------------------


def prepare_sample(max_tokens: int, refresh: bool = True) -> tuple[Database, KeywordIndex, Any]:
    settings = load_settings({}, data_dir=WORK)
    db = Database(settings.database_url)
    keyword_index = open_index(WORK)
    with db.read() as connection:
        stored = paper_store.count(connection)
    if stored < 88_864:
        started = time.perf_counter()
        spec = parse_source(str(DATA / "arxiv-sample" / "papers.jsonl.gz"), sync_days=3)
        ingest(db, open_source(spec, settings, None), keyword_index=keyword_index)
        print(f"ingested the sample in {time.perf_counter() - started:.0f}s")
    paper_ids, vectors, real = sample_vectors(db, max_tokens)
    marker = WORK / "stored-vectors.json"
    stored_real = json.loads(marker.read_text())["real"] if marker.exists() else -1
    if stored_real < 0 or (refresh and stored_real != real):
        started = time.perf_counter()
        with db.read() as connection:
            hashes = dict(connection.exec_driver_sql("SELECT id, content_hash FROM papers").all())
        now = datetime.now(UTC)
        # As ``paperboard embed`` writes them: batches of 256, each with its own time.
        for number, start in enumerate(range(0, len(paper_ids), 256)):
            rows = [
                (int(paper_ids[n]), hashes[int(paper_ids[n])], vectors[n].astype(np.float32))
                for n in range(start, min(start + 256, len(paper_ids)))
            ]
            with db.write() as connection:
                embedding_store.store(connection, MODEL, rows, now + timedelta(seconds=2 * number))
        marker.write_text(json.dumps({"real": real}))
        print(f"stored {len(paper_ids):,} vectors in {time.perf_counter() - started:.0f}s")
    real = json.loads(marker.read_text())["real"]
    print(f"sample vectors: {real:,} embedded by MiniLM, {len(paper_ids) - real:,} synthetic fill")
    started = time.perf_counter()
    vector_index = open_vector_index(db, WORK, MODEL, 384)
    seconds = time.perf_counter() - started
    print(f"vector index: {len(vector_index):,} vectors, opened/synced in {seconds:.1f}s")  # type: ignore[arg-type]
    return db, keyword_index, vector_index


def sample_vectors(db: Database, max_tokens: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(paper ids, float16 vectors, how many are real) for every stored paper: the cached
    MiniLM vectors, and, for papers the cache run has not reached yet, a perturbed copy of a
    random real vector (so that a benchmark can run before the 45-minute job ends)."""
    ids, cached = load_cached("sample", MODEL, max_tokens)
    with db.read() as connection:
        all_ids = dict(connection.exec_driver_sql("SELECT arxiv_id, id FROM papers").all())
    real = {a: n for n, a in enumerate(ids) if a in all_ids}
    rng = np.random.default_rng(2)
    paper_ids = np.array(list(all_ids.values()), np.int64)
    out = np.zeros((len(all_ids), 384), np.float16)
    donors = np.array(list(real.values()))
    for row, arxiv_id in enumerate(all_ids):
        if arxiv_id in real:
            out[row] = cached[real[arxiv_id]]
        else:
            vector = cached[rng.choice(donors)].astype(np.float32)
            vector += rng.normal(0, NOISE_SIGMA, 384).astype(np.float32)
            out[row] = vector / np.linalg.norm(vector)
    return paper_ids, out, len(real)


# --- timing -------------------------------------------------------------------------------------


def measure(service: SearchService, texts: list[str], repeat: int = 3) -> dict[str, float]:
    timings = []
    for text in texts[:5]:  # warm-up: model, page cache
        service.search(SearchRequest(query=text))
    for _ in range(repeat):
        for text in texts:
            service._query_vectors.clear()  # every query pays for its embedding
            started = time.perf_counter()
            service.search(SearchRequest(query=text, per_page=20))
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "n": len(timings),
        "p50": statistics.median(timings),
        "p90": timings[int(0.90 * len(timings)) - 1],
        "p99": timings[int(0.99 * len(timings)) - 1],
        "max": timings[-1],
    }


def breakdown(service: SearchService, texts: list[str]) -> dict[str, float]:
    """Median milliseconds of each step, measured separately."""
    from paperboard.search.query import parse_query
    from paperboard.storage.search import Filters

    steps: dict[str, list[float]] = {"embed": [], "keyword": [], "vector": []}
    for text in texts:
        parsed = parse_query(text)
        started = time.perf_counter()
        vector = service.embedder.embed([parsed.semantic_text])[0]  # type: ignore[union-attr]
        steps["embed"].append(time.perf_counter() - started)
        started = time.perf_counter()
        service.keyword_ids(parsed, Filters(), 100)
        steps["keyword"].append(time.perf_counter() - started)
        started = time.perf_counter()
        service.vector_index.search(vector, 100)  # type: ignore[union-attr]
        steps["vector"].append(time.perf_counter() - started)
    return {name: 1000 * statistics.median(values) for name, values in steps.items()}


def report(title: str, service: SearchService, texts: list[str]) -> None:
    result = measure(service, texts)
    parts = breakdown(service, texts)
    print(
        f"{title}: hybrid search p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f}, "
        f"p99 {result['p99']:.1f}, max {result['max']:.1f} ({result['n']} searches, "
        f"load avg {os.getloadavg()[0]:.1f}); medians: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in parts.items())
        + f"; max RSS {rss_mib():,.0f} MiB"
    )


# --- the million ----------------------------------------------------------------------------------


class MappedKeyword:
    """A 1M-document tantivy index whose keys map back to the sample's paper ids."""

    def __init__(self, index: KeywordIndex) -> None:
        self.index = index

    def search_parsed(self, parsed: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        return _dedupe(self.index.search_parsed(parsed, limit))


class MappedVectors:
    model = MODEL

    def __init__(self, index: Any) -> None:
        self.index = index

    def search(self, vector: np.ndarray, limit: int, exclude: Any = ()) -> list[tuple[int, float]]:
        self.index.expansion_search = max(96, limit)
        matches = self.index.search(np.asarray(vector, np.float32), limit)
        return _dedupe(
            [(int(k), 1 - float(d)) for k, d in zip(matches.keys, matches.distances, strict=True)]
        )


def _dedupe(hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    seen: dict[int, float] = {}
    for key, score in hits:
        seen.setdefault(key % COPY_STRIDE, score)
    return list(seen.items())


def million_vectors(base_keys: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    keys, blocks = [base_keys], [base.astype(np.float16)]
    copy = 1
    total = len(base_keys)
    while total < MILLION:
        take = min(len(base_keys), MILLION - total)
        noisy = base[:take] + rng.normal(0, NOISE_SIGMA, (take, base.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        keys.append(base_keys[:take] + copy * COPY_STRIDE)
        blocks.append(noisy.astype(np.float16))
        total += take
        copy += 1
    return np.concatenate(keys), np.concatenate(blocks)


def prepare_million(
    db: Database, max_tokens: int
) -> tuple[MappedKeyword, MappedVectors, np.ndarray, np.ndarray]:
    folder = CACHE / "latency-1m"
    folder.mkdir(parents=True, exist_ok=True)
    paper_ids, vectors, real = sample_vectors(db, max_tokens)
    base_keys = paper_ids.astype(np.uint64)
    keys, matrix = million_vectors(base_keys, vectors.astype(np.float32))
    # 91% of it is synthetic anyway: built once (it takes ~15 min here), whatever share of
    # the sample's own vectors was real then (printed, and kept next to the file).
    index_file = folder / "vectors.usearch"
    note = folder / "vectors.json"
    index = _new_index(384)
    if index_file.exists():
        index.load(str(index_file))
    else:
        started = time.perf_counter()
        index.add(keys, matrix.astype(np.float32), threads=2)
        index.save(str(index_file))
        seconds = time.perf_counter() - started
        note.write_text(json.dumps({"real_base_vectors": real, "build_seconds": round(seconds)}))
        print(f"built the 1M HNSW index in {seconds:.0f}s")
    print(f"1M HNSW built from {json.loads(note.read_text())}")
    print(f"1M HNSW: {len(index):,} vectors, {index.memory_usage / 2**20:,.0f} MiB in memory")
    keyword = million_keyword(db)
    print(f"1M tantivy: {keyword.num_docs():,} documents")
    return MappedKeyword(keyword), MappedVectors(index), keys, matrix


def million_keyword(db: Database) -> KeywordIndex:
    """tantivy over the sample's texts, replicated to 1M documents (keys c*10^8 + id)."""
    folder = CACHE / "latency-1m"
    folder.mkdir(parents=True, exist_ok=True)
    with db.read() as connection:
        paper_ids = dict(connection.exec_driver_sql("SELECT arxiv_id, id FROM papers").fetchall())
    keyword = KeywordIndex(folder / "keyword")
    if keyword.num_docs() < MILLION:
        started = time.perf_counter()
        keyword.clear()
        docs = []
        with gzip.open(DATA / "arxiv-sample" / "papers.jsonl.gz", "rt") as stream:
            for line in stream:
                r = json.loads(line)
                if r["id"] in paper_ids:
                    docs.append((paper_ids[r["id"]], r))
        added, copy = 0, 0
        while added < MILLION:
            batch = []
            for paper_id, r in docs:
                if added + len(batch) >= MILLION:
                    break
                batch.append(
                    IndexDoc(
                        paper_id + copy * COPY_STRIDE,
                        r["title"],
                        r["abstract"],
                        json.dumps(r["authors"]),
                        r["categories"].split(),
                    )
                )
            keyword.add(batch)
            added += len(batch)
            copy += 1
        keyword._pending = datetime.now(UTC)
        keyword.close()
        print(f"built the 1M tantivy index in {time.perf_counter() - started:.0f}s")
        keyword = KeywordIndex(folder / "keyword")
    return keyword


def hnsw_recall(
    index: Any, keys: np.ndarray, matrix: np.ndarray, query_vectors: np.ndarray, ef: int
) -> tuple[float, float]:
    """(recall@10 of vectors, recall@10 of distinct papers) against exact search.

    The first counts each of a paper's 11 near-identical copies separately, so near-ties
    (cosines equal to 3 decimals) swap in and out of the top 10; the second is what a
    search shows: the 10 best papers, from the 100 candidates the service asks for."""
    # Exact search over the vectors the index itself holds (the cache may have grown since
    # the index was built, so regenerated vectors would not match it).
    matrix = np.concatenate(
        [
            np.asarray(index.get(keys[s : s + 100_000]), np.float16)
            for s in range(0, len(keys), 100_000)
        ]
    )
    vector_hits = paper_hits = 0
    for vector in query_vectors:
        scores = np.concatenate(
            [
                matrix[s : s + 200_000].astype(np.float32) @ vector
                for s in range(0, len(matrix), 200_000)
            ]
        )
        order = np.argsort(-scores)[:200]
        exact = keys[order]
        index.expansion_search = ef
        approx = index.search(vector.astype(np.float32), 100).keys
        vector_hits += len(set(exact[:10].tolist()) & set(approx[:10].tolist()))
        exact_papers = list(dict.fromkeys(int(k) % COPY_STRIDE for k in exact))[:10]
        approx_papers = list(dict.fromkeys(int(k) % COPY_STRIDE for k in approx))[:10]
        paper_hits += len(set(exact_papers) & set(approx_papers))
    n = 10 * len(query_vectors)
    return vector_hits / n, paper_hits / n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--million", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="measure the stored vectors; do not refresh them"
    )
    parser.add_argument("--recall-only", action="store_true", help="1M: only the recall")
    parser.add_argument("--prepare-keyword", action="store_true", help="only build the 1M tantivy")
    parser.add_argument("--prepare-million", action="store_true", help="only build the 1M indexes")
    args = parser.parse_args()
    threadpool_limits(1)  # BLAS: one thread per process (DESIGN.md §4)
    if args.prepare_keyword:
        million_keyword(Database(load_settings({}, data_dir=WORK).database_url))
        return
    if args.prepare_million:
        prepare_million(Database(load_settings({}, data_dir=WORK).database_url), args.max_tokens)
        return
    texts = queries()
    embedder = load_embedder(MODEL, max_tokens=args.max_tokens, threads=1)
    db, keyword_index, vector_index = prepare_sample(args.max_tokens, refresh=not args.keep)
    service = SearchService(db, keyword_index, vector_index, embedder)
    if not args.recall_only:
        report(f"{len(vector_index):,} papers", service, texts)  # type: ignore[arg-type]
    if args.million:
        keyword, vectors, keys, matrix = prepare_million(db, args.max_tokens)
        big = SearchService(db, keyword, vectors, embedder)  # type: ignore[arg-type]
        if not args.recall_only:
            report("1,000,000 papers", big, texts)
        query_vectors = embedder.embed(texts[:100])
        for ef in (96, 256):
            vector_recall, paper_recall = hnsw_recall(
                vectors.index, keys, matrix, query_vectors, ef
            )
            print(
                f"1M HNSW (ef={ef}) recall@10 vs exact: {vector_recall:.3f} of vectors, "
                f"{paper_recall:.3f} of distinct papers"
            )


if __name__ == "__main__":
    main()
