"""How much a paper is like the papers a user kept (pure numpy): the content signal of
"for you". Vectors are unit length (cosine = dot product).

Three models were measured on the development protocol (bench/recommend_quality.py,
docs/benchmarks.md): the centroid of the kept papers, a per-user linear model (logistic
regression of kept papers against the candidates, arxiv-sanity's SVM idea on embeddings) and
the mean similarity of the K nearest kept papers. :data:`CONTENT_MODEL` is the one that
measured best; the others stay for the benchmark to compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mean similarity to the K nearest kept papers: one close paper counts, several count more,
# and two unrelated interests do not average each other away (as they do in a centroid).
NEAREST_K = 3
# The linear model: L2 strength and plain gradient-descent steps (a few ms at 2,000 x 384).
LINEAR_L2 = 1.0
LINEAR_STEPS = 150
LINEAR_STEP_SIZE = 0.5
CONTENT_MODEL = "nearest"
MODELS = ("centroid", "linear", "nearest")


@dataclass(frozen=True, slots=True)
class Neighbours:
    """For each candidate, its REASON_NEIGHBOURS nearest kept papers (row indexes into the
    kept papers) and their similarities, nearest first."""

    indexes: np.ndarray  # (candidates, n) int
    similarities: np.ndarray  # (candidates, n) float32


def similarities(kept: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(candidates, kept) cosine similarities."""
    return candidates @ kept.T


def nearest(matrix: np.ndarray, count: int) -> Neighbours:
    """The ``count`` largest similarities of each row, largest first."""
    count = min(count, matrix.shape[1])
    if count == 0:
        empty = np.zeros((matrix.shape[0], 0))
        return Neighbours(empty.astype(np.int64), empty.astype(np.float32))
    part = np.argpartition(-matrix, count - 1, axis=1)[:, :count]
    values = np.take_along_axis(matrix, part, axis=1)
    order = np.argsort(-values, axis=1)
    return Neighbours(np.take_along_axis(part, order, 1), np.take_along_axis(values, order, 1))


def nearest_mean(matrix: np.ndarray, k: int = NEAREST_K) -> np.ndarray:
    """Mean of the k largest similarities of each row (fewer kept papers: all of them)."""
    return nearest(matrix, k).similarities.mean(axis=1) if matrix.shape[1] else _zeros(matrix)


def centroid(kept: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    if not len(kept):
        return np.zeros(len(candidates), np.float32)
    mean = kept.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return candidates @ (mean / norm) if norm else np.zeros(len(candidates), np.float32)


def linear(kept: np.ndarray, candidates: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """A logistic regression of kept papers (1) against the candidates and rejected papers
    (0), classes weighted equally, on the embeddings; the margin of each candidate, squashed
    to (-1, 1) like a cosine."""
    if not len(kept):
        return np.zeros(len(candidates), np.float32)
    negatives = np.vstack([candidates, rejected]) if len(rejected) else candidates
    features = np.vstack([kept, negatives]).astype(np.float32)
    labels = np.concatenate([np.ones(len(kept)), np.zeros(len(negatives))]).astype(np.float32)
    weight_of = np.where(labels == 1, 0.5 / len(kept), 0.5 / len(negatives)).astype(np.float32)
    weights = np.zeros(features.shape[1], np.float32)
    bias = 0.0
    for _ in range(LINEAR_STEPS):
        margin = features @ weights + bias
        error = (1.0 / (1.0 + np.exp(-margin)) - labels) * weight_of
        weights -= LINEAR_STEP_SIZE * (features.T @ error + LINEAR_L2 * weights / len(labels))
        bias -= LINEAR_STEP_SIZE * float(error.sum())
    return np.tanh(candidates @ weights + bias).astype(np.float32)


def content_scores(
    model: str, kept: np.ndarray, candidates: np.ndarray, rejected: np.ndarray
) -> np.ndarray:
    """Each candidate's likeness to the kept papers, about -1..1, by ``model``."""
    if model == "centroid":
        return centroid(kept, candidates)
    if model == "linear":
        return linear(kept, candidates, rejected)
    if model == "nearest":
        return nearest_mean(similarities(kept, candidates)) if len(kept) else _zeros(candidates)
    raise ValueError(f"unknown content model {model!r}; one of {', '.join(MODELS)}")


def _zeros(rows: np.ndarray) -> np.ndarray:
    return np.zeros(rows.shape[0], np.float32)
