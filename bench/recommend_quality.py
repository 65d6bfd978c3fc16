"""Quality of "for you" on the development protocol (bench/recommend_data.py): precision@20
over the papers announced after a cut-off, for users defined by hand-written topic rules, with
the two baselines computed in the same run.

Methods (each ranks the user's candidate window):
- newest-in-category (baseline): the seeds' most common primary category, newest first;
- bm25-mlt (baseline): BM25 "more like this" (domain/keywords.py: the seeds' 25 terms of
  highest tf-idf, document frequencies over the window, OR-ed, BM25 k1 1.2, b 0.75);
- centroid / linear / nearest-k: the content models of domain/similarity.py alone;
- nearest+bm25 (rrf): reciprocal-rank fusion (k=60) of nearest-3 and bm25-mlt;
- product: domain.recommend.recommend with the default weights, the seeds as one collection:
  similarity (nearest-3) plus keywords (bm25-mlt relative to the window's best) at half weight.

    nice -n 10 .venv/bin/python bench/recommend_data.py      # once: embeds ~6,000 abstracts
    nice -n 10 .venv/bin/python bench/recommend_quality.py
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recommend_data import ROOT, Paper, User, build_users, load_papers, load_vectors

sys.path.insert(0, str(ROOT / "src"))
from paperboard.domain import similarity
from paperboard.domain.keywords import TermIndex, more_like_this
from paperboard.domain.recommend import Candidates, Profile, Weights, recommend

K = 20
RRF_K = 60
Ranker = Callable[[User, "Context"], list[str]]


class Context:
    """What every method of one user shares: the window's texts, vectors and statistics."""

    def __init__(self, user: User, papers: dict[str, Paper], vectors: dict[str, np.ndarray]):
        self.user = user
        self.papers = papers
        self.candidates = user.candidates
        self.matrix = unit(np.stack([vectors[a] for a in self.candidates]).astype(np.float32))
        self.kept = unit(np.stack([vectors[a] for a in user.seeds]).astype(np.float32))
        index = TermIndex(papers[a].text for a in self.candidates)
        self.keywords = more_like_this([papers[a].text for a in user.seeds], index)


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def top(context: Context, scores: np.ndarray) -> list[str]:
    order = np.lexsort((np.arange(len(scores)), -scores))  # ties: the window's order (newest)
    return [context.candidates[i] for i in order[:K]]


def newest_in_category(user: User, context: Context) -> list[str]:
    main = Counter(context.papers[a].categories[0] for a in user.seeds).most_common(1)[0][0]
    return [a for a in context.candidates if context.papers[a].categories[0] == main][:K]


def bm25_scores(context: Context) -> np.ndarray:
    return context.keywords.scores


def bm25_mlt(user: User, context: Context) -> list[str]:
    return top(context, bm25_scores(context))


def content(model: str, k: int | None = None) -> Ranker:
    def rank(user: User, context: Context) -> list[str]:
        if k is not None:
            matrix = similarity.similarities(context.kept, context.matrix)
            return top(context, similarity.nearest_mean(matrix, k))
        empty = np.zeros((0, context.kept.shape[1]), np.float32)
        return top(context, similarity.content_scores(model, context.kept, context.matrix, empty))

    return rank


def rrf(*rankings: list[str]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for position, arxiv_id in enumerate(ranking, 1):
            fused[arxiv_id] = fused.get(arxiv_id, 0.0) + 1.0 / (RRF_K + position)
    return fused


def nearest_plus_bm25(user: User, context: Context) -> list[str]:
    nearest = similarity.nearest_mean(similarity.similarities(context.kept, context.matrix))
    full = len(context.candidates)
    by_vector = [context.candidates[i] for i in np.argsort(-nearest)[:full]]
    by_words = [context.candidates[i] for i in np.argsort(-bm25_scores(context))[:full]]
    fused = rrf(by_vector, by_words)
    return sorted(context.candidates, key=lambda a: -fused.get(a, 0.0))[:K]


def product(user: User, context: Context) -> list[str]:
    count = len(context.candidates)
    candidates = Candidates(
        paper_ids=list(range(count)),
        vectors=context.matrix,
        authors=[context.papers[a].authors for a in context.candidates],
        categories=[context.papers[a].categories for a in context.candidates],
        upvotes=[0] * count,
        trending=[0.0] * count,
        voters=[[] for _ in range(count)],
        searches=[[] for _ in range(count)],
        keywords=context.keywords,
    )
    profile = Profile(
        kept=context.kept,
        kept_groups=["Reading list"] * len(context.kept),
        rejected=np.zeros((0, context.kept.shape[1]), np.float32),
    )
    found = recommend(profile, candidates, Weights(), K)
    return [context.candidates[r.paper_id] for r in found]


METHODS: dict[str, Ranker] = {
    "newest-in-category (baseline)": newest_in_category,
    "bm25-mlt (baseline)": bm25_mlt,
    "centroid": content("centroid"),
    "linear (logistic)": content("linear"),
    "nearest-1": content("nearest", 1),
    "nearest-3": content("nearest", 3),
    "nearest-5": content("nearest", 5),
    "nearest-3 + bm25 (rrf)": nearest_plus_bm25,
    "product (recommend())": product,
}


def main() -> None:
    papers = load_papers()
    users = build_users(papers)
    vectors = load_vectors()
    missing = {a for u in users for a in u.seeds + u.candidates} - set(vectors)
    if missing:
        raise SystemExit(f"{len(missing)} papers have no vector: run bench/recommend_data.py")
    results: dict[str, dict[str, list[float]]] = {m: {"single": [], "mixed": []} for m in METHODS}
    ceiling: dict[str, list[float]] = {"single": [], "mixed": []}
    timings: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    for user in users:
        kind = user.name.split(":")[0]
        context = Context(user, papers, vectors)
        ceiling[kind].append(min(1.0, len(user.relevant) / K))
        for name, method in METHODS.items():
            started = time.perf_counter()
            ranked = method(user, context)
            timings[name] += time.perf_counter() - started
            results[name][kind].append(sum(a in user.relevant for a in ranked[:K]) / K)
    singles, mixed = len(ceiling["single"]), len(ceiling["mixed"])
    print(f"{singles} single-topic users, {mixed} two-topic users; P@{K}, mean over users")
    print(f"{'method':32} {'single':>7} {'mixed':>7} {'all':>7} {'ms/user':>8}")
    for name in METHODS:
        single, mix = results[name]["single"], results[name]["mixed"]
        every = single + mix
        per_user = timings[name] * 1000 / len(users)
        means = f"{np.mean(single):7.3f} {np.mean(mix):7.3f} {np.mean(every):7.3f}"
        print(f"{name:32} {means} {per_user:8.1f}")
    every_ceiling = ceiling["single"] + ceiling["mixed"]
    print(
        f"{'ceiling (relevant/20, max 1)':32} {np.mean(ceiling['single']):7.3f} "
        f"{np.mean(ceiling['mixed']):7.3f} {np.mean(every_ceiling):7.3f}"
    )


if __name__ == "__main__":
    main()
