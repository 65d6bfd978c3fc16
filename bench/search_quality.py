"""Search quality: keyword, semantic and hybrid (reciprocal-rank fusion) on three sets.

- title2abstract (development, ../shared/data/eval): 1,000 titles -> their abstract among
  20,000; MRR@10, Recall@10, NDCG@10.
- paraphrase (development, bench/paraphrase_queries.jsonl): 48 queries written the way people
  remember a paper (not its title) -> that paper among the 88,864 of the sample.
- CSFCube (holdout, ../shared/data/holdout/csfcube): each query paper's title + abstract ranks
  its pool; NDCG@20 with graded judgements. Reported, never tuned on.

Every engine is the product's own code: ``parse_query`` -> ``KeywordIndex.search_parsed``
(tantivy), the MiniLM embedder on the query's ``semantic_text``, ``SearchService.fuse``.
Document vectors come from bench/embed_throughput.py's cache (the same embedder and text that
``paperboard embed`` stores); nearest neighbours are exact here (HNSW recall is measured in
search_latency.py).

  nice -n 10 .venv/bin/python bench/search_quality.py            # all sets, product settings
  nice -n 10 .venv/bin/python bench/search_quality.py --tune     # grid over k and weights, dev only
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_throughput import CACHE, DATA, ROOT, load_cached

from paperboard.search.embedder import load_embedder, paper_text
from paperboard.search.keyword import IndexDoc, KeywordIndex
from paperboard.search.query import parse_query
from paperboard.search.service import (
    CANDIDATES,
    KEYWORD_LEAD_GAP,
    KEYWORD_WEIGHT,
    RRF_K,
    SEMANTIC_WEIGHT,
    SearchService,
)

MODEL = "minilm-int8"


@dataclass
class Corpus:
    name: str
    ids: list[str]  # external ids, position = internal id - 1
    vectors: np.ndarray  # float32, unit rows
    keyword: KeywordIndex


@dataclass
class Ranked:
    keyword: list[int]
    semantic: list[int]
    keyword_scores: list[float]


# --- building the engines -------------------------------------------------------------------------


def build_keyword(name: str, docs: list[IndexDoc]) -> KeywordIndex:
    index = KeywordIndex(CACHE / f"keyword-{name}")
    if index.num_docs() != len(docs):
        index.clear()
        index.add(docs)
        index._pending = datetime.now(UTC)  # commit() needs a watermark
        index.commit()
        index.close()
        index = KeywordIndex(CACHE / f"keyword-{name}")
    return index


def open_corpus(name: str, max_tokens: int, docs: Callable[[], list[IndexDoc]]) -> Corpus:
    ids, vectors = load_cached(name, MODEL, max_tokens)
    if not ids:
        raise SystemExit(
            f"no cached vectors for {name}: run bench/embed_throughput.py cache {name}"
        )
    all_docs = docs()
    if len(ids) != len(all_docs):
        print(f"warning: {name}: {len(ids)} of {len(all_docs)} documents embedded so far")
    position = {external: n for n, external in enumerate(ids)}
    # Documents without a vector yet are left out of both engines (a fair comparison).
    kept = [d for d in all_docs if d.abstract and d.title in position]
    keyword_docs = [
        IndexDoc(position[d.title] + 1, "", d.abstract, d.authors, d.categories) for d in kept
    ]
    matrix = vectors.astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    suffix = f"{name}-{len(keyword_docs)}"
    return Corpus(name, ids, matrix, build_keyword(suffix, keyword_docs))


def t2a_docs() -> list[IndexDoc]:
    out = []
    with gzip.open(DATA / "eval" / "title2abstract" / "corpus.jsonl.gz", "rt") as stream:
        for line in stream:
            record = json.loads(line)
            # ``title`` carries the external id through open_corpus; indexed text is abstract.
            out.append(IndexDoc(0, record["_id"], record["text"], "", []))
    return out


def sample_docs() -> list[IndexDoc]:
    out = []
    with gzip.open(DATA / "arxiv-sample" / "papers.jsonl.gz", "rt") as stream:
        for line in stream:
            r = json.loads(line)
            text = paper_text(r["title"], r["abstract"])
            out.append(
                IndexDoc(0, r["id"], text, json.dumps(r["authors"]), r["categories"].split())
            )
    return out


def csfcube_docs() -> list[IndexDoc]:
    out = []
    with gzip.open(DATA / "holdout" / "csfcube" / "papers.jsonl.gz", "rt") as stream:
        for line in stream:
            r = json.loads(line)
            out.append(
                IndexDoc(0, str(r["paper_id"]), paper_text(r["title"], r["abstract"]), "", [])
            )
    return out


# --- ranking ------------------------------------------------------------------------------------


def rank(corpus: Corpus, query_vectors: np.ndarray, queries: list[str], depth: int) -> list[Ranked]:
    out = []
    scores_all = query_vectors @ corpus.vectors.T
    for text, scores in zip(queries, scores_all, strict=True):
        hits = corpus.keyword.search_parsed(parse_query(text), depth)
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        semantic = [int(i) for i in top[np.argsort(-scores[top])]]
        out.append(Ranked([i - 1 for i, _ in hits], semantic, [score for _, score in hits]))
    return out


def fused(
    ranked: Ranked, k: int, keyword_weight: float, semantic_weight: float, lead: float | None
) -> list[int]:
    service = SearchService(
        None,  # type: ignore[arg-type]
        None,
        rrf_k=k,
        keyword_weight=keyword_weight,
        semantic_weight=semantic_weight,
        keyword_lead_gap=lead,
    )
    keyword = list(zip(ranked.keyword, ranked.keyword_scores, strict=True))
    return [i for i, _ in service.combine(keyword, ranked.semantic)]


def known_item_metrics(rankings: list[list[int]], targets: list[int]) -> dict[str, float]:
    mrr = recall = ndcg = 0.0
    for ranking, target in zip(rankings, targets, strict=True):
        top = ranking[:10]
        if target in top:
            position = top.index(target) + 1
            mrr += 1 / position
            recall += 1
            ndcg += 1 / math.log2(position + 1)
    n = len(targets)
    return {"MRR@10": mrr / n, "Recall@10": recall / n, "NDCG@10": ndcg / n}


def ndcg_at(ranking: list[str], grades: dict[str, int], k: int = 20) -> float:
    """Linear gain, log2 discount; ideal = the judged grades sorted."""
    dcg = sum(grades.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


# --- the sets ---------------------------------------------------------------------------------


def known_item_set(
    corpus: Corpus, queries: list[tuple[str, str]], embedder: object
) -> tuple[list[Ranked], list[int]]:
    position = {external: n for n, external in enumerate(corpus.ids)}
    kept = [(q, t) for q, t in queries if t in position]
    texts = [parse_query(q).semantic_text for q, _ in kept]
    started = time.perf_counter()
    vectors = embedder.embed(texts)  # type: ignore[attr-defined]
    print(f"  embedded {len(texts)} queries in {time.perf_counter() - started:.1f}s")
    return rank(corpus, vectors, [q for q, _ in kept], CANDIDATES), [position[t] for _, t in kept]


def evaluate_known_item(ranked: list[Ranked], targets: list[int], settings: tuple) -> dict:
    return {
        "keyword": known_item_metrics([r.keyword for r in ranked], targets),
        "semantic": known_item_metrics([r.semantic for r in ranked], targets),
        "hybrid": known_item_metrics([fused(r, *settings) for r in ranked], targets),
    }


def t2a_queries() -> list[tuple[str, str]]:
    path = DATA / "eval" / "title2abstract" / "queries.jsonl"
    return [(q["text"], q["target"]) for q in map(json.loads, path.open())]


def paraphrase_queries() -> list[tuple[str, str]]:
    path = ROOT / "bench" / "paraphrase_queries.jsonl"
    return [(q["query"], q["target"]) for q in map(json.loads, path.open())]


def csfcube(max_tokens: int, embedder: object, settings: tuple) -> dict[str, float]:
    folder = DATA / "holdout" / "csfcube"
    corpus = open_corpus("csfcube", max_tokens, csfcube_docs)
    position = {external: n for n, external in enumerate(corpus.ids)}
    with gzip.open(folder / "papers.jsonl.gz", "rt") as stream:
        papers = {str(r["paper_id"]): r for r in map(json.loads, stream)}
    pools = json.loads((folder / "test-pid2pool-csfcube.json").read_text())
    grades: dict[tuple[str, str], dict[str, int]] = {}
    for line in (folder / "qrels.tsv").read_text().splitlines()[1:]:
        pid, facet, cand, relevance = line.split("\t")
        grades.setdefault((pid, facet), {})[cand] = int(relevance)
    queries = json.loads((folder / "queries.json").read_text())
    texts = {
        q["query_pid"]: paper_text(
            papers[q["query_pid"]]["title"], papers[q["query_pid"]]["abstract"]
        )
        for q in queries
    }
    pids = sorted(texts)
    vectors = embedder.embed([parse_query(texts[p]).semantic_text for p in pids])  # type: ignore[attr-defined]
    rankings: dict[str, dict[str, list[str]]] = {}
    for pid, vector in zip(pids, vectors, strict=True):
        pool = [c for c in pools[pid]["cands"] if c in position]
        in_pool = {position[c] for c in pool}
        keyword_all = corpus.keyword.search_parsed(parse_query(texts[pid]), len(corpus.ids))
        matched = [(i - 1, score) for i, score in keyword_all if i - 1 in in_pool]
        keyword = [i for i, _ in matched]
        # Pool papers sharing no word with the query follow, in pool order, score 0.
        unmatched = [position[c] for c in pool if position[c] not in set(keyword)]
        keyword_scores = [score for _, score in matched] + [0.0] * len(unmatched)
        keyword += unmatched
        scores = {position[c]: float(corpus.vectors[position[c]] @ vector) for c in pool}
        semantic = sorted(scores, key=lambda i: -scores[i])
        hybrid = fused(Ranked(keyword, semantic, keyword_scores), *settings)
        rankings[pid] = {
            name: [corpus.ids[i] for i in ranking]
            for name, ranking in (("keyword", keyword), ("semantic", semantic), ("hybrid", hybrid))
        }
    result = {}
    for name in ("keyword", "semantic", "hybrid"):
        values = [
            ndcg_at(rankings[q["query_pid"]][name], grades.get((q["query_pid"], q["facet"]), {}))
            for q in queries
        ]
        result[name] = 100 * sum(values) / len(values)
    return result


def show(title: str, table: dict[str, dict[str, float]]) -> None:
    print(title)
    for engine, metrics in table.items():
        print(f"  {engine:<9}" + "  ".join(f"{m} {v:.3f}" for m, v in metrics.items()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--tune", action="store_true", help="grid search on the dev sets only")
    parser.add_argument("--sets", default="t2a,paraphrase,csfcube")
    args = parser.parse_args()
    embedder = load_embedder(MODEL, max_tokens=args.max_tokens, threads=1)
    settings = (RRF_K, KEYWORD_WEIGHT, SEMANTIC_WEIGHT, KEYWORD_LEAD_GAP)
    print(
        f"product settings: k={RRF_K}, keyword weight {KEYWORD_WEIGHT}, semantic "
        f"{SEMANTIC_WEIGHT}, keyword lead gap {KEYWORD_LEAD_GAP}"
    )
    sets = args.sets.split(",")
    dev: dict[str, tuple[list[Ranked], list[int]]] = {}
    if "t2a" in sets:
        corpus = open_corpus("t2a", args.max_tokens, t2a_docs)
        dev["t2a"] = known_item_set(corpus, t2a_queries(), embedder)
        show(
            "title2abstract (dev, 1,000 queries / 20,000 abstracts)",
            evaluate_known_item(*dev["t2a"], settings),
        )
    if "paraphrase" in sets:
        corpus = open_corpus("sample", args.max_tokens, sample_docs)
        dev["paraphrase"] = known_item_set(corpus, paraphrase_queries(), embedder)
        show(
            f"paraphrase (dev, {len(dev['paraphrase'][1])} queries / {len(corpus.ids):,} papers)",
            evaluate_known_item(*dev["paraphrase"], settings),
        )
    if args.tune:
        print("grid (hybrid MRR@10 on the dev sets; keyword alone in brackets):")
        base = {
            name: known_item_metrics([r.keyword for r in ranked], t)["MRR@10"]
            for name, (ranked, t) in dev.items()
        }
        print("  keyword alone: " + ", ".join(f"{n} {v:.3f}" for n, v in base.items()))
        for lead in (None, 0.1, 0.15, 0.2, 0.3):
            for k in (10, 30, 60):
                for kw in (0.75, 1.0, 1.5, 2.0):
                    values = {
                        name: known_item_metrics([fused(r, k, kw, 1.0, lead) for r in ranked], t)[
                            "MRR@10"
                        ]
                        for name, (ranked, t) in dev.items()
                    }
                    print(
                        f"  lead gap {lead!s:<5} k={k:<3} keyword weight {kw:<4} "
                        + "  ".join(f"{n} {v:.3f}" for n, v in values.items())
                    )
    if "csfcube" in sets and not args.tune:
        result = csfcube(args.max_tokens, embedder, settings)
        plain = csfcube(args.max_tokens, embedder, (*settings[:3], None))
        result["hybrid, plain RRF"] = plain["hybrid"]
        print(
            "CSFCube (holdout, 50 query facets, NDCG@20 x100, not tuned on): "
            + ", ".join(f"{n} {v:.1f}" for n, v in result.items())
        )


if __name__ == "__main__":
    main()
